"""The grid's variants in MLflow: each logged as a LoggedModel with its evaluation (the
shared base model stored once), the best registered with its model card."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from npre.config.grid import Variant
from npre.config.params import RegisterParams
from npre.mlops.model_card import MODEL_DESCRIPTION
from npre.mlops.registry import eval_set_hash


def input_example():
    """The model signature's example: one abstract, as a DataFrame of title and abstract."""
    import pandas as pd

    return pd.DataFrame(
        {
            "title": ["Sesquiterpene lactones from the aerial parts of Artemisia annua"],
            "abstract": [
                "Chemical investigation of the aerial parts of Artemisia annua led to the "
                "isolation of artemisinin and arteannuin B. Their structures were elucidated "
                "by NMR."
            ],
        }
    )


def grid_table(variants: list[Variant], evaluations_dir: Path) -> dict[str, dict]:
    """Each variant's evaluation scores; a missing evaluation is named in the error."""
    table = {}
    for variant in variants:
        path = Path(evaluations_dir) / variant.name / "metrics.json"
        if not path.exists():
            raise FileNotFoundError(
                f"no evaluation for grid variant {variant.name}: {path} is missing "
                f"(run `dvc repro evaluate@{variant.name}`)"
            )
        scores = json.loads(path.read_text())
        table[variant.name] = {
            **asdict(variant),
            **{key: scores[key] for key in ("precision", "recall", "f1")},
        }
    return table


def register_best_variant(
    variants: list[Variant],
    adapters_dir: Path,
    evaluations_dir: Path,
    base_dir: Path,
    params: RegisterParams,
    lotus: Path | None = None,
    gold: Path | None = None,
) -> tuple[dict, dict]:
    """Log every variant as an MLflow model with its evaluation, then register the one
    with the best F1 (ties: the first in grid order); `gold`, the evaluation set the F1s
    come from, decides which registered versions compare."""
    table = grid_table(variants, evaluations_dir)
    best = max(variants, key=lambda v: (table[v.name]["f1"], -variants.index(v)))
    for variant in variants:
        if not (Path(adapters_dir) / variant.name).is_dir():
            raise FileNotFoundError(
                f"no adapter for grid variant {variant.name}: {Path(adapters_dir) / variant.name}"
            )
    logged = log_every_variant(variants, table, adapters_dir, base_dir, params, lotus, gold)
    decision = register_model(
        logged[best.name],
        table[best.name]["f1"],
        params,
        lotus,
        card=lambda run_id, snapshot: _version_card(best, table, base_dir, run_id, snapshot),
        eval_set=eval_set_hash(gold) if gold is not None else None,
    )
    models = {name: one.model_id for name, one in logged.items()}
    return {**decision, "variant": best.name, "logged_models": models}, table


def log_every_variant(
    variants: list[Variant],
    table: dict,
    adapters_dir: Path,
    base_dir: Path,
    params: RegisterParams,
    lotus: Path | None,
    gold: Path | None,
) -> dict:
    """Each variant as a LoggedModel in its training run; the base model stored once."""
    import tempfile

    from npre.mlops.logged_models import evaluation_dataset, log_variant
    from npre.mlops.pyfunc_model import extractor_artifacts
    from npre.mlops.shared_base import log_base_once, write_ref
    from npre.mlops.tracking import setup

    experiment = setup(params.experiment)
    ref = log_base_once(base_dir, experiment.experiment_id)
    dataset = evaluation_dataset(gold) if gold is not None else None
    logged = {}
    with tempfile.TemporaryDirectory() as folder:
        ref_file = write_ref(ref, Path(folder))
        for variant in variants:
            adapter_dir = Path(adapters_dir) / variant.name
            logged[variant.name] = log_variant(
                variant.name,
                adapter_dir,
                extractor_artifacts(ref_file, adapter_dir, lotus),
                table[variant.name],
                input_example(),
                dataset,
                tags={f"npre.{key}": str(value) for key, value in asdict(variant).items()},
            )
    return logged


def _version_card(
    variant: Variant, table: dict, base_dir: Path, run_id: str, snapshot: str | None
) -> str:
    from npre.base_model.sources import RECORD_FILE
    from npre.mlops.model_card import version_description
    from npre.mlops.tracking import dvc_lock_hashes, git_commit

    record = Path(base_dir) / RECORD_FILE
    base = json.loads(record.read_text()) if record.exists() else {}
    inputs = [
        f"data/processed/{variant.sampler}/{variant.data}.jsonl",
        f"data/processed/{variant.sampler}/seeds.jsonl",
        str(base_dir),
        f"models/extractors/{variant.name}",
    ]
    return version_description(
        variant.name,
        table[variant.name],
        table,
        base,
        dvc_lock_hashes(inputs),
        run_id,
        git_commit(),
        snapshot,
    )


def version_tags(lotus: Path | None) -> dict[str, str]:
    """Registry tags of a version: the LOTUS snapshot its known/new answers compare with
    (the service's API page names it without loading the model)."""
    from npre.lotus.known import snapshot_of

    return {"lotus_snapshot": snapshot_of(lotus)} if lotus is not None else {}


def register_model(
    logged,
    f1: float,
    params: RegisterParams,
    lotus: Path | None = None,
    card: Callable[[str, str | None], str] | None = None,
    eval_set: str | None = None,
) -> dict:
    """Register a logged variant (`logged_models.LoggedVariant`) and move the alias if it
    wins. `card(run_id, lotus_snapshot)` writes the version's description (a model card);
    the registered model gets the extractor's general card (`model_card.MODEL_DESCRIPTION`).
    """
    from mlflow import MlflowClient

    from npre.mlops.registry import register_and_promote

    client = MlflowClient()
    tags = version_tags(lotus)
    decision = register_and_promote(
        client, params.model_name, params.alias, logged.model_uri, logged.run_id, f1, tags, eval_set
    )
    client.update_registered_model(params.model_name, description=MODEL_DESCRIPTION)
    if card is not None:
        description = card(logged.run_id, tags.get("lotus_snapshot"))
        client.update_model_version(params.model_name, decision.version, description=description)
    return {
        **asdict(decision),
        "model_name": params.model_name,
        "alias": params.alias,
        "run_id": logged.run_id,
        "model_id": logged.model_id,
    }
