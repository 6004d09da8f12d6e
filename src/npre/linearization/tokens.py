"""Token sequences for training and inference, built the same way everywhere.

A prompt is `[prefix] source [eos, bos]`: the prefix is whatever the tokenizer puts before
a text (Gemma and Llama `<bos>`, BioGPT `</s>`, GPT-2 nothing), and `eos bos` is the
paper's `</s><s>`. The output is `name produces name; name produces name <eos>`.

Each name in a training target is the *source's own tokens* for it where the text states
it: SentencePiece splits "Artemisia" as Ar|tem|isia at the start of a text but
▁Ar|tem|isia after a space, and copy-constrained decoding only allows spans of the
source, so the model must learn the tokens it will be allowed to write. Outputs are
parsed on token ids with the same delimiters as the decoding grammar, so a name copied
without a leading space is still read as a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from npre.linearization.format import (
    GROUP_SEPARATOR,
    RELATION_VERB,
    SEPARATOR,
    Linearization,
    source_text,
)


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]  # -100 on the source part: the loss covers the relations only


@dataclass(frozen=True)
class Layout:
    prefix: list[int]  # special tokens the tokenizer puts before a text
    boundary: list[int]  # between the source and the output
    produces: list[int]  # the relation delimiter
    separator: list[int]  # between relations (grouped: between one organism's chemicals)
    group_separator: list[int]  # grouped: before the next organism
    eos: int


def layout(tokenizer) -> Layout:
    with_special = tokenizer.encode("a", add_special_tokens=True)
    plain = tokenizer.encode("a", add_special_tokens=False)
    prefix = with_special[: len(with_special) - len(plain)] if plain else []
    if with_special[len(prefix) :] != plain:  # specials after the text only: no prefix
        prefix = []
    return Layout(
        prefix=prefix,
        boundary=[tokenizer.eos_token_id, tokenizer.bos_token_id],
        produces=tokenizer.encode(RELATION_VERB.rstrip(), add_special_tokens=False),
        separator=tokenizer.encode(SEPARATOR.rstrip(), add_special_tokens=False),
        group_separator=tokenizer.encode(GROUP_SEPARATOR.rstrip(), add_special_tokens=False),
        eos=tokenizer.eos_token_id,
    )


def check_grouped(tokenizer, spec: Layout) -> None:
    """The grouped linearisation needs a tokenizer that can write its organism separator."""
    if not spec.group_separator or tokenizer.unk_token_id in spec.group_separator:
        raise ValueError(
            f"this tokenizer cannot write {GROUP_SEPARATOR.strip()!r} (the grouped "
            "linearisation's organism separator): use train.linearization: pairs"
        )


def source_ids(tokenizer, title: str, abstract: str, max_chars: int, max_tokens: int) -> list[int]:
    """The document's tokens (no special tokens), truncated to `max_tokens`."""
    text = source_text(title, abstract, max_chars)
    return tokenizer.encode(text, add_special_tokens=False)[:max_tokens]


def prompt_ids(
    tokenizer, title: str, abstract: str, max_chars: int, max_source_tokens: int
) -> list[int]:
    """`[prefix] title abstract </s><s>` as token ids (source truncated to `max_source_tokens`)."""
    spec = layout(tokenizer)
    ids = source_ids(tokenizer, title, abstract, max_chars, max_source_tokens)
    return [*spec.prefix, *ids, *spec.boundary]


def source_of_prompt(tokenizer, prompt: list[int]) -> list[int]:
    """The source part of a prompt built by `prompt_ids` (what names may be copied from)."""
    spec = layout(tokenizer)
    return prompt[len(spec.prefix) : len(prompt) - len(spec.boundary)]


def _normal(text: str) -> str:
    """Lowercase, no whitespace: "</w>" BPE pieces (BioGPT) carry no spaces of their own."""
    return "".join(text.lower().split())


def _ascii(text: str) -> str:
    """Without non-ASCII characters: a byte-level piece may hold half of one ("–", "α")."""
    return text.encode("ascii", "ignore").decode()


def name_ids(tokenizer, name: str, source: list[int], pieces=None, boundaries=None) -> list[int]:
    """The source's tokens for `name`: a word-aligned, case-insensitive occurrence.

    An occurrence after a space is preferred (its tokens are the name's usual ones, as
    after "produces" or ";"); a name the text does not state (noisy labels) is tokenised
    as after a space.
    """
    found = source_name_ids(tokenizer, name, source, pieces, boundaries)
    if found is not None:
        return found
    return tokenizer.encode(" " + name.strip(), add_special_tokens=False)


def source_name_ids(tokenizer, name: str, source: list[int], pieces=None, boundaries=None):
    """The source's tokens for `name`, or None where the text does not state it."""
    wanted = _normal(name)
    if not wanted or not source:
        return None
    pieces = pieces if pieces is not None else piece_texts(tokenizer, source)
    starts, ends = boundaries or ([True] * len(source), [True] * len(source))
    found = [
        (i, j)
        for i, j in _occurrences(_ascii(wanted), pieces, starts, ends)
        if _normal(tokenizer.decode(source[i : j + 1])) == wanted  # exact, non-ASCII too
    ]
    if not found:
        return None
    spaced = [(i, j) for i, j in found if pieces[i][:1].isspace()]
    i, j = (spaced or found)[0]
    return source[i : j + 1]


