"""docs/results.md is written from report files: fed small fake reports, the script's tables
hold their figures with a date, a machine and a command, and a missing file reads
"not measured". No model is needed."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest
from helpers import ROOT


def _load(name: str):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


results_page = _load("results_page")
result_file = _load("result_file")


def _write(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def _metrics(precision, recall, f1, upper, lower) -> dict:
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": 30,
        "predicted": 40,
        "gold": 50,
        "organism_recall": 0.8125,
        "chemical_recall": 0.7,
        "documents": 10,
        "confidence": {
            "upper_half_precision": upper,
            "lower_half_precision": lower,
            "median_confidence": 0.5,
        },
    }


@pytest.fixture
def reports(tmp_path):
    root = tmp_path / "reports"
    _write(
        root / "grid.json",
        {
            "s-seeds-lora": {"precision": 0.5, "recall": 0.4, "f1": 0.4444},
            "s-selected-lora": {"precision": 0.75, "recall": 0.6, "f1": 0.6667},
        },
    )
    _write(root / "evaluate/s-seeds-lora/metrics.json", _metrics(0.5, 0.4, 0.4444, 0.61, 0.39))
    _write(
        root / "evaluate/s-selected-lora/metrics.json", _metrics(0.75, 0.6, 0.6667, 0.955, 0.545)
    )
    curve = [
        {"threshold": round(0.05 * i, 2), "precision": 0.75 + 0.01 * i, "recall": 0.6 - 0.02 * i}
        | {"f1": 0.6, "relations": 40 - i}
        for i in range(20)
    ]
    _write(root / "evaluate/s-selected-lora/pr_curve.json", curve)
    _write(root / "baseline/metrics.json", _metrics(0.0, 0.0, 0.0, 0.0, 0.0))
    _write(
        root / "train/s-selected-lora.json",
        {
            "best_epoch": 2,
            "best_valid_f1": 0.6416,
            "steps": 32,
            "tokens_per_second": 151.1,
            "train_documents": 121,
            "history": [
                {"epoch": 1, "train_loss": 0.5155, "valid_f1": None, "valid_loss": None},
                {"epoch": 2, "train_loss": 0.2198, "valid_f1": 0.6415, "valid_loss": 0.37},
            ],
            "quantization": "none",
            "variant": "s-selected-lora",
            "processes": 1,
        },
    )
    _write(
        root / "register.json",
        {
            "version": "3",
            "f1": 0.666667,
            "champion_version": "3",
            "moved": True,
            "reason": "F1 0.6667 > champion v2 F1 0.6000",
            "model_name": "npre-extractor",
            "alias": "champion",
            "variant": "s-selected-lora",
        },
    )
    return root


def _real_text(root, command="python benchmarks/bench_real_text.py --gold test.json") -> None:
    figures = {
        "precision": 0.596,
        "recall": 0.344,
        "f1": 0.4362,
        "organism_recall": 0.545,
        "chemical_recall": 0.506,
        "predicted": 213,
        "true_positives": 127,
        "gold_relations": 369,
        "gold_file": "test.json",
        "documents": 50,
        "s_per_abstract": 0.613,
        "model_load_s": 4.2,
        "threads": 2,
        "model": "models:/npre-extractor@champion",
        "model_version": "6",
        "confidence": {"upper_half_precision": 0.81, "lower_half_precision": 0.38},
    }
    result_file.write_result("real_text", figures, command=command, directory=root / "benchmarks")


def _section(page: str, heading: str) -> str:
    start = page.index(heading)
    following = page.find("\n## ", start + 1)
    return page[start : following if following != -1 else None]


def test_the_tables_hold_the_reports_figures_with_date_machine_and_command(reports, tmp_path):
    _real_text(reports)
    out = results_page.main(["--reports", str(reports), "--out", str(tmp_path / "results.md")])
    page = out.read_text()

    grid = _section(page, "## The experiment grid")
    assert "| **s-selected-lora** (registered) | 0.750 | 0.600 | 0.667 | 0.812 | 0.700 |" in grid
    assert "40 / 30 / 50 | 0.955 | 0.545 |" in grid
    assert "| s-seeds-lora | 0.500 | 0.400 | 0.444 |" in grid
    assert "| untrained base model (baseline) | 0.000 |" in grid
    assert "10 documents, 50 gold relations" in grid
    machine = result_file.machine()
    for section in ("## The experiment grid", "## The registered model", "## Training"):
        text = _section(page, section)
        assert "- **Date**: 20" in text, section
        assert f"- **Machine**: {machine['cpu']}, {machine['cores']} cores" in text, section
        assert "- **Command**: `dvc repro`" in text, section

    assert "| alias `champion` | version 3 (moved to it) |" in page
    assert "| why | F1 0.6667 > champion v2 F1 0.6000 |" in page

    confidence = _section(page, "## Precision over a confidence threshold")
    rows = [line for line in confidence.splitlines() if line.startswith("| 0.")]
    assert [row.split(" | ")[0] for row in rows] == [f"| 0.{i}0" for i in range(10)]
    assert "| 0.50 | 0.850 | 0.400 | 0.600 | 30 |" in confidence

    training = _section(page, "## Training")
    assert "| s-selected-lora | LoRA | 121 | 32 | 2 | 2 | 0.642 | 0.220 | 151.1 | 1 |" in training

    real = page[page.index("### F1 on real abstracts") :]
    assert "| gold file | test.json (50 documents, 369 relations) |" in real
    assert "| F1 | 0.436 |" in real
    assert "| model | models:/npre-extractor@champion (version 6) |" in real
    assert "| upper-half / lower-half precision | 0.810 / 0.380 |" in real
    assert "- **Command**: `python benchmarks/bench_real_text.py --gold test.json`" in real

    # the training benchmark has no file: said, with the command that measures it
    assert "### Training speed and memory (`reports/benchmarks/training.json`)" in page
    assert "*not measured*: run `python benchmarks/bench_training.py --steps 6`" in page


def test_missing_reports_read_not_measured(tmp_path):
    page = results_page.render(tmp_path / "reports", tmp_path / "results.md")
    for heading in (
        "## The experiment grid",
        "## The registered model",
        "## Precision over a confidence threshold",
        "## Training",
    ):
        assert "*not measured*: run `dvc repro`" in _section(page, heading), heading
    assert page.count("*not measured*: run") == 6  # and the two expected benchmarks
    assert not (tmp_path / "reports" / "benchmarks" / "pipeline.json").exists()


def test_a_broken_or_partial_file_does_not_stop_the_page(reports, tmp_path):
    (reports / "evaluate/s-seeds-lora/metrics.json").write_text("{broken")
    (reports / "benchmarks").mkdir(exist_ok=True)
    (reports / "benchmarks/real_text.json").write_text("[]")
    _write(
        reports / "benchmarks/gme.json",
        {
            "name": "gme",
            "date": "2026-12-03T10:00:00+00:00",
            "machine": {"cpu": "Some CPU", "flags": ["avx2"], "cores": 4},
            "command": "python benchmarks/bench_gme.py",
            "figures": {"seconds": 56.04, "sizes": {"items": 130000}},
        },
    )
    page = results_page.render(reports, tmp_path / "results.md")
    assert "| s-seeds-lora | not measured (JSONDecodeError" in page
    assert "not measured: the file cannot be read" in _section(page, "## Benchmarks")
    gme = page[page.index("### Gme") :]
    assert "- **Machine**: Some CPU, 4 cores (flags: avx2)" in gme
    assert "| seconds | 56.04 |" in gme and "| sizes.items | 130,000 |" in gme


def test_the_pipeline_stamp_is_kept_until_the_reports_change(reports, tmp_path):
    out = tmp_path / "results.md"
    results_page.render(reports, out)
    stamp_file = reports / "benchmarks" / "pipeline.json"
    stamp = json.loads(stamp_file.read_text())
    assert stamp["command"] == "dvc repro" and stamp["machine"]["cores"]
    stamp["machine"] = {"cpu": "The CPU that ran dvc repro", "flags": [], "cores": 64}
    stamp_file.write_text(json.dumps(stamp))
    assert "The CPU that ran dvc repro, 64 cores" in results_page.render(reports, out)

    _write(reports / "grid.json", {"s-seeds-lora": {"precision": 1.0, "recall": 1.0, "f1": 1.0}})
    assert "The CPU that ran dvc repro" not in results_page.render(reports, out)


def test_a_result_file_records_name_date_machine_command_and_figures(tmp_path):
    path = result_file.write_result("x", {"f1": 0.5}, directory=tmp_path)
    record = json.loads(path.read_text())
    assert set(record) == {"name", "date", "machine", "command", "figures"}
    assert record["name"] == "x" and record["figures"] == {"f1": 0.5}
    assert record["date"][:2] == "20" and "T" in record["date"]
    assert set(record["machine"]) == {"cpu", "flags", "cores"}
    assert set(record["machine"]["flags"]) <= set(result_file.RELEVANT_FLAGS)
    assert record["command"].startswith("python ")
    assert result_file.command_line(["benchmarks/b.py", "--gold", "a b.json"]) == (
        "python benchmarks/b.py --gold 'a b.json'"
    )
