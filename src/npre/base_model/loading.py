"""Loading a base model for (Q)LoRA: quantised only when asked, CUDA extras only on CUDA."""

from __future__ import annotations

from pathlib import Path

from npre.hardware import has_cuda


def load_tokenizer(model_dir: Path):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if tokenizer.bos_token is None:
        tokenizer.bos_token = tokenizer.eos_token
    return tokenizer


def load_base_model(model_dir: Path, quantization: str = "none"):
    """The base causal LM; with `quantization="4bit"`, NF4 with double quantisation.

    bitsandbytes 0.50 runs 4-bit on CPU, so QLoRA works without a GPU; bf16 compute and
    the device map are used only where CUDA is present.
    """
    import torch
    from transformers import AutoModelForCausalLM

    if quantization == "none":
        model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
        if has_cuda():
            model = model.to("cuda")
        return model
    if quantization != "4bit":
        raise ValueError(f"unknown quantization {quantization!r}; expected 'none' or '4bit'")
    from transformers import BitsAndBytesConfig

    cuda = has_cuda()
    config = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16 if cuda else torch.float32,
    )
    model = AutoModelForCausalLM.from_pretrained(
        str(model_dir),
        quantization_config=config,
        dtype=torch.float32,
        # this process's GPU (accelerate launch gives each process its own)
        device_map={"": torch.cuda.current_device()} if cuda else {"": "cpu"},
    )
    if not cuda:
        _keep_trainable_cpu_layout(model)
    return model


def _keep_trainable_cpu_layout(model) -> None:
    """Stop bitsandbytes repacking 4-bit weights for CPU inference on the first no-grad call.

    The repacked layout is one-way and breaks the next training step, and training
    alternates with validation by generation.
    """
    import bitsandbytes as bnb

    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False


def store_frozen_embeddings_in_bf16(model) -> None:
    """Under bf16 compute, keep the frozen input embedding (and the head tied to it) in
    bfloat16, its lookups upcast to float32.

    The head's matmuls run in bf16 anyway, so each step cast the whole matrix (Gemma:
    262k x 640, 0.34 GB) for them; stored in bf16 it is cast never and takes half the
    memory. Only the embedding vectors a text looks up are rounded to bf16. Not under
    several processes: DDP broadcasts every parameter at start, and gloo (CPU) has no
    bfloat16.
    """
    import os

    import torch

    embedding = model.get_input_embeddings()
    weight = embedding.weight
    several_processes = int(os.environ.get("WORLD_SIZE", "1")) > 1  # set by accelerate/torchrun
    if weight.requires_grad or weight.dtype != torch.float32 or several_processes:
        return
    weight.data = weight.data.to(torch.bfloat16)
    embedding.register_forward_hook(lambda module, args, output: output.float())
