"""The `select` stage: a teacher keeps the synthetic documents whose labels it can explain.

The teacher (a LoRA extractor on the same base model) is trained on all validated
synthetic documents; each document is then scored by the loss of its linearised labels
given its text (`select.score`: its worst-explained name, or the mean over all label
tokens; `modeling/label_losses.py`). Low loss = labels well supported by the text (high
mutual information, MI2RAGE); the lowest-loss fraction is kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, read_config, set_threads
from npre.config.model_params import SelectParams
from npre.config.params import RunParams
from npre.data.records import Document, write_json

if TYPE_CHECKING:
    import pandas as pd


def train_teacher(docs: list[Document], base_dir: Path, params: SelectParams, seed: int):
    """The teacher: a LoRA extractor on the base model, trained on `docs`; (model, tokenizer)."""
    from npre.base_model.loading import load_base_model, load_tokenizer
    from npre.training.lora import prepare_peft_model, train_lora

    if not docs:
        raise ValueError("no documents to select from")
    tokenizer = load_tokenizer(base_dir)
    teacher = prepare_peft_model(
        load_base_model(base_dir, params.teacher.quantization), params.teacher, seed
    )
    train_lora(teacher, tokenizer, docs, params.teacher, seed)
    return teacher, tokenizer


def keep_lowest(
    docs: list[Document], losses: list[float], keep_fraction: float
) -> tuple[list[Document], pd.DataFrame, dict]:
    """The lowest-loss fraction of `docs` (ties: by PMID), the per-document table, a report."""
    import pandas as pd

    n_keep = max(1, math.ceil(len(docs) * keep_fraction))
    order = sorted(range(len(docs)), key=lambda i: (losses[i], docs[i].PMID))
    keep = set(order[:n_keep])
    kept = [docs[i].model_copy(update={"teacher_loss": losses[i]}) for i in sorted(keep)]
    table = pd.DataFrame(
        {
            "PMID": [d.PMID for d in docs],
            "teacher_loss": losses,
            "kept": [i in keep for i in range(len(docs))],
        }
    )
    report = {
        "documents": len(docs),
        "kept": len(kept),
        "keep_fraction": keep_fraction,
        "loss_threshold": losses[order[n_keep - 1]],
        "mean_loss_kept": float(pd.Series([losses[i] for i in keep]).mean()),
        "mean_loss_all": float(pd.Series(losses).mean()),
    }
    return kept, table, report


def select_documents(
    docs: list[Document], base_dir: Path, params: SelectParams, seed: int
) -> tuple[list[Document], pd.DataFrame, dict]:
    from npre.training.label_losses import document_losses

    teacher, tokenizer = train_teacher(docs, base_dir, params, seed)
    losses = document_losses(teacher, tokenizer, docs, params.teacher, params.score)
    kept, table, report = keep_lowest(docs, losses, params.keep_fraction)
    return kept, table, report | {"score": params.score}


def loss_histogram(table: pd.DataFrame, bins: int = 20) -> pd.DataFrame:
    """Binned teacher losses for a DVC bar plot."""
    import pandas as pd

    counts = pd.cut(table["teacher_loss"], bins=bins).value_counts(sort=False)
    return pd.DataFrame(
        {"loss": [round(i.mid, 4) for i in counts.index], "documents": counts.to_numpy()}
    )


@dataclass(frozen=True)
class Config:
    run: RunParams
    select: SelectParams


@dataclass(frozen=True)
class Paths:
    synthetic: Path  # validated synthetic documents
    base: Path  # base model folder (the teacher's family)
    out: Path  # kept documents (JSON Lines)
    scores: Path  # per-document teacher loss and kept flag (CSV)
    metrics: Path  # kept count, loss threshold (JSON)
    histogram: Path  # teacher-loss histogram (CSV, a DVC plot)


def run(config: Config, paths: Paths) -> dict:
    """Train the teacher, keep the lowest-loss fraction, write everything; returns the report."""
    from npre.data.records import read_documents, write_documents

    set_threads(config.run.num_threads)
    docs = read_documents(paths.synthetic)
    kept, table, report = select_documents(docs, paths.base, config.select, config.run.seed)
    write_documents(paths.out, kept)
    paths.scores.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(paths.scores, index=False)
    paths.histogram.parent.mkdir(parents=True, exist_ok=True)
    loss_histogram(table).to_csv(paths.histogram, index=False)
    write_json(paths.metrics, report)
    return report


def command(
    synthetic: Path = typer.Argument(..., help="validated synthetic documents"),
    base: Path = typer.Option(..., help="base model folder (the teacher's family)"),
    out: Path = typer.Option(..., help="kept documents (JSON Lines)"),
    scores: Path = typer.Option(..., help="CSV: per-document teacher loss and kept flag"),
    metrics: Path = typer.Option(..., help="JSON: kept count, loss threshold"),
    histogram: Path = typer.Option(..., help="CSV: teacher-loss histogram (a DVC plot)"),
    params: Path = PARAMS_OPTION,
) -> None:
    """Train a teacher on the synthetic documents and keep the lowest-loss fraction."""
    config = read_config(Config, params)
    with StageTimer("select"):
        report = run(config, Paths(synthetic, base, out, scores, metrics, histogram))
        typer.echo(
            f"kept {report['kept']}/{report['documents']} documents "
            f"(teacher loss <= {report['loss_threshold']:.3f})"
        )
