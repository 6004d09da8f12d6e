"""The extraction API over real HTTP: `bentoml serve` on a free loopback port, serving a tiny
champion registered in a temporary SQLite MLflow registry; then `make bento`'s path (import
into a temporary BentoML store, `bentoml build`) served with the MLflow database moved away.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import psutil
import pytest
from helpers import ROOT, one_relation_documents, train_tiny_extractor

from npre.text.matching import organism_variants

BIN = str(Path(sys.executable).parent)
URI = "models:/npre-extractor@champion"
LIMITS = {"NPRE_MAX_CHARS": "5000", "NPRE_MAX_DOCUMENTS": "4"}  # overrides, from the environment
TRAIN_DOCS = one_relation_documents("Chemical study of {org} gave {chem} and minor ones.", 4)
GOLD = json.loads((ROOT / "data/demo/eval_set.json").read_text())
DOCUMENTS = [{"title": d.ArticleTitle, "abstract": d.AbstractText} for d in TRAIN_DOCS] + [
    {"title": d["ArticleTitle"], "abstract": d["AbstractText"]} for d in list(GOLD.values())[:3]
]


def test_settings_come_from_params_and_the_environment(tmp_path, monkeypatch):
    from npre.config.params import ParamsError

    monkeypatch.syspath_prepend(str(ROOT))  # serving/ is run from the project root
    from serving.settings import load_settings, model_reference, model_source

    settings = load_settings(ROOT / "params.yaml", environ={})
    assert (settings.max_chars, settings.max_documents) == (20000, 32)
    assert model_reference(settings, ROOT) == ("mlflow", URI)  # from source: the registry
    settings = load_settings(ROOT / "params.yaml", environ={"NPRE_MAX_BATCH_SIZE": "8"})
    assert settings.max_batch_size == 8
    with pytest.raises(ParamsError, match="NPRE_MAX_CHARS"):
        load_settings(ROOT / "params.yaml", environ={"NPRE_MAX_CHARS": "lots"})
    bento = tmp_path / "bento"  # a built Bento: src/ beside bento.yaml serves its packed model
    (bento / "src").mkdir(parents=True)
    (bento / "bento.yaml").write_text("{}")
    assert model_source(settings, bento / "src") == "bentoml"


def lotus_table(home: Path) -> Path:
    """LOTUS as the tiny champion knows it: the relations of its first two training docs."""
    import pandas as pd

    from npre.lotus.known import COLUMNS

    rows = [
        (d.organisms[0].label, f"Q-org-{i}", d.chemicals[0].label, f"Q-chem-{i}")
        for i, d in enumerate(TRAIN_DOCS[:2])
    ]
    path = home / "relations.parquet"
    pd.DataFrame(rows, columns=COLUMNS).to_parquet(path)
    return path


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> Path:
    """A tiny trained extractor registered as npre-extractor@champion in a temp registry."""
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    from npre.mlops.grid_registration import input_example, version_tags
    from npre.mlops.pyfunc_model import extractor_artifacts, log_extractor
    from npre.mlops.registry import register_and_promote
    from npre.mlops.shared_base import log_base_once, write_ref

    home = tmp_path_factory.mktemp("registry")
    base, adapter = train_tiny_extractor(TRAIN_DOCS, home)

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{home / 'mlflow.db'}")
    try:
        experiment = mlflow.create_experiment("t", artifact_location=(home / "art").as_uri())
        # as the register stage logs it: the base stored once, the model refers to it
        ref_file = write_ref(log_base_once(base, experiment), home / "ref")
        with mlflow.start_run(experiment_id=experiment) as run:
            output = pd.DataFrame({"relations": [[{"organism": "o", "chemical": "c"}]]})
            artifacts = extractor_artifacts(ref_file, adapter, lotus_table(home))
            info = log_extractor(artifacts, input_example(), output)
        register_and_promote(
            MlflowClient(),
            "npre-extractor",
            "champion",
            info.model_uri,
            run.info.run_id,
            0.5,
            version_tags(lotus_table(home)),  # as the register stage tags it
        )
    finally:
        mlflow.set_tracking_uri(previous)
    return home


@pytest.fixture(scope="module")
def extractor(registry):
    """The champion's RelationExtractor, loaded in this process: what the API must answer."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{registry / 'mlflow.db'}")
    try:
        return mlflow.pyfunc.load_model(URI).unwrap_python_model().extractor
    finally:
        mlflow.set_tracking_uri(previous)


