"""Prompt labels widened beyond one reference: shared chemicals and long lists.

Real abstracts often state one set of compounds for several organisms ("A and B were
found in C, D and E": every pair is a relation) or list a dozen compounds from one
organism. A LOTUS reference rarely has either, so an extractor trained on prompts built
one reference at a time learns to stop after one organism and a handful of compounds.
A widened prompt keeps its seed's labels and adds, from other seed documents:
- `shared`: organisms that produce the seed organism's chemicals too (same genus, else
  same kingdom, else any), so the prompt states a many-to-many relation set;
- `pooled`: another seed's chemicals for the seed's first organism (a long list).
The text generated from the prompt states exactly these labels, as every prompt's does;
they are synthetic pairings, not claims about the organisms.
"""

from __future__ import annotations

import random

from npre.data.records import Chemical, Document, Entity


def _genus(organism: str) -> str:
    return organism.split()[0].lower() if organism.split() else ""


def _donors(doc: Document, pool: list[Document]) -> list[Document]:
    """Other seed documents, those of the same kingdom first (stable order)."""
    others = [d for d in pool if d.PMID != doc.PMID and d.relations]
    return [d for d in others if d.kingdom == doc.kingdom] or others


def share_chemicals(
    doc: Document, pool: list[Document], rng: random.Random, max_relations: int
) -> Document:
    """`doc` with 1–3 more organisms, each related to every chemical of `doc`'s first
    organism; organisms of the same genus are preferred. At most `max_relations` in all."""
    if not doc.organisms or not doc.relations:
        return doc
    first = doc.organisms[0].id
    chemical_ids = list(dict.fromkeys(c for o, c in doc.relations if o == first))
    known = {_genus(o.label) for o in doc.organisms} | {o.label for o in doc.organisms}
    candidates = {
        o.label: o for d in _donors(doc, pool) for o in d.organisms if o.label not in known
    }
    if not candidates or not chemical_ids:
        return doc
    same_genus = [o for o in candidates.values() if _genus(o.label) in known]
    others = [o for o in candidates.values() if _genus(o.label) not in known]
    room = (max_relations - len(doc.relations)) // len(chemical_ids)
    count = min(rng.randint(1, 3), room, len(candidates))
    if count < 1:
        return doc
    rng.shuffle(same_genus)
    rng.shuffle(others)
    added = [
        Entity(id=f"{doc.PMID}-shared{k}", label=o.label)
        for k, o in enumerate((same_genus + others)[:count])
    ]
    relations = list(doc.relations) + [(o.id, c) for o in added for c in chemical_ids]
    return doc.model_copy(update={"organisms": list(doc.organisms) + added, "relations": relations})


def pool_chemicals(
    doc: Document, pool: list[Document], rng: random.Random, max_relations: int
) -> Document:
    """`doc` with another seed's chemicals (same kingdom where possible) added to its
    first organism, up to `max_relations` relations in all."""
    if not doc.organisms:
        return doc
    donors = _donors(doc, pool)
    if not donors:
        return doc
    donor = rng.choice(donors)
    have = {c.label.lower() for c in doc.chemicals}
    donated = [c for c in donor.chemicals if c.type == "chemical" and c.label.lower() not in have]
    donated = donated[: max(0, max_relations - len(doc.relations))]
    if not donated:
        return doc
    added = [
        Chemical(id=f"{doc.PMID}-pooled{k}", label=c.label, superclass=c.superclass)
        for k, c in enumerate(donated)
    ]
    first = doc.organisms[0].id
    return doc.model_copy(
        update={
            "chemicals": list(doc.chemicals) + added,
            "relations": list(doc.relations) + [(first, c.id) for c in added],
        }
    )


def widen(
    doc: Document,
    pool: list[Document],
    rng: random.Random,
    shared_probability: float,
    pooled_probability: float,
    max_relations: int,
) -> Document:
    """`doc`'s labels, widened as drawn: pooled chemicals first (so shared organisms
    share the long list too), then shared organisms."""
    if rng.random() < pooled_probability:
        doc = pool_chemicals(doc, pool, rng, max_relations)
    if rng.random() < shared_probability:
        doc = share_chemicals(doc, pool, rng, max_relations)
    return doc
