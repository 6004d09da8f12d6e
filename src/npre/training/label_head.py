"""Cross-entropy of label tokens through the LM head, in chunks, without keeping the logits.

With a 262k-token vocabulary (Gemma) the logits of a batch's label positions, their
softmax and their gradient are the largest tensors of a training step (4 x 130 positions:
three copies of 0.5 GB in float32). The head is frozen (tied to the embedding), so only
the gradient with respect to the hidden states is needed, and the loss is the last
operation: each chunk of positions is projected, scored, and its gradient
(softmax - one-hot) @ W computed at once, in the forward pass; the logits are dropped and
only the small gradient (positions x hidden size) is kept for the backward pass, which
scales it. The same two matmuls as plain logits, a fraction of the memory.
"""

from __future__ import annotations

import torch

CHUNK = 64  # positions per projection: 64 x 262k floats = 64 MB at a time


class _ChunkedHeadLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, targets):
        losses = torch.empty(hidden.shape[0], dtype=torch.float32, device=hidden.device)
        grad_hidden = torch.empty_like(hidden)
        for start in range(0, hidden.shape[0], CHUNK):
            end = start + CHUNK
            logits = (hidden[start:end] @ weight.T).float()
            gold = targets[start:end]
            rows = torch.arange(logits.shape[0], device=logits.device)
            # log-sum-exp and softmax from one exponentiation, in place: the chunk's
            # V-wide passes are a large part of a step once the matmuls run in bf16
            gold_logits = logits[rows, gold]
            peak = logits.amax(dim=1, keepdim=True)
            grad = logits.sub_(peak).exp_()
            total = grad.sum(dim=1)
            losses[start:end] = peak.squeeze(1) + total.log() - gold_logits
            grad.div_(total[:, None])
            grad[rows, gold] -= 1.0
            grad_hidden[start:end] = (grad.to(weight.dtype) @ weight).to(hidden.dtype)
        ctx.save_for_backward(grad_hidden)
        return losses

    @staticmethod
    def backward(ctx, grad_losses):
        (grad_hidden,) = ctx.saved_tensors
        return grad_hidden * grad_losses[:, None].to(grad_hidden.dtype), None, None


def _compute_weight(weight: torch.Tensor, device_type: str) -> torch.Tensor:
    """The head in the dtype autocast computes in, cast once per call: left to autocast,
    every chunk's two matmuls cast the whole V x d matrix again (Gemma: 168M values), which
    took more than half of a bf16 CPU training step."""
    if torch.is_autocast_enabled(device_type):
        return weight.to(torch.get_autocast_dtype(device_type))
    return weight


def head_token_losses(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor):
    """Per-position cross-entropy of `targets` under the frozen head `weight` (V x d)."""
    weight = _compute_weight(weight.detach(), hidden.device.type)
    if not hidden.requires_grad:  # scoring only (the teacher): skip the gradient matmul
        losses = []
        for start in range(0, hidden.shape[0], CHUNK):
            logits = (hidden[start : start + CHUNK] @ weight.T).float()
            losses.append(
                torch.nn.functional.cross_entropy(
                    logits, targets[start : start + CHUNK], reduction="none"
                )
            )
        return torch.cat(losses) if losses else hidden.new_zeros(0, dtype=torch.float32)
    return _ChunkedHeadLoss.apply(hidden, weight, targets)
