"""`npre profile`: a profile file as `dvc exp run` set-params arguments."""

from __future__ import annotations

from pathlib import Path

import typer

from npre.command_helpers import fail


def command(
    path: Path = typer.Argument(..., help="a profile: params.yaml keys to override (YAML)"),
) -> None:
    """Print a profile as `dvc exp run` set-params arguments (-S key=value ...)."""
    import json
    import shlex

    import yaml

    from npre.config.params import SECTIONS

    def flatten(prefix: str, value) -> list[str]:
        if isinstance(value, dict):
            return [arg for k, v in value.items() for arg in flatten(f"{prefix}{k}.", v)]
        # JSON is YAML that keeps control characters escaped (a stop sequence "\n")
        return [f"{prefix[:-1]}={json.dumps(value)}"]

    overrides = yaml.safe_load(path.read_text()) or {}
    for section, values in overrides.items():  # a typo fails here, not in the 10th stage
        if section not in SECTIONS:
            fail(f"{path}: unknown params section {section!r}")
        try:
            SECTIONS[section].model_validate(values)
        except ValueError as exc:
            fail(f"{path}: section {section!r}: {exc}")
    typer.echo(" ".join(f"-S {shlex.quote(arg)}" for arg in flatten("", overrides)))
