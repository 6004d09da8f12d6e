"""The real pipeline on the demo data, the experiment grid (training cut to a few steps).

It runs the quick profile (`profiles/tiny.yaml`: the tiny GPT-2 built here as the base),
with every sampler and training data and LoRA only: a QLoRA adapter is trained, reloaded
onto the full-precision base and decoded in test_training.py, and each grid variant here
costs two processes' start-up.

One temporary copy of the project runs `dvc repro` once for the whole module; the tests
read what it produced: every variant's metrics, the MLflow runs and registry, the
champion loaded in a fresh process, Data Docs, plots, and a second `dvc repro` that must
do nothing. The service over HTTP is tested in test_service.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT

BIN = str(Path(sys.executable).parent)
COPIED = [
    ".gitignore",  # the MLflow database and artifacts stay out of git (dvc exp commits)
    "dvc.yaml",
    "params.yaml",
    ".dvcignore",
    ".dvc/config",
    "data/demo",
    "expectations",
    "src",
    "serving",
]
FAST = {
    "model": {
        "tiny": {"vocab_size": 1200, "n_embd": 48, "n_layer": 2, "n_head": 2, "pretrain_epochs": 1}
    },
    "select": {"teacher": {"epochs": 1, "max_steps": 3}},
    "train": {"epochs": 2, "max_steps": 6, "eval_from_epoch": 2},
    "evaluate": {"decoding": {"max_new_tokens": 24}},
    "grid": {"methods": ["lora"]},
}


def _merge(base: dict, override: dict) -> dict:
    for key, value in override.items():
        base[key] = _merge(base.get(key, {}), value) if isinstance(value, dict) else value
    return base


def project_env(project: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING")}
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["BENTOML_HOME"] = str(project / ".bentoml")
    env["MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL"] = "1"  # the tiny trainings last seconds
    return env


def run(cmd: list[str], project: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(
        cmd, cwd=project, env=project_env(project), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    )
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("npre") / "project"
    ignore = shutil.ignore_patterns("__pycache__", "uncommitted", "*.egg-info")
    for name in COPIED:
        source = ROOT / name
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)
    params = yaml.safe_load((dest / "params.yaml").read_text())
    tiny = yaml.safe_load((ROOT / "profiles/tiny.yaml").read_text())
    params = _merge(_merge(params, tiny), FAST)
    (dest / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["git", "init", "-q"], dest)
    run(["git", "config", "user.name", "npre tests"], dest)
    run(["git", "config", "user.email", "tests@npre.invalid"], dest)
    run(["dvc", "repro"], dest)
    return dest


def _grid(project: Path) -> dict:
    return json.loads((project / "reports/grid.json").read_text())


def test_every_grid_variant_is_trained_evaluated_and_tracked(project):
    grid = _grid(project)
    samplers = ["gme", "random"]
    expected = {
        f"{s}-{d}-{m}"
        for s in samplers
        for d in ("seeds", "synthetic", "selected")
        for m in ("lora",)
    }
    assert set(grid) == expected
    for name, row in grid.items():
        metrics = json.loads((project / f"reports/evaluate/{name}/metrics.json").read_text())
        assert row["f1"] == metrics["f1"] and 0.0 <= metrics["f1"] <= 1.0
        assert metrics["documents"] >= 40
        train = json.loads((project / f"reports/train/{name}.json").read_text())
        assert train["quantization"] == "none"
    baseline = json.loads((project / "reports/baseline/metrics.json").read_text())
    assert 0.0 <= baseline["f1"] <= 1.0
    shown = json.dumps(json.loads(run(["dvc", "metrics", "show", "--json"], project).stdout))
    assert "reports/evaluate/random-selected-lora/metrics.json" in shown
    assert "reports/grid.json" in shown

    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    runs = mlflow.search_runs(
        experiment_names=["npre"], filter_string="tags.`npre.stage` = 'train'", output_format="list"
    )
    by_variant = {r.data.tags["npre.variant"]: r for r in runs}
    assert set(by_variant) == expected and len(runs) == len(expected)
    for name, found in by_variant.items():
        inputs = found.inputs.dataset_inputs
        contexts = [{t.key: t.value for t in i.tags}.get("mlflow.data.context") for i in inputs]
        assert contexts.count("validation") == 1 and contexts.count("evaluation") == 1
        assert len(contexts) == len(set(i.dataset.digest for i in inputs))  # none twice
        assert contexts.count("training") == (1 if "-seeds-" in name else 2)
        md5_tags = [t for t in found.data.tags if t.startswith("dvc.md5.")]
        assert f"dvc.md5.data/processed/{name.split('-')[0]}/seeds.jsonl" in md5_tags
        assert found.data.metrics["eval_f1"] == pytest.approx(grid[name]["f1"])
        # system metrics beside the training curves
        assert "system/cpu_utilization_percentage" in found.data.metrics
        assert "system/system_memory_usage_megabytes" in found.data.metrics


def test_champion_is_the_best_variant(project):
    import mlflow
    from mlflow import MlflowClient

    grid = _grid(project)
    decision = json.loads((project / "reports/register.json").read_text())
    best = max(grid.values(), key=lambda row: row["f1"])["f1"]
    assert grid[decision["variant"]]["f1"] == best
    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    champion = MlflowClient().get_model_version_by_alias("npre-extractor", "champion")
    assert float(champion.tags["eval_f1"]) == pytest.approx(best, abs=1e-6)
    assert champion.tags["lotus_snapshot"].startswith("relations.parquet@sha256:")
    # model cards: the registered model's purpose and limits, the version's lineage
    registered = MlflowClient().get_registered_model("npre-extractor")
    assert "Intended use" in registered.description and "Limits" in registered.description
    card = champion.description
    assert f"Grid variant **{decision['variant']}**" in card
    assert champion.run_id in card and champion.tags["lotus_snapshot"] in card
    assert all(name in card for name in grid)  # the whole grid, for comparison
    run = mlflow.get_run(champion.run_id)
    assert run.data.tags["npre.variant"] == decision["variant"]
    assert champion.source == f"models:/{decision['logged_models'][decision['variant']]}"


def test_every_variant_is_a_logged_model_ranked_by_mlflow_and_the_base_is_stored_once(project):
    import mlflow

    from npre.mlops.logged_models import ranked_variants

    grid = _grid(project)
    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    experiment = mlflow.get_experiment_by_name("npre").experiment_id
    ranked = ranked_variants(experiment)
    assert sorted(m.name for m in ranked) == sorted(grid)
    f1s = [{m.key: m.value for m in model.metrics}["eval_f1"] for model in ranked]
    assert f1s == sorted(f1s, reverse=True)
    assert f1s == sorted((row["f1"] for row in grid.values()), reverse=True)
    for model in ranked:  # linked to the evaluation set, logged into the training run
        linked = [m for m in model.metrics if m.key == "eval_f1" and m.dataset_name]
        assert [(m.dataset_name, m.value) for m in linked] == [("eval_set", grid[model.name]["f1"])]
        assert mlflow.get_run(model.source_run_id).data.tags["npre.variant"] == model.name
    # one copy of the base's weights for every logged variant
    weights = [p for p in (project / "mlartifacts").rglob("model.safetensors")]
    assert len(weights) == 1, weights


FRESH_PROCESS_PREDICT = """
import json, sys
import mlflow, pandas as pd
mlflow.set_tracking_uri(sys.argv[1])
model = mlflow.pyfunc.load_model("models:/npre-extractor@champion")
frame = pd.DataFrame(json.load(sys.stdin))
print(json.dumps(model.predict(frame)["relations"].tolist()))
"""


def test_registered_model_in_a_fresh_process_predicts_what_evaluate_predicted(project):
    variant = json.loads((project / "reports/register.json").read_text())["variant"]
    gold = json.loads((project / "data/demo/eval_set.json").read_text())
    path = project / f"reports/evaluate/{variant}/predictions.jsonl"
    rows = [json.loads(line) for line in path.open()]
    frame = {
        "title": [gold[r["PMID"]]["ArticleTitle"] for r in rows],
        "abstract": [gold[r["PMID"]]["AbstractText"] for r in rows],
    }
    result = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS_PREDICT, f"sqlite:///{project / 'mlflow.db'}"],
        input=json.dumps(frame),
        cwd=project,
        env=project_env(project),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    predicted = json.loads(result.stdout.strip().splitlines()[-1])

    def names(docs):
        return [[(r["organism"], r["chemical"]) for r in doc] for doc in docs]

    assert names(predicted) == names(r["relations"] for r in rows)
    served = [r["confidence"] for doc in predicted for r in doc]
    evaluated = [r["confidence"] for row in rows for r in row["relations"]]
    assert served == pytest.approx(evaluated, abs=1e-3)  # the same probabilities
    # the registered model packs the pipeline's LOTUS table: every answer says known or new
    statuses = {r["status"] for doc in predicted for r in doc}
    assert statuses and statuses <= {"known", "new"}


def test_data_docs_and_entropy_plots(project):
    for sampler in ("gme", "random"):  # each sampler's site holds its own validation alone
        site = project / f"reports/{sampler}/data_docs"
        assert len(list((site / "validations").rglob("*.html"))) == 1
        validate = json.loads((project / f"reports/{sampler}/validate.json").read_text())
        summary = (project / f"reports/{sampler}/gate.md").read_text()
        assert f"**{validate['passed']} of {validate['documents']} documents passed**" in summary
    plots = json.loads(run(["dvc", "plots", "show", "--json"], project).stdout)
    assert not plots.get("errors"), plots["errors"]
    assert any("entropy_gme.csv" in json.dumps(v) for v in plots.values())
    for variant in _grid(project):  # the training curves: a point per epoch trained
        curve = plots["data"][f"reports/train/{variant}.json"][0]["content"]["data"]["values"]
        assert curve and all(point["train_loss"] is not None for point in curve), curve


def test_second_repro_is_a_no_op(project):
    out = run(["dvc", "repro"], project).stdout
    assert "Running stage" not in out
    assert "up to date" in run(["dvc", "status"], project).stdout


def _train_runs(project: Path, variant: str) -> list[str]:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlflow.db'}")
    runs = mlflow.search_runs(
        experiment_names=["npre"],
        filter_string=f"tags.`npre.variant` = '{variant}' AND tags.`npre.stage` = 'train'",
        output_format="list",
    )
    return [r.info.run_id for r in runs]


def test_experiments_train_anew_track_into_the_project_and_compare_curves(project):
    """`dvc exp run -S train.lr=X`, then back to the committed value: a new MLflow run
    each time (train@* keeps no run-cache); a `--temp` experiment, run in a copy under
    .dvc/tmp/exps, tracks into the project's database; `dvc plots diff` compares their
    training curves. Runs last: experiments change the workspace."""
    from npre.mlops.tracking import read_run_id

    variant = "gme-seeds-lora"
    stage, adapter = f"train@{variant}", project / f"models/extractors/{variant}"
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-q", "-m", "the pipeline, reproduced"], project)
    lr = yaml.safe_load((project / "params.yaml").read_text())["train"]["lr"]
    before = _train_runs(project, variant)
    trained = []
    for name, value in (("faster", lr * 2), ("back", lr)):
        run(["dvc", "exp", "run", "-n", name, "-S", f"train.lr={value}", stage], project)
        trained.append(read_run_id(adapter))
    run(["dvc", "exp", "run", "--temp", "-n", "temp", "-S", f"train.lr={lr * 3}", stage], project)
    after = _train_runs(project, variant)
    assert len(after) == len(before) + 3  # the --temp one included
    assert trained[0] != trained[1] and not set(trained) & set(before)
    assert set(trained) < set(after)

    diff = ["dvc", "plots", "diff", "faster", "back", "--json", "--targets", "reports/train"]
    shown = run(diff, project)
    plots = json.loads(shown.stdout)
    assert not plots.get("errors"), plots["errors"]
    curves = plots["data"][f"reports/train/{variant}.json"]
    revisions = {point["rev"] for curve in curves for point in curve["content"]["data"]["values"]}
    assert {"faster", "back"} <= revisions, revisions
