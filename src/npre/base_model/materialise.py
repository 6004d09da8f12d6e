"""`models/base` from `model.base`: a pretrained source loaded and saved as safetensors, or
the tiny GPT-2 built here."""

from __future__ import annotations

from pathlib import Path

from npre.base_model.sources import load_source, resolve, save_materialised, verify
from npre.base_model.tiny import build_tiny_model
from npre.config.model_params import ModelParams, TinyModelParams


def materialise_base_model(
    model_params: ModelParams, tiny: TinyModelParams, corpus: list[str], out_dir: Path, seed: int
) -> dict:
    """`models/base` from `model.base`; returns the record written beside it."""
    source = resolve(model_params.base)
    if source.kind == "tiny":
        return build_tiny_model(corpus, tiny, out_dir, seed)
    sha256 = verify(source, model_params.sha256)
    model, tokenizer = load_source(source)
    record = {
        "source": model_params.base,
        "kind": source.kind,
        "file": source.path.name if source.path else None,
        "sha256": sha256,
    }
    return save_materialised(model, tokenizer, out_dir, record)
