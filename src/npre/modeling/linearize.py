"""The paper's linearisation: `title abstract</s><s> org produces chem; org produces chem</s>`.

The model reads the document up to `</s><s>` and writes the relations; the training loss
covers only what it writes. Parsing the output never fails: malformed pieces are counted
and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

RELATION_VERB = " produces "
SEPARATOR = "; "


def source_text(title: str, abstract: str, max_chars: int) -> str:
    """The model's input: title and abstract, truncated to a character budget."""
    return f"{title.strip()} {abstract.strip()}".strip()[:max_chars]


def target_text(pairs: list[tuple[str, str]]) -> str:
    """The relations as the model must write them (deduplicated, order kept)."""
    unique = list(dict.fromkeys((o.strip(), c.strip()) for o, c in pairs))
    return SEPARATOR.join(f"{org}{RELATION_VERB}{chem}" for org, chem in unique)


@dataclass
class ParsedOutput:
    pairs: list[tuple[str, str]]
    malformed: int


def parse_relations(generated: str) -> ParsedOutput:
    """Relations from generated text; pieces without `X produces Y` are counted as malformed."""
    pairs: list[tuple[str, str]] = []
    malformed = 0
    for piece in generated.split(";"):
        piece = piece.strip()
        if not piece:
            continue
        organism, verb, chemical = piece.partition(RELATION_VERB)
        organism, chemical = organism.strip(), chemical.strip()
        if not verb or not organism or not chemical:
            malformed += 1
            continue
        if (organism, chemical) not in pairs:
            pairs.append((organism, chemical))
    return ParsedOutput(pairs, malformed)
