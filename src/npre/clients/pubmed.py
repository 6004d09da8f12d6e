"""PubMed titles and abstracts through NCBI E-utilities efetch, with an on-disk cache.

- batches of at most 200 PMIDs; the API key comes from `NCBI_API_KEY` and is never logged;
- at most 3 requests/s without a key, 10 with one;
- retries with exponential backoff on 429, 5xx, network errors and truncated XML
  (`Retry-After` is honoured);
- the title and every abstract section (labelled sections as "LABEL: text"), inline
  markup (<i>, <sup>...) stripped;
- every fetched batch is appended to the cache (JSON Lines) at once, so a rerun fetches
  nothing and an interrupted run resumes. PMIDs PubMed does not return are cached with an
  empty abstract, so they are not asked for again.
"""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from npre.clients.retry import RETRY_STATUSES, Transient, with_retries

EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
MAX_BATCH = 200


class PubMedError(RuntimeError):
    """E-utilities kept failing for a batch after every retry."""


@dataclass
class Abstract:
    PMID: str
    ArticleTitle: str
    AbstractText: str
    doi: str = ""


def _text(element: ET.Element | None) -> str:
    """All text inside an element, inline markup dropped, whitespace collapsed."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def parse_article(article: ET.Element) -> Abstract | None:
    """One `PubmedArticle` element (None without a PMID): the title, every abstract section
    (a labelled one as "LABEL: text") and the DOI. Shared by efetch answers and the
    baseline and update files read in bulk."""
    citation = article.find("MedlineCitation")
    if citation is None or citation.find("PMID") is None:
        return None
    sections = []
    for section in citation.iterfind("Article/Abstract/AbstractText"):
        text = _text(section)
        label = section.get("Label")
        sections.append(f"{label}: {text}" if label and text else text)
    doi = article.find("PubmedData/ArticleIdList/ArticleId[@IdType='doi']")
    if doi is None:
        doi = citation.find("Article/ELocationID[@EIdType='doi']")
    return Abstract(
        PMID=_text(citation.find("PMID")),
        ArticleTitle=_text(citation.find("Article/ArticleTitle")),
        AbstractText=" ".join(s for s in sections if s),
        doi=_text(doi).lower(),
    )


def parse_efetch(xml: bytes) -> list[Abstract]:
    """Articles of an efetch PubmedArticleSet; raises ET.ParseError on truncated XML."""
    root = ET.fromstring(xml)
    parsed = (parse_article(article) for article in root.iter("PubmedArticle"))
    return [article for article in parsed if article is not None]


class RateLimiter:
    """At most `per_second` calls per second (evenly spaced)."""

    def __init__(
        self, per_second: float, clock: Callable[[], float] = time.monotonic, sleep=time.sleep
    ):
        self.interval = 1.0 / per_second
        self.clock, self.sleep = clock, sleep
        self.next_time = 0.0

    def wait(self) -> None:
        now = self.clock()
        if now < self.next_time:
            self.sleep(self.next_time - now)
            now = self.next_time
        self.next_time = now + self.interval


class EutilsClient:
    def __init__(
        self,
        base_url: str = EUTILS,
        api_key: str | None = None,
        max_retries: int = 5,
        backoff_s: float = 1.0,
        timeout_s: float = 30.0,
        requests_per_second: float | None = None,
        tool: str = "npre",
    ):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key if api_key is not None else os.environ.get("NCBI_API_KEY") or None
        rate = requests_per_second or (10.0 if self.api_key else 3.0)
        self.limiter = RateLimiter(rate)
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.tool = tool
        self.http = httpx.Client(timeout=timeout_s)
        self.requests = 0

    def close(self) -> None:
        self.http.close()

    def efetch(self, pmids: list[str]) -> list[Abstract]:
        """One batch (<= 200 PMIDs), retried on transient failures."""
        if len(pmids) > MAX_BATCH:
            raise ValueError(f"efetch batches hold at most {MAX_BATCH} PMIDs, got {len(pmids)}")
        data = {"db": "pubmed", "retmode": "xml", "id": ",".join(pmids)}
        what = f"efetch of PMIDs {pmids[0]}..{pmids[-1]}"
        return self._call("efetch.fcgi", data, parse_efetch, what)

    def esearch_dois(self, dois: list[str]) -> list[str]:
        """PMIDs of the articles with any of `dois` (which PMID is which: see efetch)."""
        term = " OR ".join(f'"{doi}"[doi]' for doi in dois)
        data = {"db": "pubmed", "retmode": "json", "retmax": str(4 * len(dois)), "term": term}

        def parse(body: bytes) -> list[str]:
            try:
                return json.loads(body)["esearchresult"]["idlist"]
            except (json.JSONDecodeError, KeyError) as exc:
                raise ET.ParseError(f"not an esearch answer: {exc}") from None

        return self._call("esearch.fcgi", data, parse, f"esearch of {len(dois)} DOIs")

    def _call(self, endpoint: str, data: dict, parse, what: str):
        """POST with the rate limit; retry 429/5xx, network errors and unparsable bodies."""
        data = {**data, "tool": self.tool}
        if self.api_key:
            data["api_key"] = self.api_key

        def attempt():
            self.limiter.wait()
            self.requests += 1
            try:
                response = self.http.post(f"{self.base_url}/{endpoint}", data=data)
            except httpx.HTTPError as exc:  # the message names the host, never the key
                raise Transient(f"{type(exc).__name__}: {exc}") from None
            if response.status_code in RETRY_STATUSES:
                raise Transient(f"HTTP {response.status_code}", response.headers.get("Retry-After"))
            if response.status_code != 200:
                raise PubMedError(f"{what}: HTTP {response.status_code}")
            try:
                return parse(response.content)
            except ET.ParseError as exc:
                raise Transient(f"malformed or truncated answer ({exc})") from None

        return with_retries(attempt, self.max_retries, self.backoff_s, what, PubMedError)


def read_cache(path: Path) -> dict[str, dict]:
    """The cache, tolerating a last line cut by an interrupted write."""
    cache: dict[str, dict] = {}
    if not Path(path).exists():
        return cache
    with Path(path).open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # an interrupted append: that batch is fetched again
            cache[str(record["PMID"])] = record
    return cache


def fetch_into_cache(
    pmids: Iterable[str], cache_path: Path, client: EutilsClient, progress: bool = True
) -> dict[str, dict]:
    """Fetch every PMID the cache lacks, in batches, appending each batch as it arrives."""
    from tqdm import tqdm

    cache_path = Path(cache_path)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cache = read_cache(cache_path)
    wanted = [p for p in dict.fromkeys(str(p) for p in pmids) if p not in cache]
    batches = [wanted[i : i + MAX_BATCH] for i in range(0, len(wanted), MAX_BATCH)]
    with cache_path.open("a", encoding="utf-8") as handle:
        if _ends_without_newline(cache_path):
            handle.write("\n")  # seal a line cut by an interruption; it is skipped on reading
        for batch in tqdm(batches, desc="efetch", unit="batch", disable=not progress):
            found = {a.PMID: a for a in client.efetch(batch)}
            for pmid in batch:
                article = found.get(pmid, Abstract(pmid, "", ""))
                record = {
                    "PMID": pmid,
                    "ArticleTitle": article.ArticleTitle,
                    "AbstractText": article.AbstractText,
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                cache[pmid] = record
            handle.flush()
            os.fsync(handle.fileno())
    return cache


def _ends_without_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            return False
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) != b"\n"


DOI_BATCH = 100


def map_dois(dois: Iterable[str], cache_path: Path, client: EutilsClient) -> dict[str, str]:
    """DOI -> PMID ("" when PubMed has none), cached as TSV and appended batch by batch."""
    cache_path = Path(cache_path)
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    mapping: dict[str, str] = {}
    if cache_path.exists():
        for line in cache_path.read_text(encoding="utf-8").splitlines():
            doi, _, pmid = line.partition("\t")
            if doi and _:
                mapping[doi] = pmid
    wanted = [
        d
        for d in dict.fromkeys(d.strip().lower() for d in dois if d and d.strip())
        if d not in mapping
    ]
    with cache_path.open("a", encoding="utf-8") as handle:
        if _ends_without_newline(cache_path):
            handle.write("\n")
        for start in range(0, len(wanted), DOI_BATCH):
            batch = wanted[start : start + DOI_BATCH]
            pmids = client.esearch_dois(batch)
            found = {}
            for offset in range(0, len(pmids), MAX_BATCH):
                for article in client.efetch(pmids[offset : offset + MAX_BATCH]):
                    found.setdefault(article.doi, article.PMID)
            for doi in batch:
                mapping[doi] = found.get(doi, "")
                handle.write(f"{doi}\t{mapping[doi]}\n")
            handle.flush()
    return mapping
