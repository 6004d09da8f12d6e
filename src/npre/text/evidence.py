"""Evidence: where an extracted name first occurs in the title or abstract it came from."""

from __future__ import annotations

from npre.text.matching import find_span, organism_variants


def evidence(title: str, abstract: str, names: list[str]) -> dict | None:
    """{"field", "start", "end"} of the first occurrence of any of `names` (title first)."""
    for field, text in (("title", title), ("abstract", abstract)):
        span = find_span(text, names)
        if span:
            return {"field": field, "start": span[0], "end": span[1]}
    return None


def relation_evidence(title: str, abstract: str, organism: str, chemical: str) -> dict:
    """Both names' evidence; an organism also counts in its "G. species" form."""
    return {
        "organism_evidence": evidence(title, abstract, organism_variants(organism)),
        "chemical_evidence": evidence(title, abstract, [chemical]),
    }
