"""The paper's rule for "the text mentions this entity", shared by every stage.

Case-insensitive; an organism also counts when written "G. species"; chemicals and
classes by their name. A member of a derivative series ("amphidinolide B") also counts
when the text names its series contracted, as the instructions write it: "amphidinolides
A–D", "amphidinolides A, B and D" (stem case-insensitive, suffix letters as written).
"""

from __future__ import annotations

import re


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


# A series member: a stem, a space, then a suffix: a letter, a letter and a digit, or a
# number ("eryloside G", "xylaroside b2", "ginkgolide 3"; lowercase as curated sets write
# some series).
_SUFFIX_FORM = r"(?:[A-Za-z][1-9]?|\d{1,3})"
SERIES_MEMBER = re.compile(rf"^(?P<stem>.*[^\W\d_]\S*)\s+(?P<suffix>{_SUFFIX_FORM})$")
_SUFFIX = rf"{_SUFFIX_FORM}(?![\w])"
_ITEM = rf"{_SUFFIX}(?:\s*[-–—]\s*{_SUFFIX})?"
_SEPARATOR = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)"
# suffix kinds: a letter, a number, a letter with a digit (its letter * 10 + the digit)
LETTER, NUMBER, LETTER_DIGIT = 0, 1, 2


def series_member(label: str) -> tuple[str, str] | None:
    """(stem, suffix) when `label` looks like a derivative-series member, else None."""
    match = SERIES_MEMBER.match(label.strip())
    return (match["stem"], match["suffix"]) if match else None


def suffix_key(suffix: str) -> tuple[int, int]:
    """Sort key and kind of a suffix: letters by alphabet, numbers by value, b1 after b."""
    if suffix.isdigit():
        return (NUMBER, int(suffix))
    if len(suffix) == 2:
        return (LETTER_DIGIT, ord(suffix[0]) * 10 + int(suffix[1]))
    return (LETTER, ord(suffix))


def suffix_text(key: tuple[int, int]) -> str:
    kind, value = key
    if kind == NUMBER:
        return str(value)
    if kind == LETTER_DIGIT:
        return f"{chr(value // 10)}{value % 10}"
    return chr(value)


def plural(stem: str) -> str:
    return stem if stem.endswith("s") else stem + "s"


def contract_suffixes(suffixes: list[str]) -> str:
    """Sorted suffixes with runs of 3 or more contracted: ["A","B","C","E"] -> "A–C and E"."""
    ordered = sorted(dict.fromkeys(suffixes), key=suffix_key)
    groups: list[list[str]] = []
    for suffix in ordered:
        kind, value = suffix_key(suffix)
        if groups and suffix_key(groups[-1][-1]) == (kind, value - 1):
            groups[-1].append(suffix)
        else:
            groups.append([suffix])
    items = []
    for run in groups:
        items.extend([f"{run[0]}–{run[-1]}"] if len(run) >= 3 else run)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def series_name(stem: str, suffixes: list[str]) -> str:
    """The contracted name of a series: ("amphidinolide", [A, B, C, D]) -> "amphidinolides A–D"."""
    return f"{plural(stem)} {contract_suffixes(suffixes)}"


def _listed_suffixes(listing: str) -> set[tuple[int, int]]:
    keys: set[tuple[int, int]] = set()
    for item in re.split(_SEPARATOR, listing):
        ends = [s.strip() for s in re.split(r"[-–—]", item)]
        first, last = suffix_key(ends[0]), suffix_key(ends[-1])
        same_letter = first[0] != LETTER_DIGIT or first[1] // 10 == last[1] // 10
        if first[0] == last[0] and same_letter:  # "A–D", "1–5", "b1–b3"
            keys.update((first[0], v) for v in range(first[1], last[1] + 1))
        else:
            keys.update((first, last))
    return keys


def series_expression(text: str, chemical: str) -> str | None:
    """The contracted series of `text` that names `chemical`, e.g. "amphidinolides A–D"."""
    member = series_member(chemical)
    if member is None:
        return None
    stem, suffix = member
    pattern = rf"\b(?i:{re.escape(stem)})s?\s+(?P<listing>{_ITEM}(?:{_SEPARATOR}{_ITEM})*)"
    wanted = suffix_key(suffix)
    for match in re.finditer(pattern, text):
        if wanted in _listed_suffixes(match["listing"]):
            return match.group(0)
    return None


def mentions_series_member(text: str, chemical: str) -> bool:
    """Whether `text` names `chemical` inside a contracted series ("amphidinolides A–D")."""
    return series_expression(text, chemical) is not None


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