@pytest.fixture(scope="module")
def expected(extractor) -> list[list[tuple[str, str]]]:
    return [extractor.extract(d["title"], d["abstract"]).relations for d in DOCUMENTS]


def server_env(registry: Path, **extra: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_TRACKING", "NPRE_", "BENTOML_HOME"))
    }
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{registry / 'mlflow.db'}"
    env["BENTOML_HOME"] = str(registry / "bentoml")
    return env | LIMITS | extra


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(process: subprocess.Popen, probe: str, log: Path, name: str) -> None:
    """Poll `probe` until it answers 200; fail with the server's log if `process` exits
    or 120 s pass."""
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            pytest.fail(f"{name} exited:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"not ready in 120 s:\n{log.read_text()[-4000:]}")
        with suppress(httpx.HTTPError):
            if httpx.get(probe, timeout=5).status_code == 200:
                return
        time.sleep(0.5)


@contextmanager
def running(command: list[str], probe: str, cwd: Path | None, env: dict, log: Path):
    """`COMMAND --host 127.0.0.1 --port PORT` on a free port; yields its URL once its
    `probe` path answers 200, and stops it and every worker it started."""
    port = _free_port()
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_ready(process, f"{url}{probe}", log, " ".join(command[:2]))
            yield url
        finally:
            # the workers run in process groups of their own: stop them by pid if the
            # server does not within 30 s
            workers = psutil.Process(process.pid).children(recursive=True)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for worker in workers:
                with suppress(psutil.NoSuchProcess):
                    worker.kill()


def serving(target: str, cwd: Path, env: dict, log: Path):
    """`bentoml serve TARGET`; yields its URL once /readyz is 200."""
    return running([f"{BIN}/bentoml", "serve", target], "/readyz", cwd, env, log)


@pytest.fixture(scope="module")
def service(registry):
    env = server_env(registry)
    with serving("serving.service:Extractor", ROOT, env, registry / "serve.log") as url:
        yield url


def pairs(body: dict) -> list[tuple[str, str]]:
    return [(r["organism"], r["chemical"]) for r in body["relations"]]


def _evidence_text(document: dict, evidence: dict) -> str:
    return document[evidence["field"]][evidence["start"] : evidence["end"]]


KNOWN_FIELDS = [
    "status",
    "organism_status",
    "chemical_status",
    "organism_wikidata",
    "chemical_wikidata",
]


@pytest.fixture(scope="module")
def lotus(registry):
    from npre.lotus.known import LotusIndex

    return LotusIndex.from_file(registry / "relations.parquet")


def test_a_valid_call_answers_like_the_extractor(service, expected, extractor, lotus):
    assert any(expected), "the tiny champion should find some relation"
    for document, relations in zip(DOCUMENTS, expected, strict=True):
        response = httpx.post(f"{service}/extract", json=document, timeout=60)
        assert response.status_code == 200, response.text
        body = response.json()
        assert pairs(body) == relations
        assert (body["model"], body["model_version"]) == (URI, "1")
        assert body["lotus_snapshot"].startswith("relations.parquet@sha256:")
        for relation in body["relations"]:  # known or new, as the packed table says
            fields = {key: relation[key] for key in KNOWN_FIELDS}
            assert fields == lotus.annotate(relation["organism"], relation["chemical"])
        for relation in body["relations"]:  # evidence: where each name occurs in the input
            chemical = _evidence_text(document, relation["chemical_evidence"])
            assert chemical.lower() == relation["chemical"].lower()  # copy-constrained
            if relation["organism_evidence"] is not None:  # also "G. species"
                organism = _evidence_text(document, relation["organism_evidence"])
                assert organism.lower() in map(str.lower, organism_variants(relation["organism"]))
    # every relation has the extractor's confidence; min_confidence drops the less sure
    found = next(d for d, r in zip(DOCUMENTS, expected, strict=True) if r)
    own = extractor.extract(found["title"], found["abstract"])
    body = httpx.post(f"{service}/extract", json=found, timeout=60).json()
    served = [r["confidence"] for r in body["relations"]]
    assert served == pytest.approx(own.confidences, abs=1e-4)
    assert all(0.0 < c <= 1.0 for c in served)
    cut = max(served)
    surest = httpx.post(f"{service}/extract", json={**found, "min_confidence": cut}, timeout=60)
    assert [r["confidence"] for r in surest.json()["relations"]] == [c for c in served if c >= cut]
    too_sure = httpx.post(f"{service}/extract", json={**found, "min_confidence": 1.5}, timeout=60)
    assert too_sure.status_code == 400 and "min_confidence" in too_sure.text
    # leading whitespace is kept, so evidence offsets index the text as sent
    padded = {**found, "abstract": "  \n " + found["abstract"]}
    body = httpx.post(f"{service}/extract", json=padded, timeout=60).json()
    assert body["relations"]
    for relation in body["relations"]:
        chemical = _evidence_text(padded, relation["chemical_evidence"])
        assert chemical.lower() == relation["chemical"].lower()
    batch = DOCUMENTS[:4]
    response = httpx.post(f"{service}/extract_batch", json={"documents": batch}, timeout=60)
    assert response.status_code == 200, response.text
    many = extractor.extract_many([(d["title"], d["abstract"]) for d in batch])
    assert [pairs(b) for b in response.json()] == [m.relations for m in many] == expected[:4]
    # the table holds the chemicals of 2 of the 4 documents: both kinds of answer occur
    statuses = {r["chemical_status"] for b in response.json() for r in b["relations"]}
    assert statuses == {"known", "new"}, statuses


def test_the_api_page_says_what_it_extracts_and_with_which_model(service, lotus):
    info = httpx.get(f"{service}/docs.json", timeout=30).json()["info"]
    assert info["title"] == "npre: organism-produces-chemical relation extraction"
    assert info["version"] == "1"  # the registry version it serves
    description = info["description"]
    for needle in (URI, lotus.snapshot, "copy-constrained", "evidence", "Retry-After"):
        assert needle in description, needle


def test_the_api_page_is_titled_links_the_docs_and_shows_a_real_answer(service):
    page = httpx.get(f"{service}/", timeout=30).text
    assert "<title>npre: organism-produces-chemical relation extraction</title>" in page
    assert "googletagmanager" not in page  # nothing loaded from the internet
    spec = httpx.get(f"{service}/docs.json", timeout=30).json()
    assert spec["info"]["contact"] == {"name": "npre documentation", "url": "/guide/"}
    assert spec["servers"] == []
    example = spec["paths"]["/extract"]["post"]["requestBody"]["content"]["application/json"]
    assert example["example"]["abstract"]  # serving/examples.json
    guide = httpx.get(f"{service}/guide/", timeout=30)
    assert guide.status_code == 200 and "<h1>" in guide.text  # README.md, as HTML


@pytest.mark.parametrize(
    ("path", "payload", "field", "problem"),
    [
        ("extract", {"title": "t", "abstract": "   "}, "abstract", "the abstract is blank"),
        ("extract", {"title": "t", "abstract": ""}, "abstract", "at least 1 character"),
        ("extract", {"title": "t", "abstract": "x" * 5001}, "abstract", "at most 5000"),
        ("extract", {"title": "x" * 5001, "abstract": "a"}, "title", "at most 5000"),
        ("extract", {"title": "only a title"}, "abstract", "Field required"),
        ("extract", {"title": "t", "abstract": 12}, "abstract", "valid string"),
        ("extract", {"title": ["t"], "abstract": "a"}, "title", "valid string"),
        ("extract", b'{"title": "t", "abstract": ', "", "Invalid JSON"),
        ("extract", b"not json at all", "", "Invalid JSON"),
        ("extract_batch", {"documents": [{"abstract": "a b"}] * 5}, "documents", "at most 4"),
        ("extract_batch", {"documents": []}, "documents", "at least 1"),
        ("extract_batch", {"documents": "a b c"}, "documents", "valid array"),
        ("extract_batch", {"documents": [{"abstract": ""}]}, "abstract", "at least 1"),
    ],
)
def test_bad_input_gets_a_4xx_that_says_what_is_wrong(service, path, payload, field, problem):
    if isinstance(payload, bytes):
        response = httpx.post(
            f"{service}/{path}",
            content=payload,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
    else:
        response = httpx.post(f"{service}/{path}", json=payload, timeout=30)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    details = response.json()["detail"]
    assert any(problem in d["msg"] and field in map(str, d["loc"]) for d in details) or (
        not field and any(problem in d["msg"] for d in details)
    ), response.text


def test_a_burst_from_16_clients_gets_no_5xx_and_the_same_answers(service, expected):
    """200 requests, 16 at a time: adaptive batching mixes documents, answers don't change."""
    calls = [(i % len(DOCUMENTS), i % 5 == 4) for i in range(200)]  # every 5th: a batch call

    def call(job):
        index, batch = job
        if batch:
            documents = [DOCUMENTS[index], DOCUMENTS[(index + 1) % len(DOCUMENTS)]]
            response = client.post(f"{service}/extract_batch", json={"documents": documents})
            ok = response.status_code == 200
            want = [expected[index], expected[(index + 1) % len(DOCUMENTS)]]
            return response.status_code, ok and [pairs(b) for b in response.json()] == want
        response = client.post(f"{service}/extract", json=DOCUMENTS[index])
        ok = response.status_code == 200
        return response.status_code, ok and pairs(response.json()) == expected[index]

    limits = httpx.Limits(max_connections=16)
    with httpx.Client(timeout=120, limits=limits) as client, ThreadPoolExecutor(16) as pool:
        results = list(pool.map(call, calls))
    statuses = sorted({status for status, _ in results})
    assert statuses == [200], statuses
    assert all(same for _, same in results)


def test_a_full_server_answers_503_with_retry_after_not_a_timeout(registry, expected):
    """serve.max_pending = 1: of 16 simultaneous calls, the surplus is refused at once."""
    env = server_env(registry, NPRE_MAX_PENDING="1")
    documents = DOCUMENTS[:4]
    want = expected[:4]
    with (
        serving("serving.service:Extractor", ROOT, env, registry / "busy.log") as url,
        httpx.Client(timeout=60) as client,
        ThreadPoolExecutor(16) as pool,
    ):
        burst = lambda _: client.post(f"{url}/extract_batch", json={"documents": documents})  # noqa: E731
        responses = list(pool.map(burst, range(16)))
        refused = [r for r in responses if r.status_code == 503]
        answered = [r for r in responses if r.status_code == 200]
        assert refused and answered, [r.status_code for r in responses]
        assert len(refused) + len(answered) == 16
        for response in refused:
            assert int(response.headers["retry-after"]) >= 1
            assert "serve.max_pending" in response.json()["error"]
        assert all([pairs(b) for b in r.json()] == want for r in answered)
        # once the burst is over, the server takes calls again
        assert client.post(f"{url}/extract", json=DOCUMENTS[0]).status_code == 200


@pytest.mark.parametrize(
    ("case", "needles"),
    [
        ("no database", [URI, "no MLflow database", "make demo"]),
        ("no champion", [URI, "npre-extractor", "make demo"]),
        ("no store model", ["npre-extractor", "BentoML store", "make bento"]),
    ],
)
def test_startup_without_a_model_exits_non_zero_naming_it(tmp_path, case, needles):
    env = server_env(tmp_path)  # a fresh folder: no database, an empty BentoML store
    if case == "no champion":
        import mlflow

        previous = mlflow.get_tracking_uri()
        mlflow.set_tracking_uri(env["MLFLOW_TRACKING_URI"])
        mlflow.search_experiments()  # creates an empty, valid registry
        mlflow.set_tracking_uri(previous)
    if case == "no store model":
        env["NPRE_MODEL_SOURCE"] = "bentoml"
    command = [f"{BIN}/bentoml", "serve", "serving.service:Extractor", "--port", str(_free_port())]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    for needle in needles:
        assert needle in result.stderr, result.stderr[-3000:]


def test_the_built_bento_serves_without_the_mlflow_database(registry, expected, tmp_path):
    """`make bento`: import the champion into the BentoML store, build; then serve the
    Bento with the MLflow database and artifacts moved away."""
    env = server_env(registry)
    for command in (
        [f"{BIN}/python", "-m", "serving.import_champion"],
        [f"{BIN}/bentoml", "build", "-f", "serving/bentofile.yaml", "."],
    ):
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-3000:]
    assert "npre-extractor:" in result.stdout + result.stderr

    away = tmp_path / "away"
    away.mkdir()
    moved = [registry / "mlflow.db", registry / "art"]
    for path in moved:
        path.rename(away / path.name)
    try:
        env["NPRE_MODEL_URI"] = "models:/nowhere@champion"  # not used by a Bento
        with serving("npre-extractor:latest", tmp_path, env, tmp_path / "serve.log") as url:
            for document, relations in zip(DOCUMENTS, expected, strict=True):
                response = httpx.post(f"{url}/extract", json=document, timeout=60)
                assert response.status_code == 200, response.text
                body = response.json()
                assert pairs(body) == relations
                assert body["model"].startswith("npre-extractor:")
                assert body["model_version"] == "1"
            # the API page names the packed version and LOTUS snapshot without MLflow
            info = httpx.get(f"{url}/docs.json", timeout=30).json()["info"]
            assert info["version"] == "1"
            assert body["lotus_snapshot"] in info["description"]
    finally:
        for path in moved:
            (away / path.name).rename(path)


def test_mlflow_models_serve_answers_invocations_like_the_extractor(registry, expected):
    """The registered model carries the npre package (`code_paths`), and MLflow's own
    scoring server answers /invocations with the extractor's relations."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{registry / 'mlflow.db'}")
    try:
        local = Path(mlflow.artifacts.download_artifacts(URI))
    finally:
        mlflow.set_tracking_uri(previous)
    packed = local / "code" / "npre"
    assert (packed / "decoding" / "extractor.py").is_file()
    assert (packed / "mlops" / "pyfunc_model.py").is_file()

    command = [f"{BIN}/mlflow", "models", "serve", "-m", URI, "--env-manager", "local"]
    log = registry / "mlflow-serve.log"
    with running(command, "/ping", None, server_env(registry), log) as url:
        response = httpx.post(
            f"{url}/invocations", json={"dataframe_records": DOCUMENTS}, timeout=120
        )
        assert response.status_code == 200, response.text
        answers = response.json()["predictions"]
        assert [pairs(answer) for answer in answers] == expected
        assert all(0.0 < r["confidence"] <= 1.0 for answer in answers for r in answer["relations"])
        sure = httpx.post(
            f"{url}/invocations",
            json={"dataframe_records": DOCUMENTS, "params": {"min_confidence": 1.0}},
            timeout=120,
        )
        assert sure.status_code == 200, sure.text
        assert all(
            r["confidence"] >= 1.0
            for answer in sure.json()["predictions"]
            for r in answer["relations"]
        )
