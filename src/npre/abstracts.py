"""The `abstracts` stage: title and abstract of each sampled reference, from the local cache.

The cache is JSON Lines of {PMID, ArticleTitle, AbstractText}. References the cache lacks
are reported, not invented.
"""

from __future__ import annotations

from pathlib import Path

from npre.records import Document, iter_json_lines


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
