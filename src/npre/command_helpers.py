"""What every `npre` command shares: the --params option, one typed config per stage read
from params.yaml once, clear failures, the wall-time line and torch's thread count.

Heavy libraries (torch, transformers, mlflow, great_expectations) are imported inside the
commands that need them, so `npre --help` stays quick.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import NoReturn, TypeVar

import typer

from npre.config.params import ParamsError, read_params_file, validate_section

PARAMS_OPTION = typer.Option(
    Path("params.yaml"), "--params", help="params file (one section per stage)"
)

C = TypeVar("C")


def read_config(config_type: type[C], path: Path, **extra) -> C:
    """A stage's config: a dataclass whose fields are named after the params sections it
    reads (e.g. `train: TrainParams`), filled from one read of the file; `extra` gives the
    fields that do not come from params.yaml. A bad value exits with the key named."""
    try:
        raw = read_params_file(path)
        sections = {
            field.name: validate_section(field.name, raw, path)
            for field in dataclasses.fields(config_type)
            if field.name not in extra
        }
    except ParamsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return config_type(**sections, **extra)


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def set_threads(threads: int) -> int:
    """Set torch's CPU threads (`run.num_threads`) and return the count."""
    import torch

    torch.set_num_threads(threads)
    return threads


class StageTimer:
    """Prints `[stage] wall time N s` to stderr when the block ends."""

    def __init__(self, stage: str):
        self.stage, self.start = stage, time.perf_counter()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        typer.echo(f"[{self.stage}] wall time {time.perf_counter() - self.start:.1f} s", err=True)
