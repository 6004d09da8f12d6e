"""Derivative series: "xylomycins A, C and F" in the text, one compound per member.

Their grammar: a member is a stem and a suffix ("amphidinolide B", "xylaroside b2",
"ginkgolide 3"); a text names a series contracted, "amphidinolides A–D" or
"amphidinolides A, B and D" (stem case-insensitive, suffix letters as written), which
counts as mentioning each member (`npre.text.matching`).

Abstracts name series contracted ("amphidinolides A–D"), while labels and the curated
gold name each member ("amphidinolide B"). A copy-constrained extractor can only write
spans of the text, so it learns to write the series expression once (the training
target uses the expression wherever a label is a member of it), and the extractor
expands what it wrote back into members. A bare member suffix written alone ("C") is
dropped: it names no compound.
"""

from __future__ import annotations

import re

# A series member: a stem, a space, then a suffix: a letter, a letter and a digit, or a
# number ("eryloside G", "xylaroside b2", "ginkgolide 3"; lowercase as curated sets write
# some series).
SUFFIX_FORM = r"(?:[A-Za-z][1-9]?|\d{1,3})"
SERIES_MEMBER = re.compile(rf"^(?P<stem>.*[^\W\d_]\S*)\s+(?P<suffix>{SUFFIX_FORM})$")
SUFFIX = rf"{SUFFIX_FORM}(?![\w])"
ITEM = rf"{SUFFIX}(?:\s*[-–—]\s*{SUFFIX})?"
LIST_SEPARATOR = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)"
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


def listed_suffixes(listing: str) -> set[tuple[int, int]]:
    keys: set[tuple[int, int]] = set()
    for item in re.split(LIST_SEPARATOR, listing):
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
    pattern = rf"\b(?i:{re.escape(stem)})s?\s+(?P<listing>{ITEM}(?:{LIST_SEPARATOR}{ITEM})*)"
    wanted = suffix_key(suffix)
    for match in re.finditer(pattern, text):
        if wanted in listed_suffixes(match["listing"]):
            return match.group(0)
    return None


def mentions_series_member(text: str, chemical: str) -> bool:
    """Whether `text` names `chemical` inside a contracted series ("amphidinolides A–D")."""
    return series_expression(text, chemical) is not None


LISTING = rf"{ITEM}(?:{LIST_SEPARATOR}{ITEM})*"
# a written series: the (shortest) stem ending in a letter, then the suffix listing
WRITTEN_SERIES = re.compile(rf"^(?P<stem>.*?[^\W\d_])\s+(?P<listing>{LISTING})$")
BARE_SUFFIX = re.compile(rf"^{SUFFIX_FORM}$")


def _singular(stem: str) -> str:
    return stem[:-1] if stem.endswith("s") and len(stem) > 3 else stem


def members(expression: str) -> list[str]:
    """ "amphidinolides A–D" -> amphidinolide A ... D; a name that is no series: itself."""
    match = WRITTEN_SERIES.match(expression.strip())
    if not match:
        return [expression]
    keys = sorted(listed_suffixes(match["listing"]))
    if len(keys) < 2 and not match["stem"].endswith("s"):
        return [expression]  # "eryloside G": one member, already singular
    stem = _singular(match["stem"])
    return [f"{stem} {suffix_text(key)}" for key in keys] or [expression]


def expand_relations(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Each written series as its members; bare suffixes ("C") dropped."""
    expanded: list[tuple[str, str]] = []
    for organism, chemical in pairs:
        if BARE_SUFFIX.match(chemical.strip()):
            continue
        for name in members(chemical):
            if (organism, name) not in expanded:
                expanded.append((organism, name))
    return expanded
