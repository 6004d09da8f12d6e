"""Profiles (`profiles/*.yaml`) are `dvc exp run -S` sets: what DVC makes of `npre profile`'s
arguments must be the profile's settings."""

from __future__ import annotations

import shlex
import shutil

import pytest
import yaml
from typer.testing import CliRunner

from npre.cli import app
from npre.config.params import SECTIONS


@pytest.mark.parametrize("name", ["tiny", "llm"])
def test_dvc_sets_every_profile_key_to_the_profile_value(root, tmp_path, name):
    from dvc.utils.hydra import apply_overrides

    profile_path = root / "profiles" / f"{name}.yaml"
    result = CliRunner().invoke(app, ["profile", str(profile_path)])
    assert result.exit_code == 0, result.output
    words = shlex.split(result.output)
    overrides = [word for word in words if word != "-S"]
    assert words.count("-S") == len(overrides) > 0
    params = tmp_path / "params.yaml"
    shutil.copy(root / "params.yaml", params)
    apply_overrides(params, overrides)  # as `dvc exp run -S`: a key params.yaml lacks fails here
    applied = yaml.safe_load(params.read_text())
    profile = yaml.safe_load(profile_path.read_text())
    for section, values in profile.items():
        wanted = SECTIONS[section].model_validate(values).model_dump(include=set(values))
        got = SECTIONS[section].model_validate(applied[section]).model_dump(include=set(values))
        assert got == wanted, section


def test_a_stop_sequence_may_spell_out_a_line_break():
    """Hydra's override grammar passes "\\n" as backslash + n: the params read it back."""
    from npre.config.synthesize_params import LlamaCppParams, TransformersParams

    assert TransformersParams(stop=["\\n", "\n", "a\\tb"]).stop == ["\n", "\n", "a\tb"]
    assert LlamaCppParams(stop=["\\n"]).stop == ["\n"]
