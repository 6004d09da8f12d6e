"""`npre grid-table`: the experiment grid's scores, best first (what `make demo` prints)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def command(
    grid: Path = typer.Argument(..., help="reports/grid.json from `npre register`"),
    baseline: Path | None = typer.Option(None, help="metrics of the untrained base model"),
    register: Path | None = typer.Option(None, help="reports/register.json: marks the winner"),
) -> None:
    """Print the experiment grid's precision, recall and F1, best first."""
    rows = json.loads(grid.read_text())
    chosen = json.loads(register.read_text()).get("variant") if register else None
    typer.echo(f"{'variant':<28} {'P':>6} {'R':>6} {'F1':>6}")
    for name, row in sorted(rows.items(), key=lambda kv: -kv[1]["f1"]):
        mark = "  <- registered" if name == chosen else ""
        typer.echo(
            f"{name:<28} {row['precision']:>6.3f} {row['recall']:>6.3f} {row['f1']:>6.3f}{mark}"
        )
    if baseline:
        base = json.loads(baseline.read_text())
        typer.echo(
            f"{'untrained base model':<28} {base['precision']:>6.3f} {base['recall']:>6.3f} "
            f"{base['f1']:>6.3f}"
        )
