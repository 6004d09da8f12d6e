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
