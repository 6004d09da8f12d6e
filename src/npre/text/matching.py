"""The paper's rule for "the text mentions this entity", shared by every stage.

Case-insensitive; an organism also counts when written "G. species"; chemicals and
classes by their name. A member of a derivative series ("amphidinolide B") also counts
when the text names its series contracted (`npre.text.series`).
"""

from __future__ import annotations

import re

from npre.text.series import mentions_series_member


def organism_variants(name: str) -> list[str]:
    """The full name and, for a binomial or longer, the abbreviated "G. species" form."""
    parts = name.split()
    variants = [name]
    if len(parts) >= 2 and len(parts[0]) > 1:
        variants.append(f"{parts[0][0]}. {' '.join(parts[1:])}")
    return variants


def find_span(text: str, names: list[str]) -> tuple[int, int] | None:
    """The first case-insensitive occurrence of any of `names` in `text`, as (start, end)."""
    lowered = text.lower()
    best = None
    for name in names:
        if not name:
            continue
        start = lowered.find(name.lower())
        if start >= 0 and (best is None or start < best[0]):
            best = (start, start + len(name))
    return best


def mentions_organism(text: str, organism: str) -> bool:
    return find_span(text, organism_variants(organism)) is not None


def mentions_chemical(text: str, chemical: str) -> bool:
    return find_span(text, [chemical]) is not None or mentions_series_member(text, chemical)


def alignment_score(text: str, pairs: list[tuple[str, str]]) -> float:
    """Fraction of label relations whose organism and chemical are both in the text."""
    if not pairs:
        return 0.0
    hits = sum(
        mentions_organism(text, org) and mentions_chemical(text, chem) for org, chem in pairs
    )
    return hits / len(pairs)


def word_pattern(words: list[str]) -> re.Pattern:
    """A case-insensitive pattern matching any of `words` as whole words."""
    escaped = sorted((re.escape(w) for w in words if w), key=len, reverse=True)
    return (
        re.compile(r"\b(?:" + "|".join(escaped) + r")\b", re.IGNORECASE)
        if escaped
        else re.compile(r"(?!x)x")
    )
