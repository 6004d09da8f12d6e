"""`npre`: one command per pipeline stage (npre.stages) plus a few tools (npre.tools).

This module only registers them. Paths come from dvc.yaml, settings from params.yaml.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

from npre.stages import PIPELINE

TOOLS = [
    "download",
    "doi2pmid",
    "gme",
    "check_data",
    "extract",
    "score",
    "grid_table",
    "profile",
    "plots",
]

app = typer.Typer(
    help="npre: LOTUS -> sampled references -> synthetic abstracts -> (Q)LoRA extractor -> "
    "MLflow champion. The stage commands are run by dvc.yaml; download, doi2pmid, gme, "
    "check-data, extract, score, grid-table, profile and plots are tools of their own.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _output(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="log debug messages too"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="log warnings and errors only"),
) -> None:
    """Logging and progress output, for every command (npre.log_setup)."""
    from npre.log_setup import configure

    configure(-1 if quiet else 1 if verbose else 0)


def _register(package: str, modules) -> None:
    for module in dict.fromkeys(modules):  # `baseline` and `evaluate` share a module
        command = importlib.import_module(f"npre.{package}.{module}").command
        app.command(module.replace("_", "-"))(command)


_register("stages", PIPELINE.values())
_register("tools", TOOLS)


def main() -> None:  # pragma: no cover
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
