"""The champion alias only moves to a strictly better F1, on a real SQLite registry."""

import mlflow
import pandas as pd
from mlflow import MlflowClient

from npre.mlops.registry import register_and_promote


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def test_champion_moves_only_to_a_better_model(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.create_experiment("t", artifact_location=(tmp_path / "art").as_uri())
    mlflow.set_experiment("t")
    client = MlflowClient()
    decisions = []
    # the last: the same F1 as the champion, computed again (it differs past the 6
    # digits the tag keeps): not better, so the champion stays
    for f1 in [0.30, 0.20, 0.5 + 1 / 3, 0.5 + 1 / 3 + 1e-12]:
        with mlflow.start_run() as run:
            info = mlflow.pyfunc.log_model(
                name="m", python_model=Echo(), input_example=pd.DataFrame({"x": [1]})
            )
        decisions.append(
            register_and_promote(
                client, "npre-extractor", "champion", info.model_uri, run.info.run_id, f1
            )
        )
    assert [d.version for d in decisions] == ["1", "2", "3", "4"]
    assert [d.champion_version for d in decisions] == ["1", "1", "3", "3"]
    assert [d.moved for d in decisions] == [True, False, True, False]
    champion = client.get_model_version_by_alias("npre-extractor", "champion")
    assert str(champion.version) == "3"
    assert champion.tags["champion_reason"].startswith("F1 0.8333 > champion v1")
    assert (
        client.get_model_version("npre-extractor", "2")
        .tags["registry_decision"]
        .startswith("kept champion v1")
    )


def test_f1s_on_another_evaluation_set_do_not_compare(tmp_path, monkeypatch):
    """A champion scored on another (or an unrecorded) evaluation set gives way to the
    best version scored on the current one; among those, only a better F1 moves it."""
    from npre.mlops.registry import EVAL_SET_TAG, eval_set_hash

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.create_experiment("t", artifact_location=(tmp_path / "art").as_uri())
    mlflow.set_experiment("t")
    client = MlflowClient()
    (tmp_path / "old.json").write_text('{"1": {}}')
    (tmp_path / "new.json").write_text('{"1": {}, "2": {}}')
    old, new = eval_set_hash(tmp_path / "old.json"), eval_set_hash(tmp_path / "new.json")
    assert old != new and len(old) == 16
    decisions = []
    # unrecorded set (registered before sets were recorded), old set, new set x 3
    for f1, eval_set in [(0.9, None), (0.8, old), (0.6, new), (0.5, new), (0.7, new)]:
        with mlflow.start_run() as run:
            info = mlflow.pyfunc.log_model(
                name="m", python_model=Echo(), input_example=pd.DataFrame({"x": [1]})
            )
        decisions.append(
            register_and_promote(
                client,
                "npre-extractor",
                "champion",
                info.model_uri,
                run.info.run_id,
                f1,
                eval_set=eval_set,
            )
        )
    assert [d.champion_version for d in decisions] == ["1", "2", "3", "3", "5"]
    assert [d.moved for d in decisions] == [True, True, True, False, True]
    assert "champion v1 was scored on another set (unrecorded)" in decisions[1].reason
    assert f"champion v2 was scored on another set ({old})" in decisions[2].reason
    assert decisions[3].reason.startswith("kept champion v3 (F1 0.6000)")
    assert decisions[4].reason.startswith("F1 0.7000 > champion v3")
    assert client.get_model_version("npre-extractor", "5").tags[EVAL_SET_TAG] == new
