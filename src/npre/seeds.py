"""The `seeds` stage: join the sampled references' LOTUS labels to their abstracts, split."""

from __future__ import annotations

import numpy as np
import pandas as pd

from npre.records import Chemical, Document, Entity


def label_documents(relations: pd.DataFrame, abstracts: list[Document]) -> list[Document]:
    """One labelled document per abstract: its organisms, chemicals and relations."""
    docs = []
    grouped = dict(tuple(relations.groupby("reference_pubmed_id")))
    for abstract in abstracts:
        rows = grouped.get(abstract.PMID)
        if rows is None:
            continue
        organisms = {
            r.organism_wikidata: Entity(id=r.organism_wikidata, label=r.organism_name)
            for r in rows.itertuples()
        }
        chemicals = {
            r.structure_wikidata: Chemical(
                id=r.structure_wikidata,
                label=r.structure_nameTraditional,
                superclass=getattr(r, "structure_taxonomy_npclassifier_02superclass", "") or None,
            )
            for r in rows.itertuples()
        }
        pairs = list(
            dict.fromkeys(zip(rows.organism_wikidata, rows.structure_wikidata, strict=True))
        )
        first = rows.iloc[0]
        docs.append(
            abstract.model_copy(
                update={
                    "organisms": list(organisms.values()),
                    "chemicals": list(chemicals.values()),
                    "relations": pairs,
                    "kingdom": first["organism_taxonomy_02kingdom"],
                    "doi": first.get("reference_doi") or None,
                    "id": first.get("reference_wikidata") or None,
                }
            )
        )
    return docs


def split_documents(
    docs: list[Document], valid_fraction: float, seed: int
) -> tuple[list[Document], list[Document]]:
    """Random split into (train, valid), stratified by kingdom, reproducible with `seed`."""
    rng = np.random.default_rng(seed)
    train, valid = [], []
    by_kingdom: dict[str, list[Document]] = {}
    for doc in sorted(docs, key=lambda d: d.PMID):
        by_kingdom.setdefault(doc.kingdom or "", []).append(doc)
    for kingdom in sorted(by_kingdom):
        group = by_kingdom[kingdom]
        order = rng.permutation(len(group))
        n_valid = int(round(len(group) * valid_fraction))
        for rank, index in enumerate(order):
            (valid if rank < n_valid else train).append(group[index])
    return train, valid
