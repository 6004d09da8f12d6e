"""Token sequences for training and inference, built the same way everywhere."""

from __future__ import annotations

from dataclasses import dataclass

from npre.modeling.linearize import source_text, target_text


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]  # -100 on the source part: the loss covers the relations only


def prompt_ids(
    tokenizer, title: str, abstract: str, max_chars: int, max_source_tokens: int
) -> list[int]:
    """`title abstract</s><s>` as token ids (source truncated to `max_source_tokens`)."""
    ids = tokenizer.encode(source_text(title, abstract, max_chars), add_special_tokens=False)
    ids = ids[:max_source_tokens]
    return [*ids, tokenizer.eos_token_id, tokenizer.bos_token_id]


def training_example(
    tokenizer,
    title: str,
    abstract: str,
    pairs: list[tuple[str, str]],
    max_chars: int,
    max_length: int,
) -> Example:
    target = tokenizer.encode(" " + target_text(pairs), add_special_tokens=False)
    target = [*target, tokenizer.eos_token_id]
    budget = max(max_length - len(target) - 2, 8)
    source = prompt_ids(tokenizer, title, abstract, max_chars, budget)
    ids = (source + target)[:max_length]
    labels = ([-100] * len(source) + target)[:max_length]
    return Example(ids, labels)
