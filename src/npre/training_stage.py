"""The `train` stage: (Q)LoRA fine-tuning of the extractor, tracked as one MLflow run."""

from __future__ import annotations

import json
from pathlib import Path

from npre.modeling.extractor import ExtractorConfig, RelationExtractor
from npre.modeling.training import prepare_peft_model, save_adapter, train_lora
from npre.params import DecodingParams, TrainParams
from npre.records import Document

RUN_FILE = "mlflow_run.json"


def validation_scores(
    extractor: RelationExtractor, docs: list[Document], params: TrainParams
) -> dict:
    """F1 by generation and the mean label loss on the validation documents."""
    from npre.metric import score
    from npre.modeling.training import document_losses

    gold = {d.PMID: d.label_pairs() for d in docs}
    found = extractor.extract_many([(d.ArticleTitle, d.AbstractText) for d in docs], 16)
    predicted = {d.PMID: f.relations for d, f in zip(docs, found, strict=True)}
    losses = document_losses(extractor.model, extractor.tokenizer, docs, params)
    return {"valid_f1": score(gold, predicted)["f1"], "valid_loss": sum(losses) / len(losses)}


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
    train_sets: dict[str, list[Document]],
    valid_set: tuple[str, list[Document]],
    base_dir: Path,
    out_dir: Path,
    params: TrainParams,
    decoding: DecodingParams,
    experiment: str,
    seed: int,
    threads: int,
    variant: str | None = None,
) -> dict | None:
    """Train on the union of `train_sets` (file -> documents); one MLflow run records it.

    Under `accelerate launch` every process trains its shard; only the main process
    validates, logs to MLflow, writes the adapter and returns the summary (others: None).
    """
    import mlflow

    from npre.modeling.loading import load_base_model, load_tokenizer, use_bf16
    from npre.modeling.sources import read_record
    from npre.modeling.training import make_accelerator
    from npre.tracking import run_tags, setup

    train_docs = [doc for docs in train_sets.values() for doc in docs]
    valid_path, valid_docs = valid_set
    accelerator = make_accelerator()  # before loading: it picks this process's device
    tokenizer = load_tokenizer(base_dir)
    model = prepare_peft_model(load_base_model(base_dir, params.quantization), params)
    config = ExtractorConfig(params.max_input_chars, params.max_length, decoding.model_dump())
    extractor = RelationExtractor(model, tokenizer, config)

    def save_best() -> None:
        save_adapter(model, tokenizer, out_dir)
        config.save(out_dir)

    if not accelerator.is_main_process:
        train_lora(model, tokenizer, train_docs, params, seed, accelerator=accelerator)
        return None
    setup(experiment)
    run_name = f"train-{variant}" if variant else f"train-{params.quantization}"
    with mlflow.start_run(run_name=run_name) as run:
        tags = {**run_tags([*train_sets, valid_path, str(base_dir)]), "npre.stage": "train"}
        if variant:
            tags["npre.variant"] = variant
        mlflow.set_tags(tags)
        mlflow.log_params(
            {
                **params.model_dump(),
                "num_threads": threads,
                "seed": seed,
                "decoding": json.dumps(decoding.model_dump()),
                "base_model": str(base_dir),
                "train_files": json.dumps(list(train_sets)),
                "processes": accelerator.num_processes,
                # the hardware choices `auto` resolved to on this machine
                "device": str(accelerator.device),
                "compute_dtype": "bfloat16" if use_bf16(params.precision) else "float32",
                "base_model_source": read_record(base_dir).get("source"),
            }
        )
        for path, docs in train_sets.items():
            dataset = mlflow.data.from_pandas(
                _documents_frame(docs), source=path, name=Path(path).stem
            )
            mlflow.log_input(dataset, context="training")
        valid_frame = _documents_frame(valid_docs)
        mlflow.log_input(
            mlflow.data.from_pandas(valid_frame, source=valid_path, name=Path(valid_path).stem),
            context="validation",
        )
        result = train_lora(
            model,
            tokenizer,
            train_docs,
            params,
            seed,
            evaluate=(lambda epoch: validation_scores(extractor, valid_docs, params))
            if valid_docs
            else None,
            save_best=save_best,
            eval_from_epoch=params.eval_from_epoch,
            on_epoch=lambda record: mlflow.log_metrics(
                {k: v for k, v in record.items() if k != "epoch"}, step=record["epoch"]
            ),
            accelerator=accelerator,
        )
        summary = {
            "best_epoch": result.best_epoch,
            "best_valid_f1": result.best_valid_f1,
            "steps": result.steps,
            "tokens_per_second": round(result.tokens_per_second, 1),
            "train_documents": len(train_docs),
            "history": result.history,
            "quantization": params.quantization,
            "variant": variant,
            "processes": accelerator.num_processes,
        }
        mlflow.log_metrics(
            {"best_epoch": result.best_epoch, "tokens_per_second": result.tokens_per_second}
        )
        record = {"run_id": run.info.run_id, "experiment_id": run.info.experiment_id}
        (out_dir / RUN_FILE).write_text(json.dumps(record) + "\n")
    return summary


def read_run_id(adapter_dir: Path) -> str:
    return json.loads((Path(adapter_dir) / RUN_FILE).read_text())["run_id"]
