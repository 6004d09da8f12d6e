"""The model the API serves: the MLflow registry's champion, or its copy in the BentoML store.

From source, the service loads `models:/npre-extractor@champion` from the tracking backend.
`make bento` imports that champion into the BentoML model store (`import_champion`) and a
built Bento loads it from there (`load_bento_model`), with no access to the MLflow database.
Every failure says which model was wanted and how to get one (`ChampionNotFound`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from npre.decoding.extractor import RelationExtractor
from npre.lotus.known import LotusIndex

FIX_MLFLOW = (
    "Run `make demo` (or `dvc repro`) to train and register a champion, or set "
    "MLFLOW_TRACKING_URI / NPRE_MODEL_URI."
)
FIX_BENTO = (
    "Run `make bento` to import the registry's champion into the BentoML store, or set "
    "NPRE_MODEL_SOURCE=mlflow to serve from the MLflow registry."
)


@dataclass
class LoadedModel:
    extractor: RelationExtractor
    version: str  # the registered version of the model
    uri: str  # where it was loaded from: a models:/ URI or a BentoML store tag
    lotus: LotusIndex | None = None  # the relations table packed with it (known/new)

    @classmethod
    def of(cls, pyfunc_model, version: str, uri: str) -> LoadedModel:
        python_model = pyfunc_model.unwrap_python_model()
        return cls(python_model.extractor, version, uri, getattr(python_model, "lotus", None))


class ChampionNotFound(RuntimeError):
    pass


def _tracking_backend(uri: str) -> str:
    import mlflow

    from npre.mlops.tracking import tracking_uri

    backend = tracking_uri()
    if backend.startswith("sqlite:///") and not Path(backend[len("sqlite:///") :]).exists():
        # opening it would create an empty database: say what is missing instead
        raise ChampionNotFound(f"cannot load {uri}: no MLflow database at {backend}. {FIX_MLFLOW}")
    mlflow.set_tracking_uri(backend)
    return backend


def _registered_version(uri: str):
    """The registry's ModelVersion behind a models:/NAME@ALIAS or models:/NAME/VERSION URI."""
    from mlflow import MlflowClient

    if not uri.startswith("models:/"):
        return None
    name, _, rest = uri[len("models:/") :].partition("@")
    if rest:
        return MlflowClient().get_model_version_by_alias(name, rest)
    name, _, version = name.partition("/")
    return MlflowClient().get_model_version(name, version) if version.isdigit() else None


def resolve_champion(uri: str):
    """Check, without loading it, that `uri` names a model whose files can be read.

    Returns the registry's ModelVersion (None for a URI outside the registry).
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    # a model folder needs no tracking backend; a registry or run URI does
    backend = _tracking_backend(uri) if uri.startswith(("models:/", "runs:/")) else uri
    try:
        version = _registered_version(uri)
        mlflow.models.get_model_info(uri)  # reads its MLmodel file: the artifacts are reachable
    except (MlflowException, OSError) as exc:
        message = getattr(exc, "message", str(exc))
        problem = f"cannot load {uri} from {backend}: {message}"
        raise ChampionNotFound(f"{problem}. {FIX_MLFLOW}") from None
    return version


def load_champion(uri: str, min_confidence: float | None = None) -> LoadedModel:
    """Load a `models:/NAME@ALIAS` (or any pyfunc) URI; on failure, say how to fix it.
    `min_confidence` replaces the model's `decoding.min_confidence` (None: as logged)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    version = resolve_champion(uri)
    try:
        model = mlflow.pyfunc.load_model(uri)
    except (MlflowException, OSError) as exc:
        message = getattr(exc, "message", str(exc))
        raise ChampionNotFound(f"cannot load {uri}: {message}. {FIX_MLFLOW}") from None
    number = str(version.version) if version is not None else "unknown"
    loaded = LoadedModel.of(model, number, uri)
    if min_confidence is not None:
        decoding = loaded.extractor.decoding
        loaded.extractor.decoding = decoding.model_copy(update={"min_confidence": min_confidence})
    return loaded


def import_champion(uri: str, name: str):
    """Copy the model behind `uri` into the BentoML model store as `name` (a new version,
    unless the store already holds this registry version); returns the store's model.

    The stored copy is self-contained: the base model that the registry keeps once for
    every variant is copied in beside the adapter, so a Bento needs no MLflow backend.
    """
    import tempfile

    import bentoml

    from npre.mlops.shared_base import SharedBaseError, self_contained_copy

    version = resolve_champion(uri)
    labels = {"source": "mlflow"}
    metadata = {"model_uri": uri}
    if version is not None:
        labels["registered_version"] = str(version.version)
        metadata |= {"registered_version": str(version.version), "run_id": version.run_id}
        if "lotus_snapshot" in version.tags:
            metadata["lotus_snapshot"] = version.tags["lotus_snapshot"]
        metadata["mlflow_model"] = version.source  # the logged model: identical files
        for existing in bentoml.models.list():
            same = existing.info.metadata.get("mlflow_model") == version.source
            if existing.tag.name == name and same:
                return existing
    with tempfile.TemporaryDirectory() as folder:
        try:
            local = self_contained_copy(uri, Path(folder))
        except SharedBaseError as exc:
            raise ChampionNotFound(f"cannot import {uri}: {exc}. {FIX_MLFLOW}") from None
        return bentoml.mlflow.import_model(name, str(local), labels=labels, metadata=metadata)


def resolve_bento_model(tag: str):
    """The BentoML store's model `tag` (NAME or NAME:VERSION), or a ChampionNotFound."""
    import bentoml
    from bentoml.exceptions import NotFound

    try:
        return bentoml.models.get(tag)
    except NotFound:
        store = os.environ.get("BENTOML_HOME", str(Path.home() / "bentoml"))
        raise ChampionNotFound(
            f"cannot load {tag}: no such model in the BentoML store at {store}. {FIX_BENTO}"
        ) from None


def load_bento_model(tag: str) -> LoadedModel:
    """Load the extractor that `make bento` imported into the BentoML store: no MLflow
    database needed, the store holds the whole MLflow model."""
    import bentoml

    stored = resolve_bento_model(tag)
    model = bentoml.mlflow.load_model(stored)
    version = str(stored.info.metadata.get("registered_version", "unknown"))
    return LoadedModel.of(model, version, str(stored.tag))
