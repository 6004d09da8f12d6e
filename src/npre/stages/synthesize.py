"""The `synthesize` stage: N generations per prompt, the best k kept, then the chain.

Returns the kept documents of every step and the stage's metrics: generations requested,
cached, new and failed (per step and in total), documents kept per prompt (mean and
distribution) and what each chain step did.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config, set_threads
from npre.config.params import RunParams
from npre.config.synthesize_params import SynthesizeParams
from npre.data.records import Document, write_json
from npre.synthesis.base import Backend
from npre.synthesis.chain import StepResult, crossmodal_step, step_metrics, text_step
from npre.synthesis.crossmodal import ImageCaptioner
from npre.synthesis.few_shot import FewShot, FewShotError
from npre.synthesis.generation import (
    GenerationCache,
    generate_all,
    keep_best,
    scored_candidates,
)

MAX_FAILURES_REPORTED = 50


def first_step(
    prompts: list[Document],
    backend: Backend,
    settings: SynthesizeParams,
    seed: int,
    cache: GenerationCache,
    concurrency: int,
    few_shot: FewShot | None = None,
) -> StepResult:
    """N generations per prompt; the best k of each prompt kept (the paper's selector).

    With `few_shot`, the backend sees each prompt behind its worked examples; the kept
    documents keep the prompt alone."""
    shown = [few_shot.apply(p) for p in prompts] if few_shot else prompts
    generations, report = generate_all(
        shown, backend, settings.generations_per_prompt, seed, cache, concurrency
    )
    docs = keep_best(
        prompts, generations, settings.views_per_prompt, backend, settings.min_alignment
    )
    scores = [c[0] for p in prompts for c in scored_candidates(p, generations[p.PMID])]
    empty = sum(text == "" for texts in generations.values() for text in texts)
    below = sum(score < settings.min_alignment for score in scores)
    metrics = step_metrics(0, "generate", len(prompts), report, empty, below, docs)
    return StepResult(docs, metrics, [{**f, "step": 0} for f in report.failures])


def kept_per_prompt(prompts: list[Document], docs: list[Document]) -> dict:
    per_prompt = Counter(d.extra.get("prompt_id") for d in docs)
    counts = [per_prompt.get(p.PMID, 0) for p in prompts]
    distribution = Counter(counts)
    return {
        "mean": round(sum(counts) / len(counts), 4) if counts else 0.0,
        "distribution": {str(k): distribution[k] for k in sorted(distribution)},
    }


def run_synthesis(
    prompts: list[Document],
    backend: Backend,
    settings: SynthesizeParams,
    seed: int,
    cache: GenerationCache,
    concurrency: int = 1,
    captioner_for: Callable = ImageCaptioner,
    few_shot: FewShot | None = None,
) -> tuple[list[Document], dict]:
    """Every step's kept documents, and the stage metrics."""
    results = [first_step(prompts, backend, settings, seed, cache, concurrency, few_shot)]
    for number, step in enumerate(settings.chain, 1):
        parents = results[-1].docs
        common = dict(
            step=number,
            seed=seed,
            cache=cache,
            concurrency=concurrency,
            min_alignment=settings.min_alignment,
        )
        if step.kind == "text":
            results.append(text_step(parents, backend, step, **common))
        else:
            captioner = captioner_for(step, f"synthesize.chain[{number - 1}]")
            results.append(crossmodal_step(parents, backend, captioner, step, **common))
    docs = [doc for result in results for doc in result.docs]
    totals = {
        key: sum(r.metrics[key] for r in results)
        for key in ("requested", "cached", "new", "failed")
    }
    failures = [f for r in results for f in r.failures]
    metrics = {
        "prompts": len(prompts),
        "documents": len(docs),
        "generations": totals,
        "kept_per_prompt": kept_per_prompt(prompts, docs),
        "steps": [r.metrics for r in results],
        "failures": failures[:MAX_FAILURES_REPORTED],
    }
    return docs, metrics


@dataclass(frozen=True)
class Config:
    run: RunParams
    synthesize: SynthesizeParams


@dataclass(frozen=True)
class Paths:
    prompts: Path  # prompts from `npre instructions`
    out: Path  # synthetic documents (JSON Lines)
    cache: Path  # generation cache (JSON Lines); reruns regenerate nothing
    metrics: Path  # generations requested/cached/new/failed, kept per prompt, per step
    seeds: Path | None = None  # the seed documents: few-shot examples (`synthesize.few_shot`)


def few_shot_for(settings: SynthesizeParams, prompts: list[Document], seeds: Path | None):
    """The worked examples `synthesize.few_shot` asks for, from the seed documents."""
    from npre.data.records import read_documents

    if not settings.few_shot:
        return None
    if seeds is None:
        raise FewShotError(f"synthesize.few_shot is {settings.few_shot}: pass --seeds")
    return FewShot(prompts, read_documents(seeds), settings.few_shot, settings.few_shot_max_chars)


def run(config: Config, paths: Paths) -> tuple[int, dict]:
    """Generate, keep and chain; write the documents and metrics; returns (count, report)."""
    from npre.data.records import read_documents, write_documents
    from npre.synthesis.backends import concurrency, make_backend

    settings, seed = config.synthesize, config.run.seed
    if settings.backend == "transformers" or any(s.kind == "crossmodal" for s in settings.chain):
        set_threads(config.run.num_threads)  # in-process models
    prompt_docs = read_documents(paths.prompts)
    few_shot = few_shot_for(settings, prompt_docs, paths.seeds)
    store = GenerationCache(paths.cache)
    try:
        backend = make_backend(settings, seed)
        docs, report = run_synthesis(
            prompt_docs, backend, settings, seed, store, concurrency(settings), few_shot=few_shot
        )
    finally:
        store.close()
    write_documents(paths.out, docs)
    write_json(paths.metrics, report)
    return len(docs), report


def command(
    prompts: Path = typer.Argument(..., help="prompts from `npre instructions`"),
    out: Path = typer.Option(..., help="synthetic documents (JSON Lines)"),
    cache: Path = typer.Option(
        ..., help="generation cache (JSON Lines); reruns regenerate nothing"
    ),
    metrics: Path = typer.Option(
        ..., help="JSON: generations requested/cached/new/failed, kept per prompt, per step"
    ),
    seeds: Path | None = typer.Option(
        None, help="seed documents (JSON Lines): worked examples when synthesize.few_shot > 0"
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Generate synthetic abstracts with the configured backend; keep the best k per prompt;
    run the chained-generation steps (`synthesize.chain`) on the kept views."""
    from npre.synthesis.base import BackendError

    config = read_config(Config, params)
    with StageTimer("synthesize"):
        try:
            count, report = run(config, Paths(prompts, out, cache, metrics, seeds))
        except (BackendError, FewShotError) as exc:
            fail(str(exc))
        failed = report["generations"]["failed"]
        failed = f", {failed} failed generations" if failed else ""
        typer.echo(f"{count} synthetic documents ({config.synthesize.backend}{failed})")
