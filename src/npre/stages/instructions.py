"""The `instructions` stage: a prompt (title, keywords, main findings) per seed document,
built by `npre.synthesis.prompts`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config
from npre.config.params import InstructionsParams, RunParams
from npre.synthesis.prompts import build_prompts


@dataclass(frozen=True)
class Config:
    run: RunParams
    instructions: InstructionsParams


@dataclass(frozen=True)
class Paths:
    seeds: Path  # train seed documents
    out: Path  # prompts (JSON Lines; labels carried over)


def run(config: Config, paths: Paths) -> int:
    """Write every seed's prompts; returns how many."""
    from npre.data.records import read_documents, write_documents
    from npre.text.keywords import make_extractor

    settings = config.instructions
    extractor = make_extractor(
        settings.keyword_model, settings.keyword_max_words, settings.keyword_diversity
    )
    seeds = list(read_documents(paths.seeds))
    prompts = [
        prompt
        for doc in seeds
        for prompt in build_prompts(
            doc,
            settings.prompts_per_seed,
            settings.n_keywords,
            config.run.seed,
            settings,
            extractor,
            seeds,
        )
    ]
    write_documents(paths.out, prompts)
    return len(prompts)


def command(
    seed_docs: Path = typer.Argument(..., help="train seed documents"),
    out: Path = typer.Option(..., help="prompts (JSON Lines; labels carried over)"),
    params: Path = PARAMS_OPTION,
) -> None:
    """Write generation prompts: title, keywords and verbalised main findings."""
    config = read_config(Config, params)
    with StageTimer("instructions"):
        try:
            count = run(config, Paths(seed_docs, out))
        except RuntimeError as exc:  # a keyword model that cannot load
            fail(str(exc))
        typer.echo(f"{count} prompts")
