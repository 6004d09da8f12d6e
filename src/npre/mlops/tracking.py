"""MLflow tracking: the backend, the experiment, run tags and the datasets runs record.

Default backend: `sqlite:///mlflow.db` in the project root, artifacts in `mlartifacts/`;
`MLFLOW_TRACKING_URI` overrides. The project root is the working directory (DVC runs
stages there), except inside the temporary copy where `dvc exp run --temp` or `--queue`
runs an experiment (`.dvc/tmp/exps/...`): that copy lacks git-ignored files, so its runs
and registrations go to the project that holds it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

DEFAULT_DB = "mlflow.db"
ARTIFACT_DIR = "mlartifacts"
RUN_FILE = "mlflow_run.json"  # in each adapter folder: the MLflow run that trained it


EXPERIMENT_COPIES = (".dvc", "tmp", "exps")

# The experiment's kind for MLflow 3's UI: `custom_model_development` is model training
# (runs, their metrics and charts, models), not a GenAI app (traces, chats). MLflow UIs
# that choose their views per experiment read this tag; the 3.17 UI chooses them per
# browser (default GenAI) unless the address says `workflowType`, as model_training_url's
# does.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
MODEL_TRAINING = "custom_model_development"


def project_root(start: Path | None = None) -> Path:
    """The working directory, or the project holding it if it is a DVC experiment copy."""
    path = (start or Path.cwd()).resolve()
    parts = path.parts
    for index in range(1, len(parts) - len(EXPERIMENT_COPIES) + 1):
        if parts[index : index + len(EXPERIMENT_COPIES)] == EXPERIMENT_COPIES:
            return Path(*parts[:index])
    return path


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{project_root() / DEFAULT_DB}"


def setup(experiment: str):
    """Point MLflow at the backend and return the experiment (created if missing), tagged
    for the UI's model-training views (an experiment created elsewhere keeps its kind)."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    found = mlflow.get_experiment_by_name(experiment)
    if found is None:
        location = (project_root() / ARTIFACT_DIR).as_uri()
        mlflow.create_experiment(
            experiment,
            artifact_location=f"{location}/{experiment}",
            tags={EXPERIMENT_KIND_TAG: MODEL_TRAINING},
        )
    elif EXPERIMENT_KIND_TAG not in found.tags:  # an older mlflow.db: its experiment has no kind
        mlflow.MlflowClient().set_experiment_tag(
            found.experiment_id, EXPERIMENT_KIND_TAG, MODEL_TRAINING
        )
    return mlflow.set_experiment(experiment)


def model_training_url(experiment: str, ui: str) -> str:
    """The MLflow UI (at `ui`, e.g. http://127.0.0.1:5000) address that opens `experiment`
    in the model-training views; the experiments list while it does not exist yet."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    found = mlflow.get_experiment_by_name(experiment)
    page = f"experiments/{found.experiment_id}" if found else "experiments"
    return f"{ui.rstrip('/')}/#/{page}?workflowType=machine_learning"


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


def documents_dataset(docs, source: str, name: str):
    """Documents as an MLflow dataset: a DataFrame of PMID, title, abstract and the
    relations as JSON, whose digest identifies the set."""
    import json

    import mlflow
    import pandas as pd

    frame = pd.DataFrame(
        {
            "PMID": [d.PMID for d in docs],
            "title": [d.ArticleTitle for d in docs],
            "abstract": [d.AbstractText for d in docs],
            "relations": [json.dumps(d.label_pairs()) for d in docs],
        }
    )
    return mlflow.data.from_pandas(frame, source=source, name=name)


def read_run_id(adapter_dir: Path) -> str:
    """The MLflow run that trained the adapter in `adapter_dir` (written by `npre train`)."""
    import json

    return json.loads((Path(adapter_dir) / RUN_FILE).read_text())["run_id"]
