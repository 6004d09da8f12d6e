"""The `evaluate` stage (and `baseline`, the same command without an adapter): predictions
on the evaluation set, scored with the paper's metric."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, read_config, set_threads
from npre.config.model_params import EvaluateParams, TrainParams
from npre.config.params import RegisterParams, RunParams
from npre.data.records import Document, write_json

if TYPE_CHECKING:
    from npre.decoding.extractor import RelationExtractor

BATCH_SIZE = 16  # documents per generate call: about twice the speed of one at a time
PR_CURVE_FILE = "pr_curve.json"  # beside the metrics: precision/recall per threshold


def predict(extractor: RelationExtractor, docs: list[Document]) -> list[dict]:
    """One prediction row per document (batched decoding: the same answers as one by one)."""
    from tqdm import tqdm

    rows = []
    with tqdm(total=len(docs), desc="extract", unit="doc") as bar:  # shows docs/s
        found_all = extractor.extract_many(
            [(doc.ArticleTitle, doc.AbstractText) for doc in docs],
            batch_size=BATCH_SIZE,
            progress=bar.update,
        )
    for doc, found in zip(docs, found_all, strict=True):
        rows.append(
            {
                "PMID": doc.PMID,
                "relations": [
                    {"organism": o, "chemical": c, "confidence": round(confidence, 6)}
                    for (o, c), confidence in zip(found.relations, found.confidences, strict=True)
                ],
                "malformed": found.malformed,
            }
        )
    return rows


def _score_rows(docs: list[Document], rows: list[dict]) -> dict:
    from npre.scoring.metric import score

    predicted = {r["PMID"]: [(x["organism"], x["chemical"]) for x in r["relations"]] for r in rows}
    result = score(
        {d.PMID: d.label_pairs() for d in docs},
        predicted,
        {d.PMID: d.kingdom or "unknown" for d in docs},
    )
    result["malformed_pieces"] = sum(r["malformed"] for r in rows)
    return result


def _confidence_reports(docs: list[Document], rows: list[dict]) -> tuple[list[dict], dict]:
    """The precision/recall curve over a confidence threshold, and the precision of the
    surer and the less sure half of the answers."""
    from npre.scoring.confidence import precision_by_half, precision_recall_curve

    gold = {d.PMID: d.label_pairs() for d in docs}
    scored = {
        r["PMID"]: [((x["organism"], x["chemical"]), x["confidence"]) for x in r["relations"]]
        for r in rows
    }
    return precision_recall_curve(gold, scored), precision_by_half(gold, scored)


@dataclass(frozen=True)
class Config:
    run: RunParams
    evaluate: EvaluateParams
    train: TrainParams  # the input budget of the untrained base model (the baseline)
    register: RegisterParams  # its MLflow experiment


@dataclass(frozen=True)
class Paths:
    gold: Path  # evaluation set (curated-set JSON)
    base: Path  # base model folder
    adapter: Path | None  # adapter folder from `npre train`; None: the untrained base model
    predictions: Path  # predictions (JSON Lines: PMID, relations)
    metrics: Path  # precision, recall, F1 and breakdowns (JSON)


def run(config: Config, paths: Paths) -> dict:
    """Predict and score the evaluation set; with an adapter, log to its training run.

    Without an adapter the untrained base model answers, with the input budget of
    `train`: the baseline every trained variant must beat.
    """
    from npre.data.records import read_curated_set
    from npre.decoding.extractor import ExtractorConfig, RelationExtractor

    threads = set_threads(config.run.num_threads)
    docs = read_curated_set(paths.gold)
    if paths.adapter is not None:  # as trained (input budget, linearisation), decoded as asked
        trained = ExtractorConfig.load(paths.adapter)
        extractor_config = dataclasses.replace(trained, decoding=config.evaluate.decoding)
    else:
        budget = (config.train.max_input_chars, config.train.max_length)
        extractor_config = ExtractorConfig(*budget, config.evaluate.decoding)
    extractor = RelationExtractor.load(paths.base, paths.adapter, extractor_config, threads)
    rows = predict(extractor, docs)
    paths.predictions.parent.mkdir(parents=True, exist_ok=True)
    paths.predictions.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    report = _score_rows(docs, rows)
    report["documents"] = len(docs)
    curve, report["confidence"] = _confidence_reports(docs, rows)
    pr_curve = paths.metrics.with_name(PR_CURVE_FILE)
    write_json(pr_curve, curve)
    if paths.adapter is not None:
        logged = [paths.predictions, pr_curve]
        _log_to_training_run(paths.adapter, config.register.experiment, report, logged)
    write_json(paths.metrics, report)
    return report


def _log_to_training_run(adapter_dir: Path, experiment: str, report: dict, files: list[Path]):
    import mlflow

    from npre.mlops.tracking import read_run_id, setup

    setup(experiment)
    with mlflow.start_run(run_id=read_run_id(adapter_dir)):
        mlflow.log_metrics(
            {
                "eval_precision": report["precision"],
                "eval_recall": report["recall"],
                "eval_f1": report["f1"],
            }
        )
        for file in files:
            mlflow.log_artifact(str(file), artifact_path="evaluation")


def command(
    gold: Path = typer.Argument(..., help="evaluation set (curated-set JSON)"),
    base: Path = typer.Option(..., help="base model folder"),
    adapter: Path | None = typer.Option(
        None, help="adapter folder from `npre train`; without it, the untrained base model"
    ),
    predictions: Path = typer.Option(..., help="predictions (JSON Lines: PMID, relations)"),
    metrics: Path = typer.Option(
        ..., help="JSON: precision, recall, f1 and breakdowns (pr_curve.json beside it)"
    ),
    max_new_tokens: int | None = typer.Option(
        None, help="cap the output length (default: evaluate.decoding.max_new_tokens)"
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Score the extractor (or the untrained base model) with the paper's metric.

    With an adapter, the scores are also logged to the adapter's MLflow training run.
    """
    config = read_config(Config, params)
    if max_new_tokens is not None:
        decoding = config.evaluate.decoding.model_copy(update={"max_new_tokens": max_new_tokens})
        evaluate = config.evaluate.model_copy(update={"decoding": decoding})
        config = dataclasses.replace(config, evaluate=evaluate)
    with StageTimer("evaluate"):
        report = run(config, Paths(gold, base, adapter, predictions, metrics))
        typer.echo(f"P {report['precision']:.3f} R {report['recall']:.3f} F1 {report['f1']:.3f}")
