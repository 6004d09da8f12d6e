"""Loading the registry's champion for serving: the model and the version it resolves to."""

from __future__ import annotations

import os
from dataclasses import dataclass

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

    mlflow.set_tracking_uri(tracking_uri())
    version = "unknown"
    try:
        if uri.startswith("models:/") and "@" in uri:
            name, alias = uri[len("models:/") :].split("@", 1)
            version = str(mlflow.MlflowClient().get_model_version_by_alias(name, alias).version)
        model = mlflow.pyfunc.load_model(uri)
    except MlflowException as exc:
        raise ChampionNotFound(
            f"cannot load {uri} from {tracking_uri()}: {exc.message}. Run `make demo` (or "
            "`dvc repro`) to train and register a champion, or set MLFLOW_TRACKING_URI / "
            "NPRE_MODEL_URI."
        ) from None
    threads = int(os.environ.get("NPRE_NUM_THREADS", "1"))
    import torch

    torch.set_num_threads(threads)
    return LoadedModel(model.unwrap_python_model().extractor, version, uri)
