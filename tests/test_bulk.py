"""`npre extract`: the three input kinds, bad rows by line, resuming after an interruption."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from bulk_model import DOCS, saved_tiny_model
from helpers import ROOT
from test_pubmed import FakeEutils

from npre.bulk.inputs import BadRow, InputDocument, read_inputs
from npre.bulk.local import done_ids, extract_to_file, summarise


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A tiny extractor saved as an MLflow pyfunc model, with a LOTUS table of 3 relations."""
    return saved_tiny_model(tmp_path_factory)


@pytest.fixture(scope="module")
def loaded(model_dir):
    from npre.mlops.champion import load_champion

    return load_champion(str(model_dir))


def write_jsonl(path, records):
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))


def test_json_lines_with_bad_rows_reported_by_line(tmp_path):
    path = tmp_path / "in.jsonl"
    write_jsonl(
        path,
        [
            {"id": "a", "title": "T", "abstract": "Taxus gave taxol."},
            '{"title": "cut',  # line 2: broken JSON
            {"title": "no abstract"},  # line 3
            {"abstract": "Coptis gave berberine."},  # line 4: no id
            ["not", "an", "object"],  # line 5
        ],
    )
    rows = list(read_inputs(path))
    assert rows[0] == InputDocument("a", "T", "Taxus gave taxol.")
    assert rows[3] == InputDocument("in.jsonl:4", "", "Coptis gave berberine.")
    bad = {r.where: r.problem for r in rows if isinstance(r, BadRow)}
    assert set(bad) == {"in.jsonl:2", "in.jsonl:3", "in.jsonl:5"}
    assert "not JSON" in bad["in.jsonl:2"] and "abstract" in bad["in.jsonl:3"]


def test_csv_rows_and_a_file_without_the_abstract_column(tmp_path):
    from npre.bulk.inputs import BulkInputError

    path = tmp_path / "in.csv"
    path.write_text('id,title,abstract\n1,T,"Taxus gave taxol, twice."\n2,T,a,extra\n3,,x\n')
    rows = list(read_inputs(path))
    assert rows[0] == InputDocument("1", "T", "Taxus gave taxol, twice.")
    assert isinstance(rows[1], BadRow) and rows[1].where == "in.csv:3"
    assert rows[2] == InputDocument("3", "", "x")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("title,text\nT,x\n")
    with pytest.raises(BulkInputError, match="no 'abstract' column"):
        list(read_inputs(wrong))
    with pytest.raises(BulkInputError, match="unknown input kind"):
        read_inputs(path.rename(tmp_path / "in.xlsx"))


def test_a_curated_set_is_read_by_pmid(root):
    rows = list(read_inputs(root / "data/demo/eval_set.json"))
    gold = json.loads((root / "data/demo/eval_set.json").read_text())
    assert [r.id for r in rows] == list(gold)


def test_pmids_are_fetched_through_the_pubmed_cache(tmp_path):
    from npre.clients.pubmed import EutilsClient, fetch_into_cache

    fake = FakeEutils()
    try:
        client = EutilsClient(fake.url, backoff_s=0.01, requests_per_second=1000)
        cache = tmp_path / "cache.jsonl"
        fetch = lambda pmids: fetch_into_cache(pmids, cache, client, progress=False)  # noqa: E731
        path = tmp_path / "in.txt"
        path.write_text("101\n\nPMID:7\n102\n999\n101\n")
        rows = list(read_inputs(path, fetch))
        assert [r.id for r in rows if isinstance(r, InputDocument)] == ["101", "102"]
        assert "Berberine" in rows[1].abstract
        bad = {r.where: r.problem for r in rows if isinstance(r, BadRow)}
        assert bad == {
            "in.txt:3": "'PMID:7' is not a PMID",
            "PMID 999": "PubMed has no abstract for it",
        }
        fetched = len(fake.requests)
        list(read_inputs(path, fetch))  # a rerun reads the cache: no new request
        assert len(fake.requests) == fetched
    finally:
        fake.server.shutdown()


def _rows():
    return [InputDocument(d.PMID, d.ArticleTitle, d.AbstractText) for d in DOCS]


def test_an_interrupted_run_resumes_with_nothing_done_twice_and_nothing_lost(loaded, tmp_path):
    whole = tmp_path / "whole.jsonl"
    extract_to_file(loaded, _rows(), whole, batch_size=2)

    def interrupted():
        for index, row in enumerate(_rows()):
            if index == 5:
                raise KeyboardInterrupt  # killed while reading the 6th document
            yield row

    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        extract_to_file(loaded, interrupted(), out, batch_size=2)
    assert done_ids(out) == {"0", "1", "2", "3"}  # two synced batches; the 5th was pending
    with out.open("a") as handle:
        handle.write('{"id": "4", "relations": [{"organ')  # a write cut by the kill
    report = extract_to_file(loaded, _rows(), out, batch_size=2)
    assert (report.extracted, report.skipped) == (2, 4)
    answers = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(a["id"] for a in answers) == [d.PMID for d in DOCS]  # each once
    expected = {json.loads(line)["id"]: line for line in whole.read_text().splitlines()}
    assert all(json.dumps(a) == expected[a["id"]] for a in answers)  # as one run answers


def test_answers_say_known_or_new_and_the_summary_counts_them(loaded, tmp_path):
    out = tmp_path / "out.jsonl"
    extract_to_file(loaded, _rows(), out)
    answers = [json.loads(line) for line in out.read_text().splitlines()]
    lotus = loaded.lotus
    relations = [r for a in answers for r in a["relations"]]
    assert relations, "the tiny extractor should find relations in its training documents"
    for relation in relations:
        expected = lotus.annotate(relation["organism"], relation["chemical"])
        assert {k: relation[k] for k in expected} == expected
        assert relation["chemical_evidence"] is not None  # copy-constrained: in the text
    assert {a["lotus_snapshot"] for a in answers} == {lotus.snapshot}
    summary = summarise(out)
    assert summary["documents"] == len(DOCS)
    assert summary["relations"] == len(relations)
    assert summary["new_relations"] == sum(r["status"] == "new" for r in relations)


def test_the_cli_extracts_resumes_and_summarises(model_dir, tmp_path):
    source = tmp_path / "docs.jsonl"
    write_jsonl(
        source,
        [{"id": d.PMID, "title": d.ArticleTitle, "abstract": d.AbstractText} for d in DOCS]
        + ["{broken"],
    )
    out = tmp_path / "answers.jsonl"
    command = [sys.executable, "-m", "npre.cli", "extract", str(source), "--out", str(out),
               "--model", str(model_dir), "--batch-size", "4"]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "skipped docs.jsonl:7: not JSON" in first.stderr
    summary = json.loads((tmp_path / "answers.summary.json").read_text())
    assert (summary["documents"], summary["extracted_now"], summary["bad_rows"]) == (6, 6, 1)
    assert summary["lotus_snapshot"].startswith("relations.parquet@sha256:")
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    summary = json.loads((tmp_path / "answers.summary.json").read_text())
    assert (summary["documents"], summary["extracted_now"], summary["already_done"]) == (6, 0, 6)
    assert len(out.read_text().splitlines()) == 6


def test_the_cli_names_a_missing_model(tmp_path):
    source = tmp_path / "docs.jsonl"
    write_jsonl(source, [{"abstract": "x"}])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "npre.cli",
            "extract",
            str(source),
            "--out",
            str(tmp_path / "o.jsonl"),
            "--model",
            str(tmp_path / "nothing"),
        ],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,  # fmt: skip
    )
    assert result.returncode == 1
    assert "nothing" in result.stderr and "Traceback" not in result.stderr
