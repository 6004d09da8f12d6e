"""`npre extract`: relations from many abstracts with the champion, known or new to LOTUS."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config, set_threads
from npre.config.params import AbstractsParams, RunParams
from npre.data.records import write_json


@dataclass(frozen=True)
class Config:
    run: RunParams
    abstracts: AbstractsParams  # the PubMed client, for a PMID list


def command(
    input_file: Path = typer.Argument(
        ...,
        metavar="INPUT",
        help="JSON Lines or CSV (title, abstract, optional id), curated-format JSON, "
        "or a .txt/.pmids file of PMIDs (fetched through the PubMed client and its cache)",
    ),
    out: Path = typer.Option(..., help="answers, one JSON line per document; appended to"),
    model: str = typer.Option("models:/npre-extractor@champion", help="the extractor to run"),
    batch_size: int = typer.Option(16, min=1, help="documents per model call"),
    pubmed_cache: Path = typer.Option(
        Path("data/pubmed_cache.jsonl"), help="abstract cache for a PMID list (appended to)"
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Extract relations from many abstracts with the champion, saying which are new to LOTUS.

    Resumable: a rerun skips the documents OUT already answers. A bad row is reported
    with its line and skipped. The summary is printed and written to OUT.summary.json.
    """
    from tqdm import tqdm

    from npre.bulk.local import BulkInputError, extract_to_file, read_inputs, summarise
    from npre.mlops.champion import ChampionNotFound, load_champion

    config = read_config(Config, params)
    settings = config.abstracts
    set_threads(config.run.num_threads)

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
            rows = read_inputs(input_file, fetch_pmids)
            loaded = load_champion(model)
        except (BulkInputError, ChampionNotFound) as exc:
            fail(str(exc))
        bad = lambda row: typer.echo(f"skipped {row.where}: {row.problem}", err=True)  # noqa: E731
        with tqdm(desc="extract", unit="doc", disable=None) as bar:
            try:
                run = extract_to_file(loaded, rows, out, batch_size, bad, bar.update)
            except BulkInputError as exc:
                fail(str(exc))
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
        typer.echo(json.dumps(summary, indent=2))
