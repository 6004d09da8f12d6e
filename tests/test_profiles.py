"""Profiles (`profiles/*.yaml`) are `dvc exp run -S` sets: every key must be in params.yaml."""

from __future__ import annotations

import shlex

import pytest
import yaml
from typer.testing import CliRunner

from npre.cli import app


def _leaves(prefix: str, value) -> list[str]:
    if isinstance(value, dict):
        return [key for k, v in value.items() for key in _leaves(f"{prefix}{k}.", v)]
    return [prefix[:-1]]


def _lookup(params: dict, dotted: str):
    node = params
    for part in dotted.split("."):
        node = node[part]  # KeyError: `dvc exp run -S` cannot set it either
    return node


@pytest.mark.parametrize("name", ["tiny", "llm"])
def test_every_profile_key_exists_in_params_and_survives_the_round_trip(root, name):
    profile = yaml.safe_load((root / "profiles" / f"{name}.yaml").read_text())
    params = yaml.safe_load((root / "params.yaml").read_text())
    for key in _leaves("", profile):
        _lookup(params, key)
    result = CliRunner().invoke(app, ["profile", str(root / "profiles" / f"{name}.yaml")])
    assert result.exit_code == 0, result.output
    words = shlex.split(result.output)
    settings = dict(w.split("=", 1) for w in words if w != "-S")
    assert words.count("-S") == len(settings) == len(_leaves("", profile))
    for key, text in settings.items():  # what DVC will parse (YAML) is the profile's value
        assert yaml.safe_load(text) == _lookup(profile, key)
