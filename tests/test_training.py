"""LoRA and 4-bit QLoRA training of a tiny locally built model, on CPU, and reloading it."""

from pathlib import Path

import pytest
from helpers import one_relation_documents, tiny_train_params

from npre.base_model.loading import load_base_model, load_tokenizer
from npre.base_model.tiny import build_tiny_model
from npre.config.model_params import DecodingParams, TinyModelParams, TrainParams
from npre.decoding.extractor import ExtractorConfig, RelationExtractor
from npre.training.label_losses import document_losses
from npre.training.lora import prepare_peft_model, save_adapter, train_lora

DOCS = one_relation_documents(
    "Chemical study of {org} gave {chem} and other minor constituents.", 4
)


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("base")
    params = TinyModelParams(
        vocab_size=400, n_embd=64, n_layer=2, n_head=2, pretrain_epochs=1, batch_size=2
    )
    info = build_tiny_model([d.text for d in DOCS] * 3, params, out, seed=0)
    assert info["parameters"] > 0
    return out


@pytest.mark.parametrize("quantization", ["none", "4bit"])
def test_lora_and_qlora_train_on_cpu_and_reload(base_dir, tmp_path, quantization):
    import torch

    params = TrainParams(
        epochs=6,
        batch_size=2,
        grad_accumulation=1,
        lr=0.02,
        quantization=quantization,
        max_length=64,
    )
    tokenizer = load_tokenizer(base_dir)
    model = prepare_peft_model(load_base_model(base_dir, quantization), params)
    if quantization == "4bit":
        import bitsandbytes as bnb

        assert any(isinstance(m, bnb.nn.Linear4bit) for m in model.modules())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert 0 < trainable < sum(p.numel() for p in model.parameters())
    before = sum(document_losses(model, tokenizer, DOCS, params))
    result = train_lora(
        model,
        tokenizer,
        DOCS,
        params,
        seed=0,
        save_best=lambda: save_adapter(model, tokenizer, tmp_path),
    )
    after = sum(document_losses(model, tokenizer, DOCS, params))
    assert torch.isfinite(torch.tensor(after))
    assert after < before  # the label loss really went down
    assert result.best_epoch == 6 and result.steps == 12
    config = ExtractorConfig(1500, 64, DecodingParams(max_new_tokens=8))
    config.save(tmp_path)
    extractor = RelationExtractor.load(base_dir, tmp_path, config)
    found = extractor.extract(DOCS[0].ArticleTitle, DOCS[0].AbstractText)
    assert found.malformed >= 0 and isinstance(found.relations, list)


def test_the_train_command_runs_unchanged_under_accelerate_launch(base_dir, tmp_path):
    """Two processes (DDP; gloo on CPU): one MLflow run, one adapter, from the main process."""
    import json
    import os
    import subprocess
    import sys

    import mlflow
    import yaml

    from npre.data.records import write_documents

    write_documents(tmp_path / "train.jsonl", DOCS)
    write_documents(tmp_path / "valid.jsonl", DOCS[:2])
    params = {
        "run": {"seed": 0, "num_threads": 1},
        "train": {
            "epochs": 2,
            "batch_size": 1,
            "grad_accumulation": 1,
            "max_length": 64,
            "eval_from_epoch": 2,
        },
        "evaluate": {"decoding": {"max_new_tokens": 8}},
        "register": {"experiment": "accelerate-test"},
    }
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    bin_dir = Path(sys.executable).parent
    command = [
        str(bin_dir / "accelerate"),
        "launch",
        "--multi_gpu",  # torchrun's launcher; without CUDA each process trains on CPU (gloo)
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        str(bin_dir / "npre"),
        "train",
        "train.jsonl",
        "--valid",
        "valid.jsonl",
        "--base",
        str(base_dir),
        "--out",
        "adapter",
        "--metrics",
        "train.json",
        "--method",
        "lora",
    ]
    db = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": db, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads((tmp_path / "train.json").read_text())
    assert summary["processes"] == 2
    # 4 documents, batch 1, 2 processes: 2 steps per epoch, each on two documents
    assert summary["steps"] == 4 and summary["best_epoch"] == 2
    assert (tmp_path / "adapter" / "adapter_model.safetensors").exists()
    mlflow.set_tracking_uri(db)
    runs = mlflow.search_runs(experiment_names=["accelerate-test"], output_format="list")
    assert len(runs) == 1 and runs[0].data.params["processes"] == "2"


