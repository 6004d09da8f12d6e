"""The `lotus` stage: the paper's filters on a LOTUS table -> the relations table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config
from npre.config.params import LotusParams
from npre.data.records import write_json


@dataclass(frozen=True)
class Config:
    lotus: LotusParams


@dataclass(frozen=True)
class Paths:
    table: Path  # LOTUS frozen metadata (TSV, CSV, .gz or Parquet)
    out: Path  # relations table (.parquet)
    metrics: Path  # rows removed by each filter (JSON)
    pmid_map: Path | None = None  # DOI -> PMID table from `npre doi2pmid`


def run(config: Config, paths: Paths):
    """Filter the table and write the relations and the report; returns the report."""
    from npre.data.tables import read_table
    from npre.lotus.filters import load_relations

    mapping = None
    if paths.pmid_map is not None:
        frame = read_table(paths.pmid_map, ["doi", "pmid"])
        mapping = dict(zip(frame["doi"].str.lower(), frame["pmid"], strict=True))
    relations, report = load_relations(paths.table, config.lotus, pmid_map=mapping)
    paths.out.parent.mkdir(parents=True, exist_ok=True)
    relations.to_parquet(paths.out, index=False)
    write_json(paths.metrics, report.as_metrics())
    return report


def command(
    table: Path = typer.Argument(..., help="LOTUS frozen metadata (TSV, CSV, .gz or Parquet)"),
    out: Path = typer.Option(..., help="filtered relations table (.parquet)"),
    metrics: Path = typer.Option(..., help="JSON report: rows removed by each filter"),
    pmid_map: Path | None = typer.Option(
        None, help="DOI -> PMID table from `npre doi2pmid`, for LOTUS files without PMIDs"
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Apply the paper's LOTUS filters and write the relations table."""
    from npre.data.tables import TableError

    config = read_config(Config, params)
    with StageTimer("lotus"):
        try:
            report = run(config, Paths(table, out, metrics, pmid_map))
        except TableError as exc:
            fail(str(exc))
        typer.echo(
            f"{report.output_rows} relations over {report.references} references; "
            f"removed {report.removed}"
        )
