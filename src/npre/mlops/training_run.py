"""The MLflow run of one training: its tags, parameters, datasets, epoch curve and record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from npre.data.records import Document
from npre.mlops.tracking import RUN_FILE, documents_dataset, run_tags, setup


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
) -> Iterator[TrainingRun]:
    """One MLflow run around a training: tags (inputs' DVC hashes, git commit, variant),
    `params`, the training and validation sets as datasets; at the end the run's ids go to
    `out_dir`'s run record, which `evaluate` and `register` follow back to it."""
    import mlflow

    setup(experiment)
    valid_path, valid_docs = valid
    # CPU, memory and disk use beside the training curves (psutil; every 10 s by default,
    # MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL overrides)
    with mlflow.start_run(run_name=run_name, log_system_metrics=True) as run:
        tags = {**run_tags([*train_sets, valid_path, str(base_dir)]), "npre.stage": "train"}
        if variant:
            tags["npre.variant"] = variant
        mlflow.set_tags(tags)
        mlflow.log_params(params)
        for path, docs in train_sets.items():
            mlflow.log_input(documents_dataset(docs, path, Path(path).stem), context="training")
        mlflow.log_input(
            documents_dataset(valid_docs, valid_path, Path(valid_path).stem), context="validation"
        )
        yield TrainingRun()
        record = {"run_id": run.info.run_id, "experiment_id": run.info.experiment_id}
        (out_dir / RUN_FILE).write_text(json.dumps(record) + "\n")
