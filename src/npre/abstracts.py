"""The `abstracts` stage: title and abstract of each sampled reference, from the local cache.

The cache is JSON Lines of {PMID, ArticleTitle, AbstractText}. References the cache lacks
are reported, not invented.
"""

from __future__ import annotations

import json
from pathlib import Path

from npre.records import Document, RecordError


def read_abstract_cache(path: Path) -> dict[str, Document]:
    cache: dict[str, Document] = {}
    with Path(path).open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                pmid = str(raw["PMID"])
                cache[pmid] = Document(
                    PMID=pmid,
                    ArticleTitle=str(raw.get("ArticleTitle", "")),
                    AbstractText=str(raw.get("AbstractText", "")),
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise RecordError(f"{path}:{line_no}: not an abstract record: {exc}") from None
    return cache


def fetch_abstracts(
    pmids: list[str], cache: dict[str, Document]
) -> tuple[list[Document], list[str]]:
    """Abstracts for `pmids` in order, and the PMIDs the cache does not hold."""
    found = [cache[p] for p in pmids if p in cache and cache[p].AbstractText.strip()]
    missing = [p for p in pmids if p not in cache or not cache[p].AbstractText.strip()]
    return found, missing
