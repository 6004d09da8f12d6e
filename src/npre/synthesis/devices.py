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
    """Half precision only on CUDA (slow or unsupported on CPU); float32 otherwise."""
    import torch

    if device != "cuda":
        if setting in ("bfloat16", "float16"):
            log.warning("dtype %s needs CUDA: using float32 on the CPU", setting)
        return torch.float32
    if setting == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return getattr(torch, setting)
