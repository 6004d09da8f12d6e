"""The `lotus` stage: LOTUS frozen metadata -> filtered relations table (the paper's filters)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from npre.params import LotusParams

LOTUS_COLUMNS = [
    "structure_wikidata",
    "structure_inchikey",
    "structure_nameTraditional",
    "structure_taxonomy_npclassifier_02superclass",
    "organism_wikidata",
    "organism_name",
    "organism_taxonomy_02kingdom",
    "reference_wikidata",
    "reference_doi",
    "reference_pubmed_id",
]
REQUIRED_COLUMNS = [
    "structure_wikidata",
    "structure_nameTraditional",
    "organism_wikidata",
    "organism_name",
    "organism_taxonomy_02kingdom",
    "reference_wikidata",
    "reference_pubmed_id",
]


@dataclass
class FilterReport:
    """How many rows each filter removed, in the order they ran."""

    input_rows: int = 0
    removed: dict[str, int] = field(default_factory=dict)
    output_rows: int = 0
    references: int = 0
    organisms: int = 0
    chemicals: int = 0

    def as_metrics(self) -> dict:
        return {
            "input_rows": self.input_rows,
            "removed": self.removed,
            "output_rows": self.output_rows,
            "references": self.references,
            "organisms": self.organisms,
            "chemicals": self.chemicals,
        }


def filter_relations(table: pd.DataFrame, params: LotusParams) -> tuple[pd.DataFrame, FilterReport]:
    """Apply the paper's filters to a LOTUS table of strings; returns the table and a report."""
    report = FilterReport(input_rows=len(table))
    df = table.copy()

    def step(name: str, keep: pd.Series) -> None:
        nonlocal df
        report.removed[name] = int((~keep).sum())
        df = df[keep]

    for column in df.columns:
        df[column] = df[column].astype(str).str.strip()
    step("duplicate_rows", ~df.duplicated())
    step("no_pubmed_id", df["reference_pubmed_id"].str.fullmatch(r"\d+"))
    name_len = df["structure_nameTraditional"].str.len()
    step(
        "bad_chemical_name",
        (name_len > 0) & (name_len <= params.max_chemical_name_length),
    )
    step("no_organism", df["organism_name"].str.len() > 0)
    relations = df.drop_duplicates(
        ["reference_pubmed_id", "organism_wikidata", "structure_wikidata"]
    )
    per_reference = relations.groupby("reference_pubmed_id").size()
    too_many = per_reference[per_reference > params.max_relations_per_reference].index
    step("reference_over_max_relations", ~df["reference_pubmed_id"].isin(too_many))
    df = df.drop_duplicates(["reference_pubmed_id", "organism_wikidata", "structure_wikidata"])
    kingdom = df["organism_taxonomy_02kingdom"]
    df = df.assign(
        organism_taxonomy_02kingdom=kingdom.where(kingdom != "", params.unattributed_kingdom)
    )
    df = df.reset_index(drop=True)
    report.output_rows = len(df)
    report.references = int(df["reference_pubmed_id"].nunique())
    report.organisms = int(df["organism_wikidata"].nunique())
    report.chemicals = int(df["structure_wikidata"].nunique())
    return df, report
