"""Every variant a LoggedModel, ranked by MLflow; the base model stored once and resolved
on load; a self-contained copy that loads without the tracking backend. On a real SQLite
tracking backend with a tiny trained extractor."""

from __future__ import annotations

import json
import shutil

import mlflow
import pandas as pd
import pytest
from helpers import ROOT, one_relation_documents, train_tiny_extractor

DOCS = one_relation_documents("Chemical study of {org} gave {chem} and minor ones.", 4)
FRAME = pd.DataFrame(
    {"title": [d.ArticleTitle for d in DOCS], "abstract": [d.AbstractText for d in DOCS]}
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """A tiny base and adapter, and a SQLite backend with an experiment: (home, exp id)."""
    home = tmp_path_factory.mktemp("logged")
    base, adapter = train_tiny_extractor(DOCS, home)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{home / 'mlflow.db'}")
    experiment = mlflow.create_experiment("t", artifact_location=(home / "art").as_uri())
    yield home, experiment
    mlflow.set_tracking_uri(previous)


def adapter_in_run(home, experiment, name):
    """A copy of the tiny adapter whose mlflow_run.json names a fresh training run."""
    from npre.mlops.tracking import RUN_FILE

    folder = home / "adapters" / name
    shutil.copytree(home / "adapter", folder)
    with mlflow.start_run(experiment_id=experiment) as run:
        pass
    (folder / RUN_FILE).write_text(json.dumps({"run_id": run.info.run_id}))
    return folder


def test_the_base_is_stored_once_and_every_variant_is_ranked(backend):
    from npre.mlops.grid_registration import input_example
    from npre.mlops.logged_models import evaluation_dataset, log_variant, ranked_variants
    from npre.mlops.pyfunc_model import extractor_artifacts
    from npre.mlops.shared_base import folder_digest, log_base_once, write_ref

    home, experiment = backend
    ref = log_base_once(home / "base", experiment)
    assert log_base_once(home / "base", experiment) == ref  # the same files: reused
    assert ref["digest"] == folder_digest(home / "base")
    ref_file = write_ref(ref, home / "ref")
    dataset = evaluation_dataset(ROOT / "data/demo/eval_set.json")
    scores = {"a": 0.2, "b": 0.6, "c": 0.4}
    logged = {}
    for name, f1 in scores.items():
        adapter = adapter_in_run(home, experiment, name)
        artifacts = extractor_artifacts(ref_file, adapter, None)
        row = {"precision": f1, "recall": f1, "f1": f1}
        logged[name] = log_variant(name, adapter, artifacts, row, input_example(), dataset)
    # the stage run again on the same adapter: the model is reused, not logged twice
    again = log_variant(
        "b", home / "adapters/b", artifacts, {"precision": 1, "recall": 1, "f1": 0.6}, None
    )
    assert again.reused and again.model_id == logged["b"].model_id

    ranked = ranked_variants(experiment)
    assert [m.name for m in ranked] == ["b", "c", "a"]
    assert [m.model_id for m in ranked] == [logged[n].model_id for n in ("b", "c", "a")]
    linked = [m for m in ranked[1].metrics if m.key == "eval_f1"]
    assert [(m.value, m.dataset_name, m.dataset_digest) for m in linked] == [
        (0.4, "eval_set", dataset.digest)
    ]
    # three extractors, one copy of the base's weights in the artifact store
    weights = [p for p in (home / "art").rglob("*.safetensors") if "adapter" not in p.name]
    assert len(weights) == 1, weights


def test_a_variant_loads_through_the_shared_base_and_answers_as_the_extractor(backend):
    from npre.decoding.extractor import ExtractorConfig, RelationExtractor
    from npre.mlops.logged_models import ranked_variants

    home, experiment = backend
    best = ranked_variants(experiment)[0]
    model = mlflow.pyfunc.load_model(f"models:/{best.model_id}")
    direct = RelationExtractor.load(
        home / "base", home / "adapter", ExtractorConfig.load(home / "adapter")
    )
    expected = [
        direct.extract(t, a).relations for t, a in zip(FRAME.title, FRAME.abstract, strict=True)
    ]
    predicted = model.predict(FRAME)["relations"].tolist()
    assert [[(r["organism"], r["chemical"]) for r in doc] for doc in predicted] == expected
    assert any(expected), "the tiny extractor should find some relation"


def test_a_self_contained_copy_loads_without_the_backend(backend, tmp_path):
    from npre.mlops.logged_models import ranked_variants
    from npre.mlops.shared_base import SharedBaseError, resolve_base, self_contained_copy

    home, experiment = backend
    best = ranked_variants(experiment)[0]
    copy = self_contained_copy(f"models:/{best.model_id}", tmp_path / "copy")
    assert (copy / "artifacts/base_model/config.json").is_file()
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'elsewhere.db'}")  # a backend without it
    try:
        model = mlflow.pyfunc.load_model(str(copy))
        assert len(model.predict(FRAME)) == len(FRAME)
        shutil.rmtree(copy / "artifacts/base_model")
        with pytest.raises(
            SharedBaseError,
            match=json.loads((copy / "artifacts/base_ref.json").read_text())["model_id"],
        ):
            resolve_base(copy / "artifacts/base_ref.json")
    finally:
        mlflow.set_tracking_uri(previous)
