"""The E-utilities client against a local HTTP server that misbehaves on purpose."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from npre.clients.pubmed import (
    EutilsClient,
    PubMedError,
    RateLimiter,
    fetch_into_cache,
    map_dois,
    parse_efetch,
    read_cache,
)

DELETED = {"999"}


def article_xml(pmid: str) -> str:
    return (
        f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article>"
        f"<ArticleTitle>Alkaloids of <i>Coptis chinensis</i> {pmid}</ArticleTitle><Abstract>"
        f'<AbstractText Label="BACKGROUND">Roots of <i>C. chinensis</i> were studied.'
        "</AbstractText>"
        f'<AbstractText Label="RESULTS">Berberine (C<sub>20</sub>H<sub>18</sub>NO<sub>4</sub>) '
        f"was isolated.</AbstractText>"
        f"</Abstract></Article></MedlineCitation><PubmedData><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f'<ArticleId IdType="doi">10.5555/X.{pmid}</ArticleId>'
        f"</ArticleIdList></PubmedData></PubmedArticle>"
    )


class FakeEutils:
    """Serves efetch; each request first takes the next planned fault, if any."""

    def __init__(self):
        self.faults: list[str] = []
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                owner.requests.append(form)
                if self.path.endswith("/esearch.fcgi"):
                    dois = re.findall(r'"([^"]+)"\[doi\]', form["term"])
                    pmids = [
                        d.rsplit(".", 1)[1] for d in dois if d.lower().startswith("10.5555/x.")
                    ]
                    payload = json.dumps(
                        {"esearchresult": {"idlist": [p for p in pmids if p not in DELETED]}}
                    )
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(payload.encode())
                    return
                fault = owner.faults.pop(0) if owner.faults else None
                if fault == "slow":
                    time.sleep(0.6)
                if fault in ("429", "500"):
                    self.send_response(int(fault))
                    self.send_header("Retry-After", "0")
                    self.end_headers()
                    return
                ids = form["id"].split(",")
                xml = "<PubmedArticleSet>" + "".join(
                    article_xml(i) for i in ids if i not in DELETED
                )
                xml += "</PubmedArticleSet>"
                payload = xml.encode()
                if fault == "truncated":
                    payload = payload[: len(payload) // 2]
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def eutils():
    fake = FakeEutils()
    yield fake
    fake.server.shutdown()


def client(eutils, **kwargs) -> EutilsClient:
    kwargs.setdefault("backoff_s", 0.01)
    kwargs.setdefault("requests_per_second", 1000)
    return EutilsClient(base_url=eutils.url, **kwargs)


def test_parse_strips_markup_and_keeps_every_section():
    (article,) = parse_efetch(f"<PubmedArticleSet>{article_xml('12')}</PubmedArticleSet>".encode())
    assert article.PMID == "12"
    assert article.ArticleTitle == "Alkaloids of Coptis chinensis 12"
    assert article.AbstractText == (
        "BACKGROUND: Roots of C. chinensis were studied. "
        "RESULTS: Berberine (C20H18NO4) was isolated."
    )


def test_batches_retries_and_cache(eutils, tmp_path):
    pmids = [str(i) for i in range(1, 451)] + ["999"]
    eutils.faults = ["429", "500", "truncated"]
    cache = fetch_into_cache(pmids, tmp_path / "cache.jsonl", client(eutils), progress=False)
    assert len(cache) == 451
    assert cache["999"]["AbstractText"] == ""  # not in PubMed: cached as empty, not asked again
    assert cache["7"]["ArticleTitle"] == "Alkaloids of Coptis chinensis 7"
    sizes = [len(r["id"].split(",")) for r in eutils.requests]
    assert max(sizes) <= 200
    assert len(eutils.requests) == 3 + 3  # three batches, three retried failures
    again = client(eutils)
    fetch_into_cache(pmids, tmp_path / "cache.jsonl", again, progress=False)
    assert again.requests == 0  # a rerun fetches nothing


def test_interrupted_run_resumes_from_the_cache(eutils, tmp_path):
    path = tmp_path / "cache.jsonl"
    first = [str(i) for i in range(1, 201)]
    fetch_into_cache(first, path, client(eutils), progress=False)
    with path.open("a") as handle:
        handle.write('{"PMID": "201", "ArticleTi')  # a write cut by the interruption
    eutils.requests.clear()
    cache = fetch_into_cache([str(i) for i in range(1, 301)], path, client(eutils), progress=False)
    assert len(cache) == 300
    assert [len(r["id"].split(",")) for r in eutils.requests] == [100]
    assert read_cache(path)["201"]["ArticleTitle"].startswith("Alkaloids")


def test_timeouts_are_retried(eutils, tmp_path):
    eutils.faults = ["slow"]
    cache = fetch_into_cache(
        ["1", "2"], tmp_path / "c.jsonl", client(eutils, timeout_s=0.2), progress=False
    )
    assert len(cache) == 2 and len(eutils.requests) == 2


def test_key_is_sent_but_never_logged(eutils, tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("NCBI_API_KEY", "SECRET-KEY-123")
    eutils.faults = ["500"] * 10
    caplog.set_level(logging.DEBUG)
    with pytest.raises(PubMedError) as failure:
        fetch_into_cache(["1"], tmp_path / "c.jsonl", client(eutils, max_retries=2), progress=False)
    assert eutils.requests[0]["api_key"] == "SECRET-KEY-123"
    assert "SECRET" not in str(failure.value) and "SECRET" not in caplog.text
    assert "HTTP 500" in str(failure.value)
    assert json.loads((tmp_path / "c.jsonl").read_text() or "{}") == {}  # nothing half-written


def test_rate_limits_are_three_without_key_and_ten_with(monkeypatch):
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    assert EutilsClient().limiter.interval == pytest.approx(1 / 3)
    monkeypatch.setenv("NCBI_API_KEY", "k")
    assert EutilsClient().limiter.interval == pytest.approx(1 / 10)


def test_rate_limiter_spaces_calls():
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(round(seconds, 6))
        now[0] += seconds

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    now[0] += 1.0  # idle: no wait needed
    limiter.wait()
    assert slept == [0.25, 0.25]


def test_abstracts_stage_fetches_from_pubmed_into_the_cache(eutils, tmp_path, root):
    import yaml
    from typer.testing import CliRunner

    from npre.cli import app
    from npre.data.records import read_documents

    params = yaml.safe_load((root / "params.yaml").read_text())
    params["abstracts"].update({"source": "pubmed", "eutils_url": eutils.url})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "refs.tsv").write_text("kingdom\titem\trank\nFungi\t11\t1\nFungi\t999\t2\n")
    args = ["abstracts", str(tmp_path / "refs.tsv"), "--cache", str(tmp_path / "cache.jsonl"),
            "--out", str(tmp_path / "out.jsonl"), "--metrics", str(tmp_path / "m.json"),
            "--params", str(tmp_path / "params.yaml")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    docs = read_documents(tmp_path / "out.jsonl")
    assert [d.PMID for d in docs] == ["11"]
    assert json.loads((tmp_path / "m.json").read_text())["missing_pmids"] == ["999"]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert len(eutils.requests) == 1  # the second run found everything in the cache


def test_dois_map_to_pmids_and_feed_the_lotus_stage(eutils, tmp_path, root):
    import pandas as pd
    import yaml
    from typer.testing import CliRunner

    from npre.cli import app

    table = pd.read_csv(
        root / "data/demo/lotus_demo.tsv", sep="\t", dtype=str, keep_default_na=False
    )
    table = table.drop(columns=["reference_pubmed_id"])  # LOTUS itself has DOIs only
    refs = sorted(table["reference_doi"].unique())
    known = {doi: str(1000 + i) for i, doi in enumerate(refs[:-1])}  # the last one is not in PubMed
    table["reference_doi"] = table["reference_doi"].map(
        lambda d: f"10.5555/x.{known[d]}" if d in known else d
    )
    table.to_csv(tmp_path / "lotus.tsv", sep="\t", index=False)
    args = [
        "doi2pmid",
        str(tmp_path / "lotus.tsv"),
        "--out",
        str(tmp_path / "map.tsv"),
        "--eutils-url",
        eutils.url,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    mapping = pd.read_csv(tmp_path / "map.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert len(mapping) == len(refs) and (mapping["pmid"] != "").sum() == len(refs) - 1
    before = len(eutils.requests)
    assert CliRunner().invoke(app, args).exit_code == 0 and len(eutils.requests) == before  # cached
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"lotus": {}}))
    lotus_args = ["lotus", str(tmp_path / "lotus.tsv"), "--out", str(tmp_path / "r.parquet"),
                  "--metrics", str(tmp_path / "m.json"), "--pmid-map", str(tmp_path / "map.tsv"),
                  "--params", str(params)]  # fmt: skip
    result = CliRunner().invoke(app, lotus_args)
    assert result.exit_code == 0, result.output
    relations = pd.read_parquet(tmp_path / "r.parquet")
    assert relations["reference_pubmed_id"].str.fullmatch(r"\d+").all() and len(relations) > 400


def test_map_dois_resumes_from_its_cache(eutils, tmp_path):
    dois = [f"10.5555/X.{i}" for i in range(1, 151)] + ["10.9999/unknown"]
    first = map_dois(dois[:120], tmp_path / "map.cache", client(eutils))
    assert first["10.5555/x.7"] == "7"
    eutils.requests.clear()
    mapping = map_dois(dois, tmp_path / "map.cache", client(eutils))
    assert mapping["10.9999/unknown"] == "" and mapping["10.5555/x.150"] == "150"
    assert len([r for r in eutils.requests if "term" in r]) == 1  # only the 31 new DOIs
