import pytest

from npre.mlops.champion import ChampionNotFound, load_champion


def test_no_database_fails_with_the_uri_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    with pytest.raises(ChampionNotFound, match=r"models:/npre-extractor@champion.*make demo"):
        load_champion("models:/npre-extractor@champion")
    assert not (tmp_path / "mlflow.db").exists()  # nothing created as a side effect


def test_no_champion_fails_with_the_uri_and_the_fix(tmp_path, monkeypatch):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    mlflow.search_experiments()  # an empty, valid registry
    with pytest.raises(ChampionNotFound, match=r"npre-extractor.*not found.*make demo"):
        load_champion("models:/npre-extractor@champion")
