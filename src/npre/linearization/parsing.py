"""Relations read back from generated ids, each with the probability of its tokens."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from npre.linearization.format import Linearization
from npre.linearization.tokens import layout


@dataclass
class ParsedIds:
    pairs: list[tuple[str, str]]
    malformed: int
    confidences: list[float] = field(default_factory=list)  # with log-probabilities only


def parse_output_ids(
    tokenizer,
    ids: list[int],
    logprobs: list[float] | None = None,
    linearization: Linearization = "pairs",
) -> ParsedIds:
    """Relations from generated ids, split on the grammar's delimiter tokens.

    The same state machine as the decoding grammar: after a name, `produces` switches to
    the chemical, `;` back to an organism (grouped: `;` to the same organism's next
    chemical, `|` to an organism). Pieces without both names are malformed.
    With `logprobs` (one per id), a relation's confidence is the probability of its
    organism's tokens and of its chemical's, each with the delimiter before it (the
    choice to go on rather than end); a relation written twice keeps the higher.
    """
    spec = layout(tokenizer)
    grouped = linearization == "grouped"
    specials = set(tokenizer.all_special_ids)
    # per relation: [organism ids, chemical ids]; and the id ranges their probability covers
    relations: list[list[list[int]]] = [[[]]]
    ranges: list[list[list[int]]] = [[[0, 0]]]
    i = 0
    while i < len(ids):
        current, spans = relations[-1], ranges[-1]
        after_chemical = len(current) == 2
        if current[-1] and after_chemical and grouped and _at(ids, i, spec.group_separator):
            relations.append([[]])
            ranges.append([[i, i + len(spec.group_separator)]])
            i += len(spec.group_separator)
        elif current[-1] and after_chemical and _at(ids, i, spec.separator):
            end = i + len(spec.separator)
            if grouped:  # the same organism's next chemical
                relations.append([current[0], []])
                ranges.append([spans[0], [i, end]])
            else:
                relations.append([[]])
                ranges.append([[i, end]])
            i = end
        elif current[-1] and not after_chemical and _at(ids, i, spec.produces):
            spans[0][1] = i + len(spec.produces)
            current.append([])
            spans.append([i + len(spec.produces)] * 2)
            i += len(spec.produces)
        else:
            if ids[i] not in specials:
                current[-1].append(ids[i])
            i += 1
            spans[-1][1] = i
    pairs: list[tuple[str, str]] = []
    confidences: list[float] = []
    malformed = 0
    for relation, spans in zip(relations, ranges, strict=True):
        names = [tokenizer.decode(part).strip() for part in relation]
        if len(names) != 2 or not all(names):
            malformed += any(names)
            continue
        logprob = sum(sum(logprobs[start:end]) for start, end in spans) if logprobs else 0.0
        confidence = math.exp(logprob) if logprobs is not None else 1.0
        pair = (names[0], names[1])
        if pair in pairs:
            at = pairs.index(pair)
            confidences[at] = max(confidences[at], confidence)
            continue
        pairs.append(pair)
        confidences.append(confidence)
    return ParsedIds(pairs, malformed, confidences)


def _at(ids: list[int], i: int, delimiter: list[int]) -> bool:
    return bool(delimiter) and ids[i : i + len(delimiter)] == delimiter
