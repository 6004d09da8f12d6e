"""`npre score`: predictions against gold relations with the paper's metric."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from npre.command_helpers import fail
from npre.data.records import write_json


def command(
    gold: Path = typer.Option(..., help="gold documents (curated-set JSON)"),
    pred: Path = typer.Option(..., help="predictions (JSON Lines: PMID, relations)"),
    out: Path | None = typer.Option(None, help="write the scores here (JSON)"),
) -> None:
    """Score predictions against gold relations with the paper's metric.

    Prints micro precision, recall and F1; --out also gets organism-only and chemical-only
    recall, per-kingdom scores and the parse failures (`malformed_pieces`).
    """
    from npre.data.records import RecordError, read_curated_set
    from npre.scoring.metric import score
    from npre.scoring.predictions import read_predictions

    try:
        gold_docs = read_curated_set(gold)
        predicted, malformed = read_predictions(pred)
    except (RecordError, OSError) as exc:
        fail(str(exc))
    result = score(
        {d.PMID: d.label_pairs() for d in gold_docs},
        predicted,
        {d.PMID: d.kingdom or "unknown" for d in gold_docs},
    )
    result["malformed_pieces"] = malformed  # parse failures the predictions file records
    if out:
        write_json(out, result)
    typer.echo(json.dumps({k: result[k] for k in ("precision", "recall", "f1")}))
