"""From the pairs an extractor wrote to the relations it answers.

Series are expanded into members, organisms are written as LOTUS names the taxon, and
spans that name no organism or no chemical are dropped; a relation is answered once.
"""

from __future__ import annotations

from npre.text.names import is_chemical_name, is_organism_name, organism_name
from npre.text.series import expand_relations


def answer_relations(pairs: list[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """The document's relations from the extractor's `pairs`; `text` is its title and
    abstract (abbreviated genera are written out from it)."""
    named = [(organism_name(org, text), chem) for org, chem in expand_relations(pairs)]
    named = [(org, chem) for org, chem in named if is_organism_name(org)]
    organisms = {org.lower() for org, _ in named}
    answered: list[tuple[str, str]] = []
    for organism, chemical in named:
        if is_chemical_name(chemical, organisms) and (organism, chemical) not in answered:
            answered.append((organism, chemical))
    return answered
