"""`npre plots`: every DVC plot as a PNG and on one HTML page that opens offline."""

from __future__ import annotations

from pathlib import Path

import typer

from npre.command_helpers import fail


def command(
    targets: list[str] | None = typer.Argument(
        None, help="plot ids or files of dvc.yaml (default: every plot)"
    ),
    out: Path = typer.Option(Path("reports/plots"), help="folder for the PNGs and index.html"),
    rev: list[str] | None = typer.Option(
        None, "--rev", help="compare revisions or experiments, as `dvc plots diff REV...`"
    ),
    scale: float = typer.Option(2.0, help="PNG pixels per chart unit (2: sharp on HiDPI)"),
) -> None:
    """Render the pipeline's plots (dvc.yaml) to PNG and to one self-contained HTML page.

    The data comes from `dvc plots show --json` (or `dvc plots diff --json` with --rev);
    the page needs no network, unlike `dvc plots show`'s. Plots that DVC cannot load (an
    output not produced yet) are named on stderr and on the page; the rest are drawn.
    """
    from npre.charts.dvc_plots import PlotsError, read_plots
    from npre.charts.offline import render

    try:
        plots = read_plots(targets or [], rev or [])
    except PlotsError as exc:
        fail(str(exc))
    for error in plots.errors:
        typer.echo(f"warning: {error}", err=True)
    if not plots.plots:
        fail(
            "no plot to draw: not in a DVC project, or its plots are not produced yet (`dvc repro`)"
        )
    written = render(plots, out, scale)
    for path in written[:-1]:
        typer.echo(str(path))
    typer.echo(f"{written[-1]}  (open in a browser; works offline)")
