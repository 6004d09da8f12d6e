"""`npre extract --out DIR`: the table layout, PubMed baseline files, the Ray engine against
the local one, and exactly-once answers when a worker or the whole job is killed."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from bulk_model import DOCS, saved_tiny_model
from helpers import ROOT

from npre.bulk.blocks import JobFolderError, Source
from npre.bulk.inputs import BadRow, InputDocument, read_inputs
from npre.bulk.job import JobSettings, run_job
from npre.bulk.tables import DOCUMENTS, RELATIONS


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return saved_tiny_model(tmp_path_factory)


@pytest.fixture(scope="module")
def ray_runtime(tmp_path_factory):
    """One real local Ray runtime for the module's Ray jobs (they use it as it is)."""
    import ray

    folder = tmp_path_factory.mktemp("ray")
    ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(folder), log_to_driver=False)
    yield
    ray.shutdown()


def documents_file(path, copies: int, bad: bool = False):
    """DOCS repeated `copies` times under distinct ids, as JSON Lines (+ one broken line)."""
    lines = [
        json.dumps({"id": f"{d.PMID}-{c}", "title": d.ArticleTitle, "abstract": d.AbstractText})
        for c in range(copies)
        for d in DOCS
    ]
    if bad:
        lines.insert(3, '{"title": "cut')
    path.write_text("\n".join(lines) + "\n")
    return [Source.of(path, "jsonl")]


def settings(model_dir, **changes) -> JobSettings:
    return replace(JobSettings(str(model_dir), block_size=4, batch_size=4, threads=1), **changes)


def table(folder, name, sort):
    read = pq.read_table(folder / name).sort_by([(c, "ascending") for c in sort])
    return read.to_pylist()


def answered_once(out, ids):
    """Every id answered exactly once in documents, and relations only of answered ids."""
    documents = pq.read_table(out / "documents").to_pydict()
    answered = [i for i, p in zip(documents["id"], documents["problem"], strict=True) if not p]
    assert sorted(answered) == sorted(ids)
    relations = pq.read_table(out / "relations").to_pydict()
    assert set(relations["id"]) <= set(ids)
    return relations


def test_the_local_engine_writes_the_tables_and_their_summary(model_dir, tmp_path):
    from npre.bulk.local import extract_to_file
    from npre.mlops.champion import load_champion

    sources = documents_file(tmp_path / "in.jsonl", 2, bad=True)
    summary = run_job(sources, tmp_path / "out", settings(model_dir))
    out = tmp_path / "out"
    assert len(list((out / "documents").glob("*.parquet"))) == 4  # 13 rows in blocks of 4
    assert pq.read_schema(next((out / "relations").glob("*.parquet"))) == RELATIONS
    assert pq.read_schema(next((out / "documents").glob("*.parquet"))) == DOCUMENTS
    relations = answered_once(out, [f"{d.PMID}-{c}" for c in range(2) for d in DOCS])
    documents = pq.read_table(out / "documents").to_pylist()
    bad = [d for d in documents if d["problem"]]
    assert [(d["id"], d["problem"]) for d in bad] == [("in.jsonl:4", "bad_row")]
    saved = json.loads((out / "summary.json").read_text())
    assert saved == summary
    assert (summary["documents"], summary["bad_rows"], summary["extracted_now"]) == (12, 1, 12)
    assert summary["relations"] == len(relations["id"]) > 0
    assert summary["new_relations"] == relations["status"].count("new")
    assert (summary["engine"], summary["workers"]) == ("local", 1)
    # the same answers as the JSON Lines output, with their taxa
    lines = tmp_path / "same.jsonl"
    extract_to_file(load_champion(str(model_dir)), read_inputs(tmp_path / "in.jsonl"), lines)
    expected = [
        (answer["id"], r["organism"], r["chemical"], r["status"], r["organism_wikidata"])
        for answer in map(json.loads, lines.read_text().splitlines())
        for r in answer["relations"]
    ]
    keys = ("id", "organism", "chemical", "status", "organism_wikidata")
    got = list(zip(*(relations[k] for k in keys), strict=True))
    assert sorted(got) == sorted(expected)
    taxa = dict(zip(relations["organism"], relations["organism_taxid"], strict=True))
    assert taxa.get("Artemisia annua", 35608) == 35608  # NCBI's id, where it was answered
    assert any(taxid is not None for taxid in taxa.values())


