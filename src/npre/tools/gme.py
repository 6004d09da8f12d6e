"""`npre gme`: the Greedy Maximum Entropy sampler on any table (the paper's stand-alone tool)."""

from __future__ import annotations

from pathlib import Path

import typer

from npre.command_helpers import StageTimer, fail


def command(
    table: Path = typer.Argument(..., help="any table: TSV, CSV (.gz) or Parquet; read as strings"),
    item_column: str = typer.Option(..., help="column naming the item (document) of each row"),
    on: str = typer.Option(
        ..., help="entity columns, comma-separated (e.g. structure_wikidata,organism_wikidata)"
    ),
    n: str = typer.Option("all", help="items to select (per group), or 'all' for the full ranking"),
    binarised: bool = typer.Option(False, help="count each entity once per item"),
    selector: str = typer.Option("dutopia", help="dutopia (distance to the utopia point) or sum"),
    group_by: str | None = typer.Option(None, help="sample each group (e.g. kingdom) on its own"),
    out: Path = typer.Option(..., help="selected items in order, with entropies after each (TSV)"),
) -> None:
    """Greedy Maximum Entropy sampling: items that maximise the entities' Shannon entropy."""
    import pandas as pd

    from npre.data.tables import TableError, read_table
    from npre.sampling.gme import gme_sample

    on_columns = [c.strip() for c in on.split(",") if c.strip()]
    if n != "all" and not n.isdigit():
        fail(f"--n must be a number or 'all', got {n!r}")
    count = None if n == "all" else int(n)
    if selector not in ("dutopia", "sum"):
        fail(f"--selector must be 'dutopia' or 'sum', got {selector!r}")
    with StageTimer("gme"):
        try:
            frame = read_table(table, [item_column, *on_columns, *([group_by] if group_by else [])])
        except TableError as exc:
            fail(str(exc))
        groups = (
            sorted(frame.groupby(group_by), key=lambda kv: kv[0]) if group_by else [(None, frame)]
        )
        results = []
        for name, sub in groups:
            picked = gme_sample(sub, item_column, on_columns, count, selector, binarised)
            if group_by:
                picked.insert(0, group_by, name)
            results.append(picked)
        result = pd.concat(results, ignore_index=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(out, sep="\t", index=False)
        typer.echo(f"{len(result)} items selected")
