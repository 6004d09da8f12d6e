"""A training's MLflow run over a real SQLite backend, in real processes sent real signals:
SIGINT and SIGTERM end it KILLED; a run left RUNNING by SIGKILL is ended KILLED, with a
note, when the same stage and variant run again, and a live one is left alone. Also: the
experiment is tagged for MLflow's model-training views; the run's description."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# A child process that opens a training run as `npre train` does (log_training_run), logs
# one epoch, prints READY and the run id, then either ends (`finish`) or waits to be killed.
CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from npre.data.records import Chemical, Document, Entity
    from npre.mlops.training_run import log_training_run

    home, variant, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    docs = [
        Document(
            PMID=str(i), ArticleTitle="Alkaloids of Papaver somniferum",
            AbstractText="Papaver somniferum gave morphine.",
            organisms=[Entity(id="o", label="Papaver somniferum")],
            chemicals=[Chemical(id="c", label="morphine")], relations=[("o", "c")],
        )
        for i in range(3)
    ]
    out = home / ("out-" + str(time.time_ns()))
    out.mkdir()
    with log_training_run(
        "npre", "train-" + variant, variant, {"data/train.jsonl": docs},
        ("data/valid.jsonl", docs[:1]), home / "base", {"quantization": "none"}, out,
    ) as tracked:
        import mlflow

        tracked.log_epoch({"epoch": 1, "train_loss": 0.5})
        print("READY", mlflow.active_run().info.run_id, flush=True)
        if mode == "wait":
            time.sleep(300)
    """
)


@pytest.fixture
def home(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    record = {"source": "package:demo_lm", "family": "Gemma 3", "parameters": 268098176}
    (base / "npre_base.json").write_text(json.dumps(record))
    return tmp_path


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "DVC_"))}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    return env


def _start(home: Path, variant: str, mode: str) -> tuple[subprocess.Popen, str]:
    """The child, once its run is open and logging; (process, run id)."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), variant, mode],
        cwd=home,
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if not line.startswith("READY"):
        process.kill()
        pytest.fail(f"the child did not start its run:\n{line}{process.stderr.read()[-3000:]}")
    return process, line.split()[1]


def _client(home: Path):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, -2)])
def test_a_signal_ends_the_run_killed_not_running(home, signum, status):
    process, run_id = _start(home, "gme-seeds-lora", "wait")
    assert _client(home).get_run(run_id).info.status == "RUNNING"
    process.send_signal(signum)
    # SIGTERM exits with 128 + 15, as a shell reports the signal; an uncaught
    # KeyboardInterrupt ends Python by the signal itself (-2; `npre` prints "Aborted!", 1)
    assert process.wait(timeout=60) == status, process.stderr.read()[-3000:]
    run = _client(home).get_run(run_id)
    assert run.info.status == "KILLED"
    assert run.info.end_time is not None
    assert run.data.metrics["train_loss"] == 0.5  # what it logged before the signal stays


def test_a_sigkilled_run_is_closed_killed_by_the_next_run_of_its_variant(home):
    alive, alive_id = _start(home, "gme-seeds-lora", "wait")  # a concurrent run: left alone
    other, other_id = _start(home, "gme-selected-lora", "wait")
    other.kill()
    other.wait(timeout=30)
    killed, killed_id = _start(home, "gme-seeds-lora", "wait")
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    client = _client(home)
    assert client.get_run(killed_id).info.status == "RUNNING"  # nothing could end it

    again, again_id = _start(home, "gme-seeds-lora", "finish")
    assert again.wait(timeout=60) == 0, again.stderr.read()[-3000:]

    stale = client.get_run(killed_id)
    assert stale.info.status == "KILLED"
    note = stale.data.tags["mlflow.note.content"]
    assert "Ended KILLED" in note and again_id in note and f"pid {killed.pid}" in note
    assert note.startswith("Training of variant `gme-seeds-lora`")  # its description stays
    assert client.get_run(again_id).info.status == "FINISHED"
    assert client.get_run(alive_id).info.status == "RUNNING"  # its process is alive
    assert client.get_run(other_id).info.status == "RUNNING"  # another variant: not touched

    alive.send_signal(signal.SIGTERM)
    alive.wait(timeout=60)
    assert client.get_run(alive_id).info.status == "KILLED"


def test_the_experiment_opens_in_the_model_training_views_and_runs_say_what_they_are(home):
    process, run_id = _start(home, "gme-selected-qlora", "finish")
    assert process.wait(timeout=60) == 0, process.stderr.read()[-3000:]
    client = _client(home)
    experiment = client.get_experiment_by_name("npre")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    note = client.get_run(run_id).data.tags["mlflow.note.content"]
    for needle in (
        "variant `gme-selected-qlora`",
        "`data/train.jsonl` (3 documents)",
        "validation `data/valid.jsonl` (1 document)",
        "Gemma 3, 268.1M parameters, from `package:demo_lm`",
        "`reports/train/gme-selected-qlora.json`",
        "`reports/evaluate/gme-selected-qlora/metrics.json`",
    ):
        assert needle in note, (needle, note)


def test_an_experiment_without_a_kind_gets_the_model_training_one(home, monkeypatch):
    import mlflow

    from npre.mlops.tracking import model_training_url, setup

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
    previous = mlflow.get_tracking_uri()
    try:
        mlflow.set_tracking_uri(f"sqlite:///{home / 'mlflow.db'}")
        created = mlflow.create_experiment("older", artifact_location=(home / "art").as_uri())
        assert setup("older").tags["mlflow.experimentKind"] == "custom_model_development"
        # what `make mlflow-ui` prints: the experiment's page in the model-training views
        ui = "http://127.0.0.1:5000/"
        assert model_training_url("older", ui) == (
            f"http://127.0.0.1:5000/#/experiments/{created}?workflowType=machine_learning"
        )
        assert model_training_url("absent", ui).endswith(
            "/#/experiments?workflowType=machine_learning"
        )
    finally:
        mlflow.set_tracking_uri(previous)


def test_signals_unwind_only_inside_the_block():
    from npre.mlops.run_lifecycle import Terminated, signals_unwind

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated) as raised, signals_unwind():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert raised.value.code == 143
    assert signal.getsignal(signal.SIGTERM) is before