def _pubmed_file(path):
    articles = [
        ("901", "Taxol from yew", "<AbstractText Label='BACKGROUND'>Yews.</AbstractText>"
         "<AbstractText Label='RESULTS'>Taxus brevifolia gave <i>paclitaxel</i>.</AbstractText>"),
        ("902", "No abstract here", ""),
        ("903", DOCS[0].ArticleTitle, f"<AbstractText>{DOCS[0].AbstractText}</AbstractText>"),
    ]  # fmt: skip
    records = "".join(
        f"<PubmedArticle><MedlineCitation><PMID Version='1'>{pmid}</PMID><Article>"
        f"<ArticleTitle>{title}</ArticleTitle>"
        + (f"<Abstract>{abstract}</Abstract>" if abstract else "")
        + "</Article></MedlineCitation></PubmedArticle>"
        for pmid, title, abstract in articles
    )
    deleted = "<DeleteCitation><PMID Version='1'>77</PMID><PMID Version='1'>78</PMID>"
    xml = f"<?xml version='1.0'?><PubmedArticleSet>{records}{deleted}</DeleteCitation>"
    path.write_bytes(gzip.compress((xml + "</PubmedArticleSet>").encode()))
    return path


def test_a_gzipped_pubmed_file_with_a_deletion_and_a_record_without_abstract(model_dir, tmp_path):
    path = _pubmed_file(tmp_path / "pubmed25n0001.xml.gz")
    rows = list(read_inputs(path))
    assert rows[0] == InputDocument(
        "901", "Taxol from yew", "BACKGROUND: Yews. RESULTS: Taxus brevifolia gave paclitaxel."
    )  # structured sections joined with their labels, as the PubMed client does
    kinds = [(r.id, r.kind) for r in rows if isinstance(r, BadRow)]
    assert kinds == [("902", "no_abstract"), ("77", "deleted"), ("78", "deleted")]
    summary = run_job([Source.of(path, "pubmed")], tmp_path / "out", settings(model_dir))
    assert (summary["documents"], summary["no_abstract"], summary["deleted"]) == (2, 1, 2)
    documents = {d["id"]: d["problem"] for d in table(tmp_path / "out", "documents", ["id"])}
    assert documents == {"901": None, "902": "no_abstract", "903": None, "77": "deleted"} | {
        "78": "deleted"
    }
    relations = pq.read_table(tmp_path / "out" / "relations").to_pydict()
    assert set(relations["id"]) <= {"901", "903"}


def test_an_interrupted_block_is_redone_and_a_finished_job_does_no_model_work(model_dir, tmp_path):
    sources = documents_file(tmp_path / "in.jsonl", 2)
    out = tmp_path / "out"
    run_job(sources, out, settings(model_dir))
    before = table(out, "relations", ["id", "organism", "chemical"])
    # as a kill leaves it: a block's relations written, its documents not; a temporary file
    cut = sorted((out / "documents").glob("*.parquet"))[1]
    cut.unlink()
    (out / "documents" / f".{cut.name}.99.tmp").write_bytes(b"PAR1 cut")
    (out / "sources" / f"{sources[0].key}.json").unlink()
    summary = run_job(sources, out, settings(model_dir))
    assert (summary["blocks_now"], summary["blocks_already_done"]) == (1, 2)
    assert table(out, "relations", ["id", "organism", "chemical"]) == before
    assert not list(out.rglob("*.tmp"))
    # a finished job: nothing read, no model loaded (this one does not even exist)
    for engine in ("local", "ray"):
        again = run_job(sources, out, settings(tmp_path / "no-model", engine=engine))
        assert (again["extracted_now"], again["sources_read"]) == (0, 0)
    with pytest.raises(JobFolderError, match="--block-size 4"):
        run_job(sources, out, settings(model_dir, block_size=5))


