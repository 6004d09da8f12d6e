from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from npre.cli import app
from npre.config.params import SECTIONS, ParamsError, load_section


def test_project_params_are_valid(root):
    for name in SECTIONS:
        load_section(name, root / "params.yaml")


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_wrong_type_names_the_key(tmp_path):
    path = _write(tmp_path, {"train": {"lr": "fast"}})
    with pytest.raises(ParamsError, match=r"train\.lr"):
        load_section("train", path)


def test_unknown_key_names_the_key(tmp_path):
    path = _write(tmp_path, {"select": {"teacher": {"epochz": 2}}})
    with pytest.raises(ParamsError, match=r"select\.teacher\.epochz"):
        load_section("select", path)


def test_cli_rejects_malformed_params_with_the_key(tmp_path, root):
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["lotus"]["max_relations_per_reference"] = "twenty"
    path = _write(tmp_path, params)
    result = CliRunner().invoke(
        app,
        [
            "lotus",
            str(root / "data/demo/lotus_demo.tsv"),
            "--out",
            str(tmp_path / "r.parquet"),
            "--metrics",
            str(tmp_path / "m.json"),
            "--params",
            str(path),
        ],
    )
    assert result.exit_code == 2
    assert "lotus.max_relations_per_reference" in result.output
    assert not (tmp_path / "r.parquet").exists()


def test_help_lists_every_stage():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in [
        "lotus",
        "sample",
        "abstracts",
        "seeds",
        "instructions",
        "synthesize",
        "validate",
        "select",
        "base-model",
        "train",
        "evaluate",
        "register",
    ]:
        assert command in result.output


def test_code_defaults_are_the_demo_params(root):
    """Tests, the service and any section params.yaml leaves out fall back to the code
    defaults: they must be the demo values params.yaml states, key by key."""
    raw = yaml.safe_load((root / "params.yaml").read_text())
    drift = []

    def compare(code, stated, key):
        if isinstance(code, dict) and isinstance(stated, dict):
            for name in sorted(set(code) | set(stated)):
                compare(code.get(name), stated.get(name), f"{key}.{name}")
        elif code != stated:
            drift.append(f"{key}: code {code!r}, params.yaml {stated!r}")

    for name, model in SECTIONS.items():
        compare(model().model_dump(), model.model_validate(raw.get(name, {})).model_dump(), name)
    assert not drift, "\n".join(drift)
