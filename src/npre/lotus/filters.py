"""The paper's filters on LOTUS frozen metadata, read in chunks: the relations table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from npre.config.params import LotusParams
from npre.data.tables import iter_table_chunks

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


def _row_filters(chunk: pd.DataFrame, params: LotusParams, report: FilterReport) -> pd.DataFrame:
    """The filters that look at one row at a time (applied chunk by chunk)."""
    chunk = chunk.apply(lambda column: column.astype(str).str.strip())

    def step(name: str, keep: pd.Series) -> None:
        nonlocal chunk
        report.removed[name] = report.removed.get(name, 0) + int((~keep).sum())
        chunk = chunk[keep]

    step("no_pubmed_id", chunk["reference_pubmed_id"].str.fullmatch(r"\d+"))
    name_len = chunk["structure_nameTraditional"].str.len()
    step("bad_chemical_name", (name_len > 0) & (name_len <= params.max_chemical_name_length))
    step("no_organism", chunk["organism_name"].str.len() > 0)
    return chunk


def _table_filters(df: pd.DataFrame, params: LotusParams, report: FilterReport) -> pd.DataFrame:
    """The filters that need the whole (already reduced) table."""
    pair = ["reference_pubmed_id", "organism_wikidata", "structure_wikidata"]
    for name, keep in [
        ("duplicate_rows", lambda d: ~d.duplicated()),
        ("duplicate_relations", lambda d: ~d.duplicated(pair)),
    ]:
        mask = keep(df)
        report.removed[name] = int((~mask).sum())
        df = df[mask]
    per_reference = df.groupby("reference_pubmed_id").size()
    too_many = per_reference[per_reference > params.max_relations_per_reference].index
    mask = ~df["reference_pubmed_id"].isin(too_many)
    report.removed["reference_over_max_relations"] = int((~mask).sum())
    df = df[mask]
    kingdom = df["organism_taxonomy_02kingdom"]
    return df.assign(
        organism_taxonomy_02kingdom=kingdom.where(kingdom != "", params.unattributed_kingdom)
    ).reset_index(drop=True)


def _finish(df: pd.DataFrame, report: FilterReport) -> tuple[pd.DataFrame, FilterReport]:
    report.output_rows = len(df)
    report.references = int(df["reference_pubmed_id"].nunique())
    report.organisms = int(df["organism_wikidata"].nunique())
    report.chemicals = int(df["structure_wikidata"].nunique())
    return df, report


def filter_relations(table: pd.DataFrame, params: LotusParams) -> tuple[pd.DataFrame, FilterReport]:
    """Apply the paper's filters to a LOTUS table of strings; returns the table and a report."""
    report = FilterReport(input_rows=len(table))
    df = _table_filters(_row_filters(table, params, report), params, report)
    return _finish(df, report)


def load_relations(
    path: Path,
    params: LotusParams,
    chunk_rows: int = 200_000,
    pmid_map: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, FilterReport]:
    """Read a LOTUS frozen-metadata file (TSV/CSV, gzipped or not, or Parquet) and filter it.

    Memory stays bounded by the filtered table, not the input: only the LOTUS columns are
    read, in chunks, and row filters run on each chunk before the table-wide ones.
    Malformed rows stop the read with the file, line and column. LOTUS itself has DOIs,
    not PMIDs: with `pmid_map` (lowercased DOI -> PMID, see `npre doi2pmid`) the
    `reference_pubmed_id` column is filled from it.
    """
    path = Path(path)
    required = REQUIRED_COLUMNS
    if pmid_map is not None:
        required = [c for c in REQUIRED_COLUMNS if c != "reference_pubmed_id"] + ["reference_doi"]
    report = FilterReport()
    kept = []
    for chunk in iter_table_chunks(path, required, LOTUS_COLUMNS, chunk_rows):
        report.input_rows += len(chunk)
        if pmid_map is not None:
            dois = chunk["reference_doi"].str.strip().str.lower()
            chunk = chunk.assign(reference_pubmed_id=dois.map(pmid_map).fillna(""))
        kept.append(_row_filters(chunk, params, report))
    df = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=REQUIRED_COLUMNS)
    return _finish(_table_filters(df, params, report), report)
