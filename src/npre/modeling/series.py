"""Derivative series: "xylomycins A, C and F" in the text, one compound per member.

Abstracts name series contracted ("amphidinolides A–D"), while labels and the curated
gold name each member ("amphidinolide B"). A copy-constrained extractor can only write
spans of the text, so it learns to write the series expression once (the training
target uses the expression wherever a label is a member of it), and the extractor
expands what it wrote back into members. A bare member suffix written alone ("C") is
dropped: it names no compound.
"""

from __future__ import annotations

import re

from npre.text.matching import _ITEM, _SEPARATOR, _SUFFIX_FORM, _listed_suffixes, suffix_text

LISTING = rf"{_ITEM}(?:{_SEPARATOR}{_ITEM})*"
# a written series: the (shortest) stem ending in a letter, then the suffix listing
WRITTEN_SERIES = re.compile(rf"^(?P<stem>.*?[^\W\d_])\s+(?P<listing>{LISTING})$")
BARE_SUFFIX = re.compile(rf"^{_SUFFIX_FORM}$")


def _singular(stem: str) -> str:
    return stem[:-1] if stem.endswith("s") and len(stem) > 3 else stem


def members(expression: str) -> list[str]:
    """ "amphidinolides A–D" -> amphidinolide A ... D; a name that is no series: itself."""
    match = WRITTEN_SERIES.match(expression.strip())
    if not match:
        return [expression]
    keys = sorted(_listed_suffixes(match["listing"]))
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
