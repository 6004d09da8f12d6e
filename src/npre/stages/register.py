"""The `register` stage: every grid variant logged as an MLflow model, the best registered.

How (`npre.mlops.grid_registration`): each variant's extractor becomes a LoggedModel in its
training run, with its evaluation metrics linked to it and to the evaluation set; the 1 GB
base model they share is stored once. The variant with the best F1 is registered, and the
`champion` alias moves to it if it beats the champion on the same set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config, set_threads
from npre.config.grid import GridError, grid_variants
from npre.config.params import GridParams, RegisterParams, RunParams, SampleParams
from npre.data.records import write_json
from npre.mlops.grid_registration import register_best_variant


@dataclass(frozen=True)
class Config:
    run: RunParams
    sample: SampleParams  # with grid: the variants
    grid: GridParams
    register: RegisterParams


@dataclass(frozen=True)
class Paths:
    adapters: Path  # one adapter folder per grid variant (from `npre train`)
    evaluations: Path  # VARIANT/metrics.json per grid variant (from `npre evaluate`)
    base: Path  # base model folder
    out: Path  # the registered version and the champion decision (JSON)
    grid_report: Path  # precision, recall, F1 of every variant (JSON)
    lotus: Path | None = None  # relations table packed with the model (known/new answers)
    gold: Path | None = None  # the evaluation set: only F1s on the same set compare


def run(config: Config, paths: Paths) -> dict:
    """Write the grid table, register the best variant; returns the decision."""
    variants = grid_variants(config.sample, config.grid)
    set_threads(config.run.num_threads)
    decision, table = register_best_variant(
        variants,
        paths.adapters,
        paths.evaluations,
        paths.base,
        config.register,
        paths.lotus,
        paths.gold,
    )
    write_json(paths.grid_report, table)
    write_json(paths.out, decision)
    return decision


def command(
    adapters: Path = typer.Option(
        ..., help="folder holding one adapter folder per grid variant (from `npre train`)"
    ),
    evaluations: Path = typer.Option(
        ..., help="folder holding VARIANT/metrics.json per grid variant (from `npre evaluate`)"
    ),
    base: Path = typer.Option(..., help="base model folder"),
    out: Path = typer.Option(..., help="JSON: the registered version and the champion decision"),
    grid_report: Path = typer.Option(..., help="JSON: precision, recall, F1 of every variant"),
    lotus: Path | None = typer.Option(
        None, help="relations table packed with the model: answers say known or new"
    ),
    gold: Path | None = typer.Option(
        None,
        help="the evaluation set the F1s were computed on: the champion only compares "
        "with versions scored on the same set",
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Log every grid variant as an MLflow model; register the best; move `champion` if it
    is better than the champion on the same evaluation set."""
    config = read_config(Config, params)
    with StageTimer("register"):
        try:  # a bad grid fails in run() before any model loads
            paths = Paths(adapters, evaluations, base, out, grid_report, lotus, gold)
            decision = run(config, paths)
        except (GridError, FileNotFoundError) as exc:
            fail(str(exc))
        typer.echo(
            f"best variant {decision['variant']}; registered {config.register.model_name} "
            f"v{decision['version']}: {decision['reason']}"
        )
