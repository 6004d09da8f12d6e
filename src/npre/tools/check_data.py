"""`npre check-data`: the data-quality checkpoints on a LOTUS table and an evaluation set."""

from __future__ import annotations

from pathlib import Path

import typer

from npre.command_helpers import fail
from npre.data.records import write_json


def command(
    lotus_table: Path = typer.Option(
        Path("data/demo/lotus_demo.tsv"), "--lotus", help="LOTUS table"
    ),
    evaluation: Path = typer.Option(
        Path("data/demo/eval_set.json"), "--eval", help="evaluation set"
    ),
    gx_root: Path = typer.Option(Path("expectations"), help="Great Expectations project folder"),
    report: Path | None = typer.Option(None, help="write the results here (JSON)"),
) -> None:
    """Run the data-quality checkpoints on a LOTUS table and an evaluation set (the CI gate)."""
    from npre.data.records import RecordError, read_curated_set
    from npre.data.tables import TableError, read_table
    from npre.gate.data_checks import run_checks
    from npre.lotus.filters import REQUIRED_COLUMNS

    try:
        results = run_checks(
            read_table(lotus_table, REQUIRED_COLUMNS), read_curated_set(evaluation), gx_root
        )
    except (TableError, RecordError) as exc:
        fail(str(exc))
    if report:
        write_json(report, results)
    for suite, outcome in results.items():
        status = "passed" if outcome["success"] else "FAILED"
        typer.echo(f"{suite}: {status}")
        for expectation, count in outcome["failures"].items():
            typer.echo(f"  {expectation}: {count} unexpected rows")
    if not all(outcome["success"] for outcome in results.values()):
        fail("data-quality checks failed (rows by line number or PMID: see --report)")
