"""Decoding with the LM head restricted to the tokens the copy grammar can ever allow.

Copy-constrained decoding only ever picks a source token, a delimiter or </s>: computing
the other logits (Gemma: a 262k-token vocabulary, the largest matmul of a decoding step)
is waste. The restricted head returns full-width logits, -inf outside the subset, so
`generate`, beam search and the copy-constraint processor work unchanged.
"""

from __future__ import annotations

import torch


class SubsetHead(torch.nn.Module):
    def __init__(self, head: torch.nn.Linear, allowed: list[int]):
        super().__init__()
        index = torch.tensor(allowed, device=head.weight.device)
        self.register_buffer("index", index, persistent=False)
        self.weight_rows = head.weight.detach()[index]
        self.bias_rows = None if head.bias is None else head.bias.detach()[index]
        self.vocab_size = head.weight.shape[0]

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        logits = torch.nn.functional.linear(hidden, self.weight_rows, self.bias_rows)
        full = logits.new_full((*logits.shape[:-1], self.vocab_size), float("-inf"))
        full[..., self.index] = logits
        return full


def subset_head(model, grammars) -> SubsetHead | None:
    """The head for a batch: every grammar's tokens. None where the head is not a Linear."""
    head = model.get_output_embeddings()
    if not isinstance(head, torch.nn.Linear):
        return None
    allowed: set[int] = set()
    for grammar in grammars:
        allowed.update(grammar.source)
        allowed.update(grammar.produces)
        allowed.update(grammar.separator)
        allowed.add(grammar.eos)
    return SubsetHead(head, sorted(allowed))


class output_head:  # noqa: N801 - a context manager, used like a function
    """Swap the model's output layer for `head` while decoding (None: keep it)."""

    def __init__(self, model, head):
        self.model, self.head, self.saved = model, head, None

    def __enter__(self):
        if self.head is not None:
            self.saved = self.model.get_output_embeddings()
            self.model.set_output_embeddings(self.head)
        return self

    def __exit__(self, *exc):
        if self.head is not None:
            self.model.set_output_embeddings(self.saved)
