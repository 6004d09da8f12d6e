"""The base model, stored once in the tracking backend; logged extractors refer to it.

Every grid variant is logged as its own MLflow model (adapter, LOTUS table, code), but a
variant is a few MB of adapter on a base model of about 1 GB that every variant shares.
So the base is a LoggedModel of its own (model type `npre-base`, tagged with the digest of
its files), logged the first time that digest is seen and reused after, and an extractor
model carries only `base_ref.json`: the base's model id and digest. Loading the extractor
resolves the base through the tracking backend (a local artifact store is read in place,
a remote one downloaded), as MLflow's transformers flavour refers to a hub repository
instead of copying its weights.

`self_contained_copy` writes an extractor model folder with its base inside (beside the
reference), for places that must load it without the tracking backend: the BentoML store
that a Bento serves from.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

BASE_MODEL_TYPE = "npre-base"
DIGEST_TAG = "npre.base_digest"
REF_FILE = "base_ref.json"
EMBEDDED_BASE = "base_model"  # a self-contained copy's base: this folder beside REF_FILE


class SharedBaseError(RuntimeError):
    """The base an extractor refers to cannot be found; the message names it."""


def folder_digest(folder: Path) -> str:
    """sha256 over the relative paths and contents of every file under `folder`."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def log_base_once(base_dir: Path, experiment_id: str) -> dict[str, str]:
    """The reference to `base_dir` as a LoggedModel of the experiment, logging it only if
    no READY base model with the same digest is there already."""
    from mlflow import MlflowClient

    client = MlflowClient()
    digest = folder_digest(base_dir)
    found = client.search_logged_models(
        experiment_ids=[experiment_id],
        filter_string=f"model_type = '{BASE_MODEL_TYPE}' AND tags.`{DIGEST_TAG}` = '{digest}'",
    )
    ready = [model for model in found if str(model.status) == "READY"]
    if ready:
        return {"model_id": ready[0].model_id, "digest": digest}
    model = client.create_logged_model(
        experiment_id, name="base-model", tags={DIGEST_TAG: digest}, model_type=BASE_MODEL_TYPE
    )
    try:
        client.log_model_artifacts(model.model_id, str(base_dir))
    except Exception:
        client.finalize_logged_model(model.model_id, "FAILED")  # never reused half-written
        raise
    client.finalize_logged_model(model.model_id, "READY")
    return {"model_id": model.model_id, "digest": digest}


def write_ref(ref: dict[str, str], folder: Path) -> Path:
    """The reference file an extractor model packs (as its `base_ref` artifact)."""
    path = Path(folder) / REF_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ref, indent=2) + "\n")
    return path


def resolve_base(ref_file: Path) -> Path:
    """A local folder holding the base that `ref_file` names: the embedded copy beside it,
    else the base LoggedModel's artifacts in the current tracking backend."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    ref_file = Path(ref_file)
    embedded = ref_file.parent / EMBEDDED_BASE
    if embedded.is_dir():
        return embedded
    ref = json.loads(ref_file.read_text())
    try:
        logged = MlflowClient().get_logged_model(ref["model_id"])
        return Path(mlflow.artifacts.download_artifacts(artifact_uri=logged.artifact_location))
    except (MlflowException, OSError) as exc:
        message = getattr(exc, "message", str(exc))
        raise SharedBaseError(
            f"the extractor's base model {ref['model_id']} (digest {ref['digest'][:16]}) "
            f"cannot be read from the tracking backend {mlflow.get_tracking_uri()}: {message}"
        ) from None


def self_contained_copy(model_uri: str, destination: Path) -> Path:
    """Download the extractor model `model_uri` into `destination`, with its base inside."""
    import mlflow

    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=destination))
    for ref_file in local.rglob(REF_FILE):
        base = resolve_base(ref_file)
        if base != ref_file.parent / EMBEDDED_BASE:
            shutil.copytree(base, ref_file.parent / EMBEDDED_BASE)
    return local