@pytest.mark.slow
def test_ray_with_two_workers_gives_the_local_answers(model_dir, ray_runtime, tmp_path):
    sources = documents_file(tmp_path / "in.jsonl", 3, bad=True)
    local = run_job(sources, tmp_path / "local", settings(model_dir))
    ray = run_job(sources, tmp_path / "ray", settings(model_dir, engine="ray", workers=2))
    assert (ray["engine"], ray["workers"], ray["threads_per_worker"]) == ("ray", 2, 1)
    for name, key in (("relations", ["id", "organism", "chemical"]), ("documents", ["id"])):
        assert table(tmp_path / "ray", name, key) == table(tmp_path / "local", name, key)
    for key in ("documents", "relations", "new_relations", "bad_rows", "organisms_with_taxid"):
        assert ray[key] == local[key]


def _descendants_named(word: str) -> list:
    import psutil

    found = []
    for process in psutil.Process().children(recursive=True):
        try:
            if word in " ".join(process.cmdline()):
                found.append(process)
        except psutil.Error:
            continue
    return found


@pytest.mark.slow
def test_a_killed_worker_loses_and_doubles_nothing(model_dir, ray_runtime, tmp_path):
    sources = documents_file(tmp_path / "in.jsonl", 6)
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_one_actor_once_blocks_are_written():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            actors = _descendants_named("BlockExtractor")
            finished = len(list((out / "documents").glob("*.parquet")))
            if actors and finished >= 1:
                os.kill(actors[0].pid, signal.SIGKILL)  # a real signal, mid-job
                killed.append(finished)
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_actor_once_blocks_are_written, daemon=True)
    killer.start()
    summary = run_job(sources, out, settings(model_dir, engine="ray", workers=2, block_size=2))
    killer.join()
    assert killed and killed[0] < 18, f"no actor was killed mid-job ({killed})"
    assert summary["blocks_now"] == 18 and summary["blocks_already_done"] == 0
    answered_once(out, [f"{d.PMID}-{c}" for c in range(6) for d in DOCS])


@pytest.mark.slow
def test_a_killed_job_rerun_answers_every_document_once(model_dir, ray_runtime, tmp_path):
    import psutil

    sources = documents_file(tmp_path / "in.jsonl", 8)
    out = tmp_path / "out"
    temporary = Path(tempfile.gettempdir())
    ray_folders = set(temporary.glob("npre-ray-*"))  # the killed job cannot remove its own
    command = [sys.executable, "-m", "npre.cli", "extract", str(tmp_path / "in.jsonl"),
               "--out", str(out), "--engine", "ray", "--workers", "2", "--block-size", "2",
               "--model", str(model_dir)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {"HF_HUB_OFFLINE": "1"}
    job = subprocess.Popen(
        command, cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    done = lambda: len(list((out / "documents").glob("*.parquet")))  # noqa: E731
    deadline = time.monotonic() + 240
    while done() < 2 and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.poll() is None, "the job ended before it could be killed"
    group = psutil.Process(job.pid).children(recursive=True)
    os.killpg(job.pid, signal.SIGKILL)  # the whole job: the driver, Ray and its workers
    job.wait()
    for process in group:  # anything of the job that left its process group
        if process.is_running():
            process.kill()
    finished_at_kill = done()
    assert 2 <= finished_at_kill < 24, job.stderr.read().decode()[-2000:]
    summary = run_job(sources, out, settings(model_dir, engine="ray", workers=2, block_size=2))
    assert summary["blocks_already_done"] == finished_at_kill
    assert summary["blocks_now"] == 24 - finished_at_kill
    answered_once(out, [f"{d.PMID}-{c}" for c in range(8) for d in DOCS])
    for folder in set(temporary.glob("npre-ray-*")) - ray_folders:
        shutil.rmtree(folder, ignore_errors=True)