def _occurrences(wanted: str, pieces: list[str], starts, ends):
    """(first, last) token index of each word-aligned occurrence of `wanted` (ASCII only)."""
    for i, first in enumerate(pieces):
        head = _ascii(_normal(first))
        if not starts[i] or not head or not wanted.startswith(head):
            continue
        text = ""
        for j in range(i, len(pieces)):
            text += pieces[j]
            seen = _ascii(_normal(text))
            if len(seen) > len(wanted) or not wanted.startswith(seen):
                break
            if seen == wanted and ends[j]:
                yield i, j


def piece_texts(tokenizer, ids: list[int]) -> list[str]:
    """The text of each token, with its leading space where it has one."""
    tokens = tokenizer.convert_ids_to_tokens(ids)
    return [tokenizer.convert_tokens_to_string([t]) if t else "" for t in tokens]


def target_ids(
    tokenizer,
    pairs: list[tuple[str, str]],
    source: list[int],
    stated_only: bool = False,
    linearization: Linearization = "pairs",
) -> list[int]:
    """`org produces chem; org produces chem <eos>` (grouped: `org produces chem; chem |
    org produces chem <eos>`), each name with the source's tokens.

    A chemical the text names only inside a contracted series ("amphidinolides A–D") is
    written as that expression, once for all its members (the extractor expands it).
    A name the text does not state is tokenised as after a space, or, with `stated_only`,
    its relation is left out.
    """
    from npre.linearization.name_boundaries import word_boundaries
    from npre.text.series import series_expression

    spec = layout(tokenizer)
    pieces = piece_texts(tokenizer, source)
    boundaries = word_boundaries(tokenizer, source)
    text = tokenizer.decode(source)
    cache: dict[tuple[str, bool], tuple[int, ...]] = {}

    def ids_of(name: str, chemical: bool) -> tuple[int, ...] | None:
        if (name, chemical) not in cache:
            found = source_name_ids(tokenizer, name, source, pieces, boundaries)
            expression = series_expression(text, name) if found is None and chemical else None
            if expression is not None:
                found = source_name_ids(tokenizer, expression, source, pieces, boundaries)
            if found is None and not stated_only:
                found = tokenizer.encode(" " + name.strip(), add_special_tokens=False)
            cache[(name, chemical)] = None if found is None else tuple(found)
        return cache[(name, chemical)]

    ordered = sorted(pairs, key=_text_order(text))
    named = ((ids_of(o.strip(), False), ids_of(c.strip(), True)) for o, c in ordered)
    relations = dict.fromkeys((o, c) for o, c in named if o is not None and c is not None)
    out: list[int] = []
    if linearization == "grouped":  # text order keeps an organism's relations together
        check_grouped(tokenizer, spec)
        groups: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for organism, chemical in relations:
            groups.setdefault(organism, []).append(chemical)
        for index, (organism, chemicals) in enumerate(groups.items()):
            out += spec.group_separator if index else []
            out += [*organism, *spec.produces]
            for position, chemical in enumerate(chemicals):
                out += [*spec.separator, *chemical] if position else [*chemical]
        return [*out, spec.eos]
    for index, (organism, chemical) in enumerate(relations):
        if index:
            out += spec.separator
        out += [*organism, *spec.produces, *chemical]
    return [*out, spec.eos]


def _text_order(text: str):
    """A sort key for relations: where the text first names the organism, then the
    chemical. Relations are written in that order, so the extractor reads the text once,
    left to right, instead of recalling which of a list it has written. Unstated names go
    last. Whitespace is ignored (some tokenizers decode "(+)-catechin" as "( + ) - catechin")."""
    from npre.text.matching import organism_variants
    from npre.text.series import series_expression

    compact = re.sub(r"\s+", "", text.lower())

    def first(names: list[str]) -> int:
        found = [compact.find(re.sub(r"\s+", "", n.lower())) for n in names if n.strip()]
        return min((i for i in found if i >= 0), default=len(compact))

    def key(pair: tuple[str, str]) -> tuple[int, int]:
        organism, chemical = (name.strip() for name in pair)
        series = series_expression(text, chemical) or ""
        return first(organism_variants(organism)), first([chemical, series])

    return key


def training_example(
    tokenizer,
    title: str,
    abstract: str,
    pairs: list[tuple[str, str]],
    max_chars: int,
    max_length: int,
    stated_only: bool = False,
    linearization: Linearization = "pairs",
) -> Example:
    spec = layout(tokenizer)
    frame = len(spec.prefix) + len(spec.boundary)
    source = source_ids(tokenizer, title, abstract, max_chars, max_length)
    target = target_ids(tokenizer, pairs, source, stated_only, linearization)
    budget = max(max_length - len(target) - frame, 8)
    if len(source) > budget:  # names found past the cut are no longer copyable: redo
        source = source[:budget]
        target = target_ids(tokenizer, pairs, source, stated_only, linearization)
    prompt = [*spec.prefix, *source, *spec.boundary]
    ids = (prompt + target)[:max_length]
    labels = ([-100] * len(prompt) + target)[:max_length]
    return Example(ids, labels)
