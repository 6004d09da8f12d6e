"""Where runs are tracked: the project's database from the workspace and from the copies
that `dvc exp run --temp` / `--queue` run experiments in."""

from pathlib import Path

from npre.mlops.tracking import project_root, tracking_uri


def test_the_workspace_is_its_own_project_root(tmp_path):
    assert project_root(tmp_path) == tmp_path.resolve()


def test_a_dvc_experiment_copy_tracks_into_the_project_that_holds_it(tmp_path, monkeypatch):
    copy = tmp_path / ".dvc" / "tmp" / "exps" / "tmpa1b2c3"  # DVC's temp executor folder
    copy.mkdir(parents=True)
    assert project_root(copy) == tmp_path.resolve()
    assert project_root(copy / "src") == tmp_path.resolve()
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(copy)
    assert tracking_uri() == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"


def test_mlflow_tracking_uri_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    monkeypatch.chdir(tmp_path)
    assert tracking_uri() == "http://127.0.0.1:5000"


def test_a_folder_merely_named_exps_is_no_experiment_copy(tmp_path):
    plain = tmp_path / "tmp" / "exps" / "x"
    plain.mkdir(parents=True)
    assert project_root(plain) == plain.resolve()
    assert isinstance(project_root(), Path)
