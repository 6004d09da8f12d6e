"""What the hardware offers: CUDA, bfloat16 units on the CPU, and the device and dtype an
in-process model runs with. Asked here only, so every path decides the same way."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def cpu_supports_bf16() -> bool:
    """bfloat16 matmuls in hardware (AVX512-BF16 or AMX): autocast pays off there only."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def use_bf16(precision: str = "auto") -> bool:
    """Whether to compute in bfloat16: `model.precision`, where `auto` asks the hardware."""
    import torch

    if precision == "float32":
        return False
    if precision == "bfloat16":
        return True
    if has_cuda():
        return torch.cuda.is_bf16_supported()
    return cpu_supports_bf16()


def pick_device(setting: str) -> str:
    """`auto` or `cuda`: CUDA when there is one; `cuda` without one warns, never fails."""
    if setting == "cpu":
        return "cpu"
    if has_cuda():
        return "cuda"
    if setting == "cuda":
        log.warning("device 'cuda' asked for but CUDA is not available: using the CPU")
    return "cpu"


def pick_dtype(setting: str, device: str):
    """`auto`: bfloat16 where the hardware computes it (CUDA, or a CPU with AVX512-BF16 or
    AMX), float16 on older CUDA, float32 elsewhere; float16 on CUDA only."""
    import torch

    if device != "cuda":
        if setting == "auto":
            return torch.bfloat16 if cpu_supports_bf16() else torch.float32
        if setting == "float16":
            log.warning("dtype float16 is slow or missing on the CPU: using float32")
            return torch.float32
        return getattr(torch, setting)
    if setting == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return getattr(torch, setting)
