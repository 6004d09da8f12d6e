"""The `train` stage: (Q)LoRA fine-tuning of the extractor, tracked as one MLflow run."""

from __future__ import annotations

import json
from pathlib import Path

from npre.modeling.extractor import ExtractorConfig, RelationExtractor
from npre.modeling.training import prepare_peft_model, save_adapter, train_lora
from npre.params import DecodingParams, TrainParams
from npre.records import Document

RUN_FILE = "mlflow_run.json"


def validation_f1(extractor: RelationExtractor, docs: list[Document]) -> float:
    from npre.metric import score

    gold = {d.PMID: d.label_pairs() for d in docs}
    predicted = {d.PMID: extractor.extract(d.ArticleTitle, d.AbstractText).relations for d in docs}
    return score(gold, predicted)["f1"]


def _documents_frame(docs: list[Document]):
    import pandas as pd

    return pd.DataFrame(
        {
            "PMID": [d.PMID for d in docs],
            "title": [d.ArticleTitle for d in docs],
            "abstract": [d.AbstractText for d in docs],
            "relations": [json.dumps(d.label_pairs()) for d in docs],
        }
    )


def run_training(
    train_docs: list[Document],
    valid_docs: list[Document],
    base_dir: Path,
    out_dir: Path,
    params: TrainParams,
    decoding: DecodingParams,
    experiment: str,
    seed: int,
    threads: int,
    input_paths: list[str],
) -> dict:
    import mlflow

    from npre.modeling.loading import load_base_model, load_tokenizer
    from npre.tracking import run_tags, setup

    tokenizer = load_tokenizer(base_dir)
    model = prepare_peft_model(load_base_model(base_dir, params.quantization), params)
    config = ExtractorConfig(params.max_input_chars, params.max_length, decoding.model_dump())
    extractor = RelationExtractor(model, tokenizer, config)

    def save_best() -> None:
        save_adapter(model, tokenizer, out_dir)
        config.save(out_dir)

    setup(experiment)
    with mlflow.start_run(run_name=f"train-{params.quantization}") as run:
        mlflow.set_tags({**run_tags(input_paths), "npre.stage": "train"})
        mlflow.log_params(
            {
                **params.model_dump(),
                "num_threads": threads,
                "seed": seed,
                "decoding": json.dumps(decoding.model_dump()),
                "base_model": str(base_dir),
            }
        )
        mlflow.log_input(
            mlflow.data.from_pandas(
                _documents_frame(train_docs), source=input_paths[0], name="train"
            ),
            context="training",
        )
        mlflow.log_input(
            mlflow.data.from_pandas(
                _documents_frame(valid_docs), source=input_paths[1], name="valid"
            ),
            context="validation",
        )
        result = train_lora(
            model,
            tokenizer,
            train_docs,
            params,
            seed,
            evaluate=(lambda epoch: validation_f1(extractor, valid_docs)) if valid_docs else None,
            save_best=save_best,
            eval_from_epoch=params.eval_from_epoch,
            on_epoch=lambda record: mlflow.log_metrics(
                {k: v for k, v in record.items() if k != "epoch"}, step=record["epoch"]
            ),
        )
        summary = {
            "best_epoch": result.best_epoch,
            "best_valid_f1": result.best_valid_f1,
            "steps": result.steps,
            "tokens_per_second": round(result.tokens_per_second, 1),
            "train_documents": len(train_docs),
            "history": result.history,
            "quantization": params.quantization,
        }
        mlflow.log_metrics(
            {"best_epoch": result.best_epoch, "tokens_per_second": result.tokens_per_second}
        )
        (out_dir / RUN_FILE).write_text(
            json.dumps({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id}) + "\n"
        )
    return summary


def read_run_id(adapter_dir: Path) -> str:
    return json.loads((Path(adapter_dir) / RUN_FILE).read_text())["run_id"]
