"""Where in-process models run: CUDA when present (or asked for and present), else CPU."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def pick_device(setting: str) -> str:
    """`auto` or `cuda`: CUDA when there is one; `cuda` without one warns, never fails."""
    from npre.modeling.loading import has_cuda

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

    from npre.modeling.loading import cpu_supports_bf16

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