@pytest.mark.parametrize(
    ("quantization", "bf16"), [("none", False), ("4bit", False), ("none", True)]
)
def test_label_losses_and_gradients_equal_the_full_logits_ones(base_dir, quantization, bf16):
    """The LM head at label positions only, in chunks, gives the full-logits loss and grads
    (under bf16 autocast: within bf16's precision; the head is cast once, not per chunk)."""
    import torch

    from npre.training.lora import collate, label_loss, make_examples

    precision = "bfloat16" if bf16 else "float32"  # whatever this machine's CPU has
    params = TrainParams(
        quantization=quantization, max_length=64, lora_dropout=0.0, precision=precision
    )
    tokenizer = load_tokenizer(base_dir)
    torch.manual_seed(0)
    model = prepare_peft_model(load_base_model(base_dir, quantization), params)
    for name, weight in model.named_parameters():  # non-zero B: LoRA gradients everywhere
        if "lora_B" in name:
            torch.nn.init.normal_(weight, std=0.02)
    examples = make_examples(tokenizer, DOCS, params)
    ids, labels, mask = collate(examples, tokenizer.pad_token_id, "cpu")
    trainable = [p for p in model.parameters() if p.requires_grad]

    if bf16:  # the frozen embedding and tied head are stored in bf16, lookups upcast
        embedding = model.get_input_embeddings()
        assert embedding.weight.dtype == torch.bfloat16
        assert embedding(ids[:, :2]).dtype == torch.float32
    ours = label_loss(model, ids, labels, mask, bf16)
    ours_grads = torch.autograd.grad(ours, trainable)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        full = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    full_grads = torch.autograd.grad(full, trainable)
    atol, rtol = (2e-2, 5e-2) if bf16 else (1e-5, 1e-3)
    assert torch.allclose(ours, full.float(), atol=atol)
    for a, b in zip(ours_grads, full_grads, strict=True):
        assert torch.allclose(a, b, atol=atol, rtol=rtol)


def test_the_same_seed_trains_the_same_adapter(base_dir):
    """LoRA's A matrices are drawn at random: the seed fixes them, so a rerun repeats."""
    import torch

    params = TrainParams(
        epochs=1, batch_size=2, grad_accumulation=2, lr=0.02, max_length=64, lora_r=4
    )
    tokenizer = load_tokenizer(base_dir)
    earlier_draws = iter(range(1000, 1003))

    def trained(seed: int) -> list:
        torch.manual_seed(next(earlier_draws))  # the global generator differs every time
        model = prepare_peft_model(load_base_model(base_dir), params, seed)
        train_lora(model, tokenizer, DOCS, params, seed)
        return [p.detach().clone() for p in model.parameters() if p.requires_grad]

    first, again, other = trained(0), trained(0), trained(1)
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first, other, strict=True))


def test_bf16_training_validates_by_generation_and_answers_from_the_text(base_dir):
    """Under bf16 compute the frozen embedding is stored in bf16; validation by generation
    during training (a model whose LoRA is still fp32) runs under autocast and answers the
    texts' relations. Forced bf16: any CPU (emulated without the hardware)."""
    import torch

    tokenizer = load_tokenizer(base_dir)
    params = tiny_train_params(lora_dropout=0.0, precision="bfloat16")
    model = prepare_peft_model(load_base_model(base_dir), params, seed=0)
    assert model.get_input_embeddings().weight.dtype == torch.bfloat16
    train_lora(model, tokenizer, DOCS, params, seed=0)
    decoding = DecodingParams(max_new_tokens=24, precision="bfloat16")
    config = ExtractorConfig(params.max_input_chars, params.max_length, decoding)
    extractor = RelationExtractor(model, tokenizer, config)
    answers = [extractor.extract(d.ArticleTitle, d.AbstractText).relations for d in DOCS]
    right = [set(found) & set(d.label_pairs()) for found, d in zip(answers, DOCS, strict=True)]
    assert sum(map(len, right)) >= 2, answers  # a tiny model: most, not all, of them
