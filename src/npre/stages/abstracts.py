"""The `abstracts` stage: title and abstract of each sampled reference, from the local cache
or, with abstracts.source=pubmed, from PubMed into the cache.

The cache is JSON Lines of {PMID, ArticleTitle, AbstractText}. References the cache lacks
are reported, not invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config
from npre.config.params import AbstractsParams
from npre.data.records import Document, iter_json_lines, write_json


def read_abstract_cache(path: Path) -> dict[str, Document]:
    def convert(raw: dict) -> Document:
        return Document(
            PMID=str(raw["PMID"]),
            ArticleTitle=str(raw.get("ArticleTitle", "")),
            AbstractText=str(raw.get("AbstractText", "")),
        )

    return {doc.PMID: doc for doc in iter_json_lines(path, "an abstract record", convert)}


def fetch_abstracts(
    pmids: list[str], cache: dict[str, Document]
) -> tuple[list[Document], list[str]]:
    """Abstracts for `pmids` in order, and the PMIDs the cache does not hold."""
    found = [cache[p] for p in pmids if p in cache and cache[p].AbstractText.strip()]
    missing = [p for p in pmids if p not in cache or not cache[p].AbstractText.strip()]
    return found, missing


@dataclass(frozen=True)
class Config:
    abstracts: AbstractsParams


@dataclass(frozen=True)
class Paths:
    references: Path  # sampled references from `npre sample`
    cache: Path  # abstract cache (JSON Lines of PMID, ArticleTitle, AbstractText)
    out: Path  # abstracts of the sampled references (JSON Lines)
    metrics: Path  # found and missing counts (JSON)


def _known_abstracts(settings: AbstractsParams, pmids: list[str], cache: Path):
    if settings.source != "pubmed":
        return read_abstract_cache(cache)
    from npre.clients.pubmed import EutilsClient, fetch_into_cache

    client = EutilsClient(settings.eutils_url, max_retries=settings.max_retries)
    try:
        records = fetch_into_cache(pmids, cache, client)
    finally:
        client.close()
    return {pmid: Document(**record) for pmid, record in records.items()}


def run(config: Config, paths: Paths) -> dict:
    """Write the abstracts found; returns the report (requested, found, missing)."""
    import pandas as pd

    from npre.data.records import write_documents

    pmids = pd.read_csv(paths.references, sep="\t", dtype=str)["item"].tolist()
    found, missing = fetch_abstracts(pmids, _known_abstracts(config.abstracts, pmids, paths.cache))
    write_documents(paths.out, found)
    report = {
        "requested": len(pmids),
        "found": len(found),
        "missing": len(missing),
        "missing_pmids": missing,
    }
    write_json(paths.metrics, report)
    return report


def command(
    references: Path = typer.Argument(..., help="sampled references from `npre sample`"),
    cache: Path = typer.Option(
        ..., help="abstract cache (JSON Lines of PMID, ArticleTitle, AbstractText)"
    ),
    out: Path = typer.Option(..., help="abstracts of the sampled references (JSON Lines)"),
    metrics: Path = typer.Option(..., help="JSON: found and missing counts"),
    params: Path = PARAMS_OPTION,
) -> None:
    """Title and abstract of each sampled reference: from the cache, or PubMed into the cache.

    With abstracts.source=pubmed, PMIDs the cache lacks are fetched with NCBI E-utilities
    (key from NCBI_API_KEY) and appended to it; a rerun fetches nothing.
    """
    from npre.clients.pubmed import PubMedError
    from npre.data.records import RecordError

    config = read_config(Config, params)
    with StageTimer("abstracts"):
        try:
            report = run(config, Paths(references, cache, out, metrics))
        except PubMedError as exc:
            fail(f"{exc} (fetched batches are kept in {cache}; rerun to resume)")
        except RecordError as exc:
            fail(str(exc))
        typer.echo(f"{report['found']} abstracts; {report['missing']} missing")
