"""`npre extract`: relations from many abstracts with the champion, known or new to LOTUS."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config, set_threads
from npre.config.params import AbstractsParams, RunParams
from npre.data.records import write_json

JSON_LINES_OUT = {".jsonl", ".ndjson"}


@dataclass(frozen=True)
class Config:
    run: RunParams
    abstracts: AbstractsParams  # the PubMed client, for a PMID list


class Engine(StrEnum):
    local = "local"
    ray = "ray"


def command(
    inputs: list[str] = typer.Argument(
        ...,
        metavar="INPUT...",
        help="JSON Lines or CSV (title, abstract, optional id), curated-format JSON, a "
        ".txt/.pmids file of PMIDs (fetched through the PubMed client and its cache), or "
        "PubMed baseline/update files (.xml, .xml.gz); a folder or a glob of them is one input",
    ),
    out: Path = typer.Option(
        ...,
        help="a folder: relations/ and documents/ (Parquet, a file per block) and "
        "summary.json; or FILE.jsonl: one JSON line per document, appended to",
    ),
    engine: Engine = typer.Option(
        Engine.local, help="local: this process; ray: Ray Data actors (tables only)"
    ),
    workers: int = typer.Option(1, min=1, help="ray: actors, each loads the model once"),
    address: str = typer.Option(
        None, help="ray: the cluster to run on (or RAY_ADDRESS); none starts a local runtime"
    ),
    model: str = typer.Option("models:/npre-extractor@champion", help="the extractor to run"),
    batch_size: int = typer.Option(16, min=1, help="documents per model call"),
    block_size: int = typer.Option(
        64, min=1, help="input rows per block (a Parquet file, a Ray task); fixed per folder"
    ),
    min_confidence: float = typer.Option(
        None,
        min=0.0,
        max=1.0,
        help="answer only relations at least this sure (default: the model's own)",
    ),
    pubmed_cache: Path = typer.Option(
        Path("data/pubmed_cache.jsonl"), help="abstract cache for a PMID list (appended to)"
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Extract relations from many abstracts with the champion, saying which are new to LOTUS.

    Resumable: a rerun into the same OUT skips what it holds (finished blocks of a folder,
    documents of a JSON Lines file) and redoes what an interruption cut. A bad row is
    reported and skipped. The summary is printed and written to OUT/summary.json (a
    folder) or OUT.summary.json (a JSON Lines file).
    """
    from npre.bulk.blocks import JobFolderError
    from npre.bulk.inputs import BulkInputError, expand_inputs, input_kind, read_inputs
    from npre.mlops.champion import ChampionNotFound

    config = read_config(Config, params)
    settings = config.abstracts

    def fetch_pmids(pmids: list[str]) -> dict[str, dict]:
        from npre.clients.pubmed import EutilsClient, PubMedError, fetch_into_cache

        client = EutilsClient(settings.eutils_url, max_retries=settings.max_retries)
        try:
            return fetch_into_cache(pmids, pubmed_cache, client)
        except PubMedError as exc:
            fail(f"{exc} (fetched batches are kept in {pubmed_cache}; rerun to resume)")
        finally:
            client.close()

    with StageTimer("extract"):
        try:
            files = expand_inputs(inputs)
            if out.suffix.lower() in JSON_LINES_OUT:
                if engine is not Engine.local:
                    fail("--engine ray writes tables: give --out a folder")
                answering = (model, batch_size, min_confidence)
                summary = _json_lines(files, out, answering, config, fetch_pmids)
            else:
                from npre.bulk.blocks import Source
                from npre.bulk.job import JobSettings

                sources = []
                for path in files:
                    kind = input_kind(path)
                    if kind == "pmids":  # fetched now, into the cache the job reads
                        for _ in read_inputs(path, fetch_pmids):
                            pass
                    sources.append(Source.of(path, kind, pubmed_cache if kind == "pmids" else None))
                job = JobSettings(
                    model, engine.value, workers, address, block_size, batch_size,
                    config.run.num_threads, min_confidence,
                )  # fmt: skip
                summary = _tables(sources, out, job)
        except (BulkInputError, ChampionNotFound, JobFolderError) as exc:
            fail(str(exc))
        typer.echo(json.dumps(summary, indent=2))


def _tables(sources, out: Path, job) -> dict:
    from tqdm import tqdm

    from npre.bulk.job import run_job

    with tqdm(desc="extract", unit="doc", disable=None) as bar:
        return run_job(sources, out, job, bar.update)


def _json_lines(files, out: Path, answering: tuple, config, fetch_pmids) -> dict:
    """Today's JSON Lines output: one line per document, appended to OUT; `answering` is
    (model URI, batch size, min_confidence)."""
    from itertools import chain

    from tqdm import tqdm

    from npre.bulk.inputs import read_inputs
    from npre.bulk.local import extract_to_file, summarise
    from npre.mlops.champion import load_champion

    set_threads(config.run.num_threads)
    rows = chain.from_iterable(read_inputs(path, fetch_pmids) for path in files)
    model, batch_size, min_confidence = answering
    loaded = load_champion(model, min_confidence)
    bad = lambda row: typer.echo(f"skipped {row.where}: {row.problem}", err=True)  # noqa: E731
    with tqdm(desc="extract", unit="doc", disable=None) as bar:
        run = extract_to_file(loaded, rows, out, batch_size, bad, bar.update)
    summary = summarise(out) | {
        "extracted_now": run.extracted,
        "already_done": run.skipped,
        "bad_rows": run.bad_rows,
        "docs_per_s": round(run.extracted / run.seconds, 3) if run.seconds else None,
        "model": loaded.uri,
        "model_version": loaded.version,
        "lotus_snapshot": loaded.lotus.snapshot if loaded.lotus else None,
    }
    write_json(out.with_suffix(".summary.json"), summary)
    return summary
