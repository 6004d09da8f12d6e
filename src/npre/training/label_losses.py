"""How well a model explains each document's labels: a loss per document, lower = better.

`mean_token`: the mean loss over all label tokens. One wrong name among several (another
document's organism, a chemical the text never states) is a few tokens of many, so it is
diluted. `worst_name`: the label sequence is cut into its names, each with the delimiter
that ends it; a name is scored by the mean loss of its tokens after the first, and the
document by its worst name. The first token of a name is a choice among the names the
text states (uncertain even when the label is right); the rest is a copy when the text
states the name, and stays surprising when it does not. Neither score grows with the
length of the label list by itself: both are means over a name or a document.
`worst_name_whole_organisms` (the default): `worst_name`, but an organism name is scored
by all its tokens. A document usually names one producing organism, so the first token of
an organism label points at it: a teacher trained deep enough (LoRA on the top 9 layers)
predicts it for a right label (median loss 0.2 on clean documents) and cannot for another
document's organism (9.9), whose rest is then a completion the base model knows by heart
(a famous species) and would pass `worst_name`. Chemicals keep their first token out.
Measured with benchmarks/bench_teacher_noise.py (docs/decisions.md).
"""

from __future__ import annotations

from typing import Literal

from npre.data.records import Document

Score = Literal["worst_name_whole_organisms", "worst_name", "mean_token"]


def name_spans(target: list[int], produces: list[int], separator: list[int]) -> list[list[int]]:
    """Positions in `target` of each name, its closing delimiter (or end) included.

    The grammar's state machine: an organism ends at `produces`, a chemical at the
    separator or at the end of the target.
    """
    spans: list[list[int]] = []
    current: list[int] = []
    in_chemical = False
    i = 0
    while i < len(target):
        delimiter = separator if in_chemical else produces
        if current and target[i : i + len(delimiter)] == delimiter:
            spans.append(current + list(range(i, i + len(delimiter))))
            current, in_chemical = [], not in_chemical
            i += len(delimiter)
            continue
        current.append(i)
        i += 1
    if current:
        spans.append(current)
    return spans


def aggregate(losses: list[float], spans: list[list[int]], score: Score) -> float:
    """A document's score from its label-token losses."""
    if not losses:
        return 0.0
    if score == "mean_token" or not spans:
        return sum(losses) / len(losses)
    whole_organisms = score == "worst_name_whole_organisms"
    scored = [  # names alternate: organism, chemical, organism, ... (`name_spans`)
        span if whole_organisms and position % 2 == 0 else span[1:] or span
        for position, span in enumerate(spans)
        if span
    ]
    return max(sum(losses[i] for i in tokens) / len(tokens) for tokens in scored)


def label_token_losses_by_document(
    model, tokenizer, docs: list[Document], params, batch_size: int = 8
) -> list[tuple[list[float], list[int]]]:
    """Each document's label-token losses given its text, with the label ids they score."""
    import torch

    from npre.hardware import use_bf16
    from npre.training.lora import collate, label_token_losses, make_examples

    device = next(model.parameters()).device
    bf16 = use_bf16(params.precision)
    examples = make_examples(tokenizer, docs, params)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
    found: list[tuple[list[float], list[int]]] = [([], [])] * len(examples)
    model.eval()
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            ids, labels, mask = collate([examples[i] for i in rows], tokenizer.pad_token_id, device)
            losses, present = label_token_losses(model, ids, labels, mask, bf16)
            for row, i in enumerate(rows):
                target = [t for t in examples[i].labels if t != -100]
                found[i] = (losses[row][present[row]].tolist(), target)
    return found


def document_losses(
    model, tokenizer, docs: list[Document], params, score: Score = "mean_token"
) -> list[float]:
    """One label loss per document given its text (see the module docstring for `score`)."""
    from npre.linearization.tokens import layout

    spec = layout(tokenizer)
    scores = []
    for losses, target in label_token_losses_by_document(model, tokenizer, docs, params):
        spans = name_spans(target, spec.produces, spec.separator)
        scores.append(aggregate(losses, spans, score))
    return scores
