"""Loading the registry's champion for serving: the model and the version it resolves to."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from npre.modeling.extractor import RelationExtractor


@dataclass
class LoadedModel:
    extractor: RelationExtractor
    version: str
    uri: str


class ChampionNotFound(RuntimeError):
    pass


def load_champion(uri: str) -> LoadedModel:
    """Load a `models:/NAME@ALIAS` (or any pyfunc) URI; on failure, say how to fix it."""
    import mlflow
    from mlflow.exceptions import MlflowException

    from npre.tracking import tracking_uri

    backend = tracking_uri()
    if backend.startswith("sqlite:///") and not Path(backend[len("sqlite:///") :]).exists():
        # opening it would create an empty database: say what is missing instead
        raise ChampionNotFound(
            f"cannot load {uri}: no MLflow database at {backend}. Run `make demo` (or "
            "`dvc repro`) to train and register a champion, or set MLFLOW_TRACKING_URI."
        )
    mlflow.set_tracking_uri(backend)
    version = "unknown"
    try:
        if uri.startswith("models:/") and "@" in uri:
            name, alias = uri[len("models:/") :].split("@", 1)
            version = str(mlflow.MlflowClient().get_model_version_by_alias(name, alias).version)
        model = mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise ChampionNotFound(
            f"cannot load {uri} from {backend}: {exc.message}. Run `make demo` (or "
            "`dvc repro`) to train and register a champion, or set MLFLOW_TRACKING_URI / "
            "NPRE_MODEL_URI."
        ) from None
    threads = int(os.environ.get("NPRE_NUM_THREADS", "1"))
    import torch

    torch.set_num_threads(threads)
    return LoadedModel(model.unwrap_python_model().extractor, version, uri)
