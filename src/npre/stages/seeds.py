"""The `seeds` stage: join the sampled references' LOTUS labels to their abstracts, split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, read_config
from npre.config.params import RunParams, SeedsParams
from npre.data.records import Chemical, Document, Entity

if TYPE_CHECKING:
    import pandas as pd


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
    import numpy as np

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


@dataclass(frozen=True)
class Config:
    run: RunParams
    seeds: SeedsParams


@dataclass(frozen=True)
class Paths:
    relations: Path  # relations table from `npre lotus`
    abstracts: Path  # abstracts from `npre abstracts`
    train: Path  # seed documents for synthesis (JSON Lines)
    valid: Path  # held-out seed documents for validation (JSON Lines)


def run(config: Config, paths: Paths) -> tuple[int, int]:
    """Label, split and write the seed documents; returns (train, valid) counts."""
    import pandas as pd

    from npre.data.records import read_documents, write_documents

    docs = label_documents(pd.read_parquet(paths.relations), read_documents(paths.abstracts))
    train, valid = split_documents(docs, config.seeds.valid_fraction, config.run.seed)
    write_documents(paths.train, train)
    write_documents(paths.valid, valid)
    return len(train), len(valid)


def command(
    relations: Path = typer.Argument(..., help="relations table from `npre lotus`"),
    abstracts_file: Path = typer.Argument(
        ..., metavar="ABSTRACTS", help="abstracts from `npre abstracts`"
    ),
    train: Path = typer.Option(..., help="seed documents for synthesis (JSON Lines)"),
    valid: Path = typer.Option(..., help="held-out seed documents for validation (JSON Lines)"),
    params: Path = PARAMS_OPTION,
) -> None:
    """Join LOTUS labels to the abstracts and split them into train and valid seeds."""
    config = read_config(Config, params)
    with StageTimer("seeds"):
        n_train, n_valid = run(config, Paths(relations, abstracts_file, train, valid))
        typer.echo(f"{n_train} train / {n_valid} valid seed documents")
