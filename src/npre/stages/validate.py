"""The `validate` stage: the Great Expectations gate on the synthetic documents.

Documents that meet every expectation pass; the others are quarantined with their failed
expectations; the stage fails under `validate.min_pass_rate`. Each run validates in a
scratch copy of the GX project, so the Data Docs it copies out hold this run alone, and
it writes the same result as Markdown that reads offline (`validation/gate_report.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config
from npre.config.params import ValidateParams
from npre.data.records import write_json


@dataclass(frozen=True)
class Config:
    validate: ValidateParams


@dataclass(frozen=True)
class Paths:
    synthetic: Path  # synthetic documents to gate
    passed: Path  # documents that meet every expectation
    quarantine: Path  # the others, each with its failed expectations
    metrics: Path  # pass rate and failures per expectation (JSON)
    gx_root: Path = Path("expectations")  # Great Expectations project folder
    docs: Path | None = None  # where to copy the Data Docs HTML site
    seeds: Path | None = None  # seed documents: n-gram novelty against them
    summary: Path | None = None  # the result as Markdown (no CDN needed)


def run(config: Config, paths: Paths):
    """Gate, write both sets and the report; returns (the gate's result, the report)."""
    import shutil
    import tempfile

    from npre.data.records import read_documents, write_documents
    from npre.gate.checkpoint import data_docs_dir, run_gate, scratch_project, summary
    from npre.gate.report import gate_markdown

    with tempfile.TemporaryDirectory() as scratch:
        project = scratch_project(paths.gx_root, Path(scratch))
        result = run_gate(read_documents(paths.synthetic), config.validate, project)
        if paths.docs is not None:
            shutil.rmtree(paths.docs, ignore_errors=True)
            shutil.copytree(data_docs_dir(project), paths.docs)
    write_documents(paths.passed, result.passed)
    write_documents(paths.quarantine, result.quarantined)
    report = summary(result, read_documents(paths.seeds) if paths.seeds else None)
    write_json(paths.metrics, report)
    if paths.summary is not None:
        title = f"Data-quality gate: {paths.synthetic}"
        paths.summary.parent.mkdir(parents=True, exist_ok=True)
        paths.summary.write_text(gate_markdown(report, result.quarantined, title))
    return result, report


def command(
    synthetic: Path = typer.Argument(..., help="synthetic documents to gate"),
    passed: Path = typer.Option(..., help="documents that meet every expectation"),
    quarantine: Path = typer.Option(..., help="the others, each with its failed expectations"),
    metrics: Path = typer.Option(..., help="JSON: pass rate and failures per expectation"),
    gx_root: Path = typer.Option(Path("expectations"), help="Great Expectations project folder"),
    docs: Path | None = typer.Option(None, help="copy the Data Docs HTML site here"),
    seeds: Path | None = typer.Option(
        None, help="seed documents: the metrics then report n-gram novelty against them"
    ),
    summary: Path | None = typer.Option(
        None, help="the result as Markdown: pass rate, failures, quarantined examples"
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Run the Great Expectations checkpoint; quarantine failures; fail under the pass rate."""
    config = read_config(Config, params)
    minimum = config.validate.min_pass_rate
    with StageTimer("validate"):
        result, report = run(
            config, Paths(synthetic, passed, quarantine, metrics, gx_root, docs, seeds, summary)
        )
        typer.echo(
            f"pass rate {report['pass_rate']:.1%} ({report['passed']}/{report['documents']})"
        )
        if result.pass_rate < minimum:
            fail(f"pass rate {result.pass_rate:.1%} is under validate.min_pass_rate {minimum:.1%}")
