"""MLflow: the tracking backend, run metadata, the pyfunc model and the champion alias.

Default backend: `sqlite:///mlflow.db` in the working directory (the project root when run
by DVC), artifacts in `mlartifacts/`; `MLFLOW_TRACKING_URI` overrides.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

DEFAULT_DB = "mlflow.db"
ARTIFACT_DIR = "mlartifacts"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{Path(DEFAULT_DB).resolve()}"


def setup(experiment: str):
    """Point MLflow at the backend and return the experiment (created if missing)."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    found = mlflow.get_experiment_by_name(experiment)
    if found is None:
        location = Path(ARTIFACT_DIR).resolve().as_uri()
        mlflow.create_experiment(experiment, artifact_location=f"{location}/{experiment}")
    return mlflow.set_experiment(experiment)


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def dvc_lock_hashes(paths: list[str], lock_file: Path = Path("dvc.lock")) -> dict[str, str]:
    """The md5 that dvc.lock records for each of `paths` (as some stage's output)."""
    if not lock_file.exists():
        return {}
    lock = yaml.safe_load(lock_file.read_text()) or {}
    wanted = {str(Path(p)) for p in paths}
    found = {}
    for stage in (lock.get("stages") or {}).values():
        for out in stage.get("outs", []) or []:
            path = str(Path(out.get("path", "")))
            if path in wanted and out.get("md5"):
                found[path] = out["md5"]
    return found


def run_tags(input_paths: list[str]) -> dict[str, str]:
    tags = {f"dvc.md5.{path}": md5 for path, md5 in dvc_lock_hashes(input_paths).items()}
    commit = git_commit()
    if commit:
        tags["mlflow.source.git.commit"] = commit
    return tags
