"""The `train` stage: (Q)LoRA fine-tuning of the extractor, tracked as one MLflow run."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from npre.command_helpers import PARAMS_OPTION, StageTimer, fail, read_config, set_threads
from npre.config.model_params import QUANTIZATION, EvaluateParams, TrainParams
from npre.config.params import RegisterParams, RunParams
from npre.data.records import Document, write_json

if TYPE_CHECKING:
    from npre.decoding.extractor import RelationExtractor


# every epoch's record has every key (null where not validated): DVC plots the history
# (`dvc plots show/diff reports/train`) only when its records are uniform
CURVE_KEYS = ("epoch", "train_loss", "valid_f1", "valid_loss")


def _curve_point(record: dict) -> dict:
    return {key: record.get(key) for key in CURVE_KEYS}


@dataclass(frozen=True)
class Config:
    run: RunParams
    train: TrainParams
    evaluate: EvaluateParams  # its decoding settings: validation F1 by generation
    register: RegisterParams  # its MLflow experiment
    variant: str | None = None  # grid variant (MLflow run name and tag)


@dataclass(frozen=True)
class Paths:
    train_files: list[Path]  # training documents (one or more files)
    valid: Path  # validation documents (F1 by generation each epoch)
    base: Path  # base model folder
    out: Path  # the best adapter and the run record
    metrics: Path  # training summary (JSON)


def validation_scores(
    extractor: RelationExtractor, docs: list[Document], params: TrainParams
) -> dict:
    """F1 by generation and the mean label loss on the validation documents."""
    from npre.scoring.metric import score
    from npre.training.label_losses import document_losses

    gold = {d.PMID: d.label_pairs() for d in docs}
    found = extractor.extract_many([(d.ArticleTitle, d.AbstractText) for d in docs], 16)
    predicted = {d.PMID: f.relations for d, f in zip(docs, found, strict=True)}
    losses = document_losses(extractor.model, extractor.tokenizer, docs, params)
    return {"valid_f1": score(gold, predicted)["f1"], "valid_loss": sum(losses) / len(losses)}


def run(config: Config, paths: Paths) -> dict | None:
    """Train on the union of the training files; one MLflow run records it.

    Under `accelerate launch` every process trains its shard; only the main process
    validates, logs to MLflow, writes the adapter and metrics and returns the summary
    (others: None).
    """
    from npre.base_model.loading import load_base_model, load_tokenizer
    from npre.base_model.sources import read_record
    from npre.data.records import read_documents
    from npre.decoding.extractor import ExtractorConfig, RelationExtractor
    from npre.hardware import use_bf16
    from npre.mlops.training_run import log_training_run
    from npre.training.loop import make_accelerator, optimizer_name
    from npre.training.lora import prepare_peft_model, save_adapter, train_lora

    params, decoding = config.train, config.evaluate.decoding
    seed, variant, base_dir, out_dir = config.run.seed, config.variant, paths.base, paths.out
    threads = set_threads(config.run.num_threads)
    train_sets = {str(path): read_documents(path) for path in paths.train_files}
    valid_path, valid_docs = str(paths.valid), read_documents(paths.valid)
    train_docs = [doc for docs in train_sets.values() for doc in docs]
    accelerator = make_accelerator()  # before loading: it picks this process's device
    tokenizer = load_tokenizer(base_dir)
    model = prepare_peft_model(load_base_model(base_dir, params.quantization), params, seed)
    extractor_config = ExtractorConfig(
        params.max_input_chars, params.max_length, decoding, params.linearization
    )
    extractor = RelationExtractor(model, tokenizer, extractor_config)

    def save_best() -> None:
        save_adapter(model, tokenizer, out_dir)
        extractor_config.save(out_dir)

    if not accelerator.is_main_process:
        train_lora(model, tokenizer, train_docs, params, seed, accelerator=accelerator)
        return None
    run_name = f"train-{variant}" if variant else f"train-{params.quantization}"
    logged_params = {
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
        "optimizer": optimizer_name(),
        "base_model_source": read_record(base_dir).get("source"),
    }
    with log_training_run(
        config.register.experiment,
        run_name,
        variant,
        train_sets,
        (valid_path, valid_docs),
        base_dir,
        logged_params,
        out_dir,
    ) as tracked:
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
            on_epoch=tracked.log_epoch,
            accelerator=accelerator,
        )
        tracked.log_result(result.best_epoch, result.tokens_per_second)
    summary = {
        "best_epoch": result.best_epoch,
        "best_valid_f1": result.best_valid_f1,
        "steps": result.steps,
        "tokens_per_second": round(result.tokens_per_second, 1),
        "train_documents": len(train_docs),
        "history": [_curve_point(record) for record in result.history],
        "quantization": params.quantization,
        "variant": variant,
        "processes": accelerator.num_processes,
    }
    write_json(paths.metrics, summary)
    return summary


def command(
    train_files: list[Path] = typer.Argument(
        ..., metavar="TRAIN...", help="training documents (one or more files)"
    ),
    valid: Path = typer.Option(..., help="validation documents (F1 by generation each epoch)"),
    base: Path = typer.Option(..., help="base model folder or hub id"),
    out: Path = typer.Option(..., help="folder for the best adapter and the run record"),
    metrics: Path = typer.Option(..., help="JSON: training summary"),
    method: str | None = typer.Option(
        None, help="lora | qlora: overrides train.quantization (none | 4bit)"
    ),
    variant: str | None = typer.Option(
        None, help="grid variant name (MLflow run name and tag), e.g. gme-selected-qlora"
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Fine-tune a (Q)LoRA adapter; log the run to MLflow; keep the best epoch.

    Runs unchanged under `accelerate launch` (several processes or GPUs): the main
    process alone logs to MLflow and writes the adapter and metrics.
    """
    config = read_config(Config, params, variant=variant)
    if method is not None:
        if method not in QUANTIZATION:
            fail(f"--method must be one of {', '.join(QUANTIZATION)}, got {method!r}")
        train = config.train.model_copy(update={"quantization": QUANTIZATION[method]})
        config = dataclasses.replace(config, train=train)
    with StageTimer("train"):
        summary = run(config, Paths(train_files, valid, base, out, metrics))
        if summary is not None:  # None on the other processes of `accelerate launch`
            typer.echo(f"best epoch {summary['best_epoch']}, valid F1 {summary['best_valid_f1']}")
