"""From the pairs an extractor wrote to the relations it answers, each with its confidence.

Series are expanded into members, organisms are written as LOTUS names the taxon, and
spans that name no organism or no chemical are dropped; a relation is answered once, with
the highest confidence of the pairs that gave it.
"""

from __future__ import annotations

from npre.text.names import is_chemical_name, is_organism_name, organism_name
from npre.text.series import BARE_SUFFIX, members

Pair = tuple[str, str]


def scored_answers(
    pairs: list[Pair], confidences: list[float], text: str
) -> list[tuple[Pair, float]]:
    """The document's relations and their confidences from the extractor's `pairs`;
    `text` is its title and abstract (abbreviated genera are written out from it). A
    series member inherits the confidence of the series the extractor wrote."""
    named: dict[Pair, float] = {}
    for (organism, chemical), confidence in zip(pairs, confidences, strict=True):
        if BARE_SUFFIX.match(chemical.strip()):
            continue  # a bare member suffix ("C") names no compound
        taxon = organism_name(organism, text)
        if not is_organism_name(taxon):
            continue
        for member in members(chemical):
            pair = (taxon, member)
            named[pair] = max(confidence, named.get(pair, 0.0))
    organisms = {organism.lower() for organism, _ in named}
    return [
        ((organism, chemical), confidence)
        for (organism, chemical), confidence in named.items()
        if is_chemical_name(chemical, organisms)
    ]


def answer_relations(pairs: list[Pair], text: str) -> list[Pair]:
    """The document's relations from the extractor's `pairs` (without confidences)."""
    return [pair for pair, _ in scored_answers(pairs, [1.0] * len(pairs), text)]
