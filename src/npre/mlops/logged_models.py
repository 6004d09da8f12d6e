"""Every grid variant as an MLflow LoggedModel, its evaluation linked to the evaluation set.

The `register` stage logs each variant's extractor into the run that trained it (model
type `npre-extractor`, named after the variant, its base model referred to: `shared_base`)
and logs the evaluation metrics against both the model and the evaluation set, so
MLflow's model views and `search_logged_models()` rank the variants:

    mlflow.search_logged_models(
        experiment_ids=[...], filter_string="model_type = 'npre-extractor'",
        order_by=[{"field_name": "metrics.eval_f1", "ascending": False}])

A variant whose adapter is already logged in its run (the stage re-run, training not)
is not logged twice: its LoggedModel is reused and the metrics logged to it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXTRACTOR_MODEL_TYPE = "npre-extractor"
VARIANT_TAG = "npre.variant"
ADAPTER_TAG = "npre.adapter_digest"
METRICS = {"eval_precision": "precision", "eval_recall": "recall", "eval_f1": "f1"}


@dataclass(frozen=True)
class LoggedVariant:
    name: str
    model_id: str
    run_id: str
    reused: bool  # logged by an earlier run of the stage

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"


def evaluation_dataset(gold: Path):
    """The evaluation set as an MLflow dataset (its digest identifies the set)."""
    from npre.data.records import read_curated_set
    from npre.mlops.tracking import documents_dataset

    return documents_dataset(read_curated_set(gold), str(gold), Path(gold).stem)


def _logged_before(run_id: str, adapter_digest: str, experiment_id: str) -> str | None:
    from mlflow import MlflowClient

    found = MlflowClient().search_logged_models(
        experiment_ids=[experiment_id],
        filter_string=f"source_run_id = '{run_id}' AND tags.`{ADAPTER_TAG}` = '{adapter_digest}'",
    )
    ready = [model.model_id for model in found if str(model.status) == "READY"]
    return ready[0] if ready else None


def log_variant(
    name: str,
    adapter_dir: Path,
    artifacts: dict[str, str],
    scores: dict,
    input_example,
    dataset=None,
    tags: dict[str, str] | None = None,
) -> LoggedVariant:
    """Log one variant's extractor into its training run (unless this adapter is logged
    there already) and its evaluation `scores` against the model and `dataset`."""
    import mlflow

    from npre.mlops.pyfunc_model import log_extractor
    from npre.mlops.shared_base import folder_digest
    from npre.mlops.tracking import read_run_id

    run_id = read_run_id(adapter_dir)
    digest = folder_digest(adapter_dir)
    experiment_id = mlflow.get_run(run_id).info.experiment_id
    model_id = _logged_before(run_id, digest, experiment_id)
    reused = model_id is not None
    with mlflow.start_run(run_id=run_id):
        if model_id is None:
            model_tags = {VARIANT_TAG: name, ADAPTER_TAG: digest, **(tags or {})}
            info = log_extractor(artifacts, input_example, name=name, tags=model_tags)
            model_id = info.model_id
        if dataset is not None:  # an input of the run, beside its training and validation sets
            mlflow.log_input(dataset, context="evaluation")
        metrics = {key: float(scores[field]) for key, field in METRICS.items()}
        mlflow.log_metrics(metrics, model_id=model_id, dataset=dataset)
    return LoggedVariant(name, model_id, run_id, reused)


def ranked_variants(experiment_id: str, metric: str = "eval_f1") -> list:
    """The experiment's logged extractors, best `metric` first (MLflow's own ranking)."""
    import mlflow

    return mlflow.search_logged_models(
        experiment_ids=[experiment_id],
        filter_string=f"model_type = '{EXTRACTOR_MODEL_TYPE}'",
        order_by=[{"field_name": f"metrics.{metric}", "ascending": False}],
        output_format="list",
    )
