"""Cross-entropy of label tokens through the LM head, in chunks, without keeping the logits.

With a 262k-token vocabulary (Gemma) the logits of a batch's label positions, their
softmax and their gradient are the largest tensors of a training step (4 x 130 positions:
three copies of 0.5 GB in float32). The head is frozen (tied to the embedding), so only
the gradient with respect to the hidden states is needed: each chunk of positions is
projected, scored and dropped in the forward pass, and projected again in the backward
pass (the recomputation costs one matmul per chunk, the memory saved is all of it).
"""

from __future__ import annotations

import torch

CHUNK = 64  # positions per projection: 64 x 262k floats = 64 MB at a time


class _ChunkedHeadLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden, weight, targets):
        losses = torch.empty(hidden.shape[0], dtype=torch.float32, device=hidden.device)
        for start in range(0, hidden.shape[0], CHUNK):
            logits = (hidden[start : start + CHUNK] @ weight.T).float()
            gold = logits.gather(1, targets[start : start + CHUNK, None]).squeeze(1)
            losses[start : start + CHUNK] = torch.logsumexp(logits, dim=1) - gold
        ctx.save_for_backward(hidden, weight, targets)
        return losses

    @staticmethod
    def backward(ctx, grad_losses):
        hidden, weight, targets = ctx.saved_tensors
        grad_hidden = torch.empty_like(hidden)
        for start in range(0, hidden.shape[0], CHUNK):
            logits = (hidden[start : start + CHUNK] @ weight.T).float()
            grad = torch.softmax(logits, dim=1)
            rows = torch.arange(grad.shape[0], device=grad.device)
            grad[rows, targets[start : start + CHUNK]] -= 1.0
            grad *= grad_losses[start : start + CHUNK, None]
            grad_hidden[start : start + CHUNK] = (grad.to(weight.dtype) @ weight).to(hidden.dtype)
        return grad_hidden, None, None


def head_token_losses(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor):
    """Per-position cross-entropy of `targets` under the frozen head `weight` (V x d)."""
    return _ChunkedHeadLoss.apply(hidden, weight.detach(), targets)
