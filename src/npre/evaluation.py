"""The `evaluate` stage: predictions on the evaluation set, scored with the paper's metric."""

from __future__ import annotations

import json
from pathlib import Path

from npre.metric import score
from npre.modeling.extractor import ExtractorConfig, RelationExtractor
from npre.params import EvaluateParams, ModelTrainingParams
from npre.records import Document, iter_json_lines, read_curated_set

BATCH_SIZE = 16  # documents per generate call: about twice the speed of one at a time


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
                "relations": [{"organism": o, "chemical": c} for o, c in found.relations],
                "malformed": found.malformed,
            }
        )
    return rows


def read_predictions(path: Path) -> tuple[dict[str, list[tuple[str, str]]], int]:
    """Predictions JSON Lines -> ({PMID: [(organism, chemical)]}, malformed pieces).

    Bad lines name their number; `malformed` (pieces of model output the parser dropped,
    written by `npre evaluate`) is summed over the file, 0 where absent.
    """
    predicted: dict[str, list[tuple[str, str]]] = {}
    malformed = 0

    def convert(row: dict) -> tuple[str, list[tuple[str, str]], int]:
        pairs = [(r["organism"], r["chemical"]) for r in row.get("relations", [])]
        return str(row["PMID"]), pairs, int(row.get("malformed", 0))

    for pmid, pairs, dropped in iter_json_lines(path, "a prediction record", convert):
        predicted.setdefault(pmid, []).extend(pairs)
        malformed += dropped
    return predicted, malformed


def _score_rows(docs: list[Document], rows: list[dict]) -> dict:
    predicted = {r["PMID"]: [(x["organism"], x["chemical"]) for x in r["relations"]] for r in rows}
    result = score(
        {d.PMID: d.label_pairs() for d in docs},
        predicted,
        {d.PMID: d.kingdom or "unknown" for d in docs},
    )
    result["malformed_pieces"] = sum(r["malformed"] for r in rows)
    return result


def evaluate_extractor(
    gold_path: Path,
    base_dir: Path,
    adapter_dir: Path | None,
    predictions_path: Path,
    params: EvaluateParams,
    experiment: str,
    threads: int,
    train_params: ModelTrainingParams,
) -> dict:
    """Predict and score the evaluation set; with an adapter, log to its training run.

    Without an adapter the untrained base model answers, with the input budget of
    `train_params`: the baseline every trained variant must beat.
    """
    docs = read_curated_set(gold_path)
    if adapter_dir is not None:
        trained_config = ExtractorConfig.load(adapter_dir)
        budget = (trained_config.max_input_chars, trained_config.max_length)
    else:
        budget = (train_params.max_input_chars, train_params.max_length)
    config = ExtractorConfig(*budget, params.decoding.model_dump())
    extractor = RelationExtractor.load(base_dir, adapter_dir, config, threads)
    rows = predict(extractor, docs)
    predictions_path.parent.mkdir(parents=True, exist_ok=True)
    predictions_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    report = _score_rows(docs, rows)
    report["documents"] = len(docs)
    if adapter_dir is not None:
        _log_to_training_run(adapter_dir, experiment, report, predictions_path)
    return report


def _log_to_training_run(adapter_dir: Path, experiment: str, report: dict, predictions: Path):
    import mlflow

    from npre.tracking import setup
    from npre.training_stage import read_run_id

    setup(experiment)
    with mlflow.start_run(run_id=read_run_id(adapter_dir)):
        mlflow.log_metrics(
            {
                "eval_precision": report["precision"],
                "eval_recall": report["recall"],
                "eval_f1": report["f1"],
            }
        )
        mlflow.log_artifact(str(predictions), artifact_path="evaluation")
