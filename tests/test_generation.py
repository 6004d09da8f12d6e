"""Generation through an OpenAI-compatible server that misbehaves, the cache, and resuming."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from helpers import one_relation_documents, send_json, start_loopback_server

from npre.config.synthesize_params import OpenAIParams
from npre.data.records import write_documents
from npre.synthesis.generation import GenerationCache, generate_all, keep_best
from npre.synthesis.openai_backend import OpenAIBackend
from npre.synthesis.prompts import build_prompts

SEEDS = one_relation_documents(
    "A study of {org} with bioassays and spectroscopy of metabolites.", 6
)
PROMPTS = [p for seed in SEEDS for p in build_prompts(seed, 1, 2, seed=0)]


class FakeLLM:
    """Answers chat completions by restating the prompt's main findings; plans faults."""

    def __init__(self, delay: float = 0.0):
        self.faults: list[str] = []
        self.requests: list[dict] = []
        self.always_fail = "Taxus"  # prompts mentioning this always get a 500
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append({"body": body, "auth": self.headers.get("Authorization")})
                prompt = body["messages"][0]["content"]
                fault = owner.faults.pop(0) if owner.faults else None
                time.sleep(delay)
                if fault == "slow":
                    time.sleep(1.0)
                if fault == "429" or owner.always_fail in prompt:
                    self.send_response(429 if fault == "429" else 500)
                    self.end_headers()
                    return
                findings = prompt.split("Main findings:")[1].split("\n")[0].strip()
                text = f"Natural products. {findings} NMR gave the structures ({body['seed']})."
                payload = {"choices": [{"message": {"role": "assistant", "content": text}}]}
                data = b'{"choices": [' if fault == "malformed" else json.dumps(payload).encode()
                send_json(self, data)

        self.server, self.url = start_loopback_server(Handler, "/v1")


@pytest.fixture
def llm():
    fake = FakeLLM()
    yield fake
    fake.server.shutdown()


def test_retries_records_failures_and_keeps_completed_generations(
    llm, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("NPRE_TEST_LLM_KEY", "sk-SECRET")
    caplog.set_level(logging.DEBUG)
    llm.faults = ["429", "slow", "malformed"]
    params = OpenAIParams(base_url=llm.url, model="tiny", api_key_env="NPRE_TEST_LLM_KEY",
                          timeout_s=0.5, max_retries=3, backoff_s=0.01, concurrency=1)  # fmt: skip
    backend = OpenAIBackend(params)
    cache = GenerationCache(tmp_path / "gen.jsonl")
    generations, report = generate_all(PROMPTS, backend, 2, seed=3, cache=cache)
    cache.close()
    assert report.requested == 12 and report.generated == 10
    assert [f["prompt"] for f in report.failures] == ["1-p0", "1-p0"]  # the Taxus prompt
    assert llm.requests[0]["auth"] == "Bearer sk-SECRET" and "SECRET" not in caplog.text
    assert "SECRET" not in json.dumps(report.as_metrics())
    docs = keep_best(PROMPTS, generations, 1, backend)
    assert len(docs) == 5 and all(d.alignment_score == 1.0 for d in docs)
    # a rerun regenerates nothing it had: only the failed prompt is asked again
    before = len(llm.requests)
    cache = GenerationCache(tmp_path / "gen.jsonl")
    _, again = generate_all(PROMPTS, backend, 2, seed=3, cache=cache)
    assert again.from_cache == 10 and again.generated == 0
    assert {r["body"]["messages"][0]["content"] for r in llm.requests[before:]} == {
        PROMPTS[1].prompt
    }


def test_killed_synthesize_resumes_without_regenerating(tmp_path, root):
    fake = FakeLLM(delay=0.15)
    fake.always_fail = "no such organism"
    try:
        params = yaml.safe_load((root / "params.yaml").read_text())
        params["synthesize"].update(
            {"backend": "openai", "generations_per_prompt": 2, "views_per_prompt": 2}
        )
        params["synthesize"]["openai"].update(
            {"base_url": fake.url, "concurrency": 1, "backoff_s": 0.01}
        )
        (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
        write_documents(tmp_path / "prompts.jsonl", PROMPTS)
        cache = tmp_path / "gen.jsonl"
        npre = str(Path(sys.executable).parent / "npre")
        cmd = [
            npre,
            "synthesize",
            str(tmp_path / "prompts.jsonl"),
            "--out",
            str(tmp_path / "out.jsonl"),
        ]
        cmd += ["--cache", str(cache), "--metrics", str(tmp_path / "m.json")]
        cmd += ["--params", str(tmp_path / "params.yaml")]
        process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if cache.exists() and len(cache.read_text().splitlines()) >= 4:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        done_before = len([line for line in cache.read_text().splitlines() if line.strip()])
        assert 4 <= done_before < 12
        served_before = len(fake.requests)
        assert subprocess.run(cmd, capture_output=True, env=os.environ).returncode == 0
        metrics = json.loads((tmp_path / "m.json").read_text())["generations"]
        assert metrics["cached"] == done_before and metrics["new"] == 12 - done_before
        # at most the one request in flight at the kill is asked again
        assert len(fake.requests) - served_before <= 12 - done_before + 1
        assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 12
    finally:
        fake.server.shutdown()
