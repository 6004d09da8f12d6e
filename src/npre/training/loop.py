"""The one training loop: pre-training the tiny model, the teacher and the extractor.

A plain PyTorch loop driven by Hugging Face Accelerate, so the same code runs on one CPU
or under `accelerate launch` on several processes or GPUs: gradient accumulation (without
a gradient all-reduce on the micro-batches that do not step), clipping, warmup then
linear decay. What differs between its users is what a batch is and what its loss is,
and what happens after each epoch: they pass those in.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tqdm import tqdm


@dataclass(frozen=True)
class LoopSettings:
    epochs: int
    lr: float
    batches_per_epoch: int  # this process's batches (the same count every epoch)
    grad_accumulation: int = 1
    warmup_ratio: float = 0.0
    max_grad_norm: float = 1.0
    weight_decay: float = 0.0
    max_steps: int = -1  # > 0: stop after this many optimizer steps

    @property
    def total_steps(self) -> int:
        steps = math.ceil(self.batches_per_epoch / self.grad_accumulation) * self.epochs
        return min(steps, self.max_steps) if self.max_steps > 0 else steps


@dataclass
class LoopResult:
    epoch_losses: list[float] = field(default_factory=list)  # mean batch loss per epoch
    steps: int = 0
    tokens_per_second: float = 0.0


def warmup_then_linear_decay(total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    """The learning-rate factor of step s: a linear warmup, then a linear decay to 0."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / (warmup_steps + 1)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return factor


def make_accelerator():
    """One Accelerator per process; under `accelerate launch` it knows its rank and device.

    Without CUDA it is told so (`cpu=True`): then several launched processes train on
    CPU with gloo (DDP) instead of each believing it is alone.
    """
    from datetime import timedelta

    from accelerate import Accelerator
    from accelerate.utils import InitProcessGroupKwargs

    from npre.hardware import has_cuda

    # the other processes wait while the main one validates by generation: a long wait
    # on a large validation set must not trip the collective-communication watchdog
    patience = InitProcessGroupKwargs(timeout=timedelta(hours=4))
    return Accelerator(cpu=not has_cuda(), kwargs_handlers=[patience])


def optimizer_name() -> str:
    """The optimizer this machine trains with (recorded in the MLflow run)."""
    from npre.hardware import has_cuda

    return "PagedAdamW8bit" if has_cuda() else "AdamW"


def make_optimizer(parameters, lr: float, weight_decay: float = 0.0):
    """Paged 8-bit AdamW on CUDA (bitsandbytes), plain AdamW elsewhere."""
    import torch

    if optimizer_name() == "PagedAdamW8bit":
        import bitsandbytes as bnb

        return bnb.optim.PagedAdamW8bit(parameters, lr=lr, weight_decay=weight_decay)
    return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)


def model_device(model):
    return next(model.parameters()).device


def run_loop(
    model,
    settings: LoopSettings,
    epoch_batches: Callable[[int], Sequence],
    batch_loss: Callable[[object, object, object], tuple[object, int]],
    after_epoch: Callable[[int, float, bool], None] | None = None,
    accelerator=None,
    desc: str = "train",
) -> LoopResult:
    """Train the parameters of `model` that require gradients, in place.

    `epoch_batches(epoch)` gives this process's batches of an epoch (1-based);
    `batch_loss(model, batch, device)` returns the batch's mean loss and its token count;
    `after_epoch(epoch, mean_loss, last)` runs on every process after each epoch (the
    caller validates and saves on the main process there).
    """
    import torch

    from npre.training.memory import release_freed_memory

    accelerator = accelerator or make_accelerator()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = make_optimizer(trainable, settings.lr, settings.weight_decay)
    wrapped, optimizer = accelerator.prepare(model, optimizer)
    device = accelerator.device if accelerator.num_processes > 1 else model_device(model)
    total_steps = settings.total_steps
    warmup = int(total_steps * settings.warmup_ratio)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, warmup_then_linear_decay(total_steps, warmup)
    )
    result = LoopResult()
    tokens, started = 0, time.perf_counter()
    bar = tqdm(total=total_steps, desc=desc, unit="step", disable=not accelerator.is_main_process)
    for epoch in range(1, settings.epochs + 1):
        wrapped.train()
        epoch_loss, epoch_batches_seen = 0.0, 0
        batches = epoch_batches(epoch)
        for index, batch in enumerate(batches):
            steps_now = (index + 1) % settings.grad_accumulation == 0 or index + 1 == len(batches)
            # gradients of the micro-batches that do not step stay local (DDP)
            sync = contextlib.nullcontext() if steps_now else accelerator.no_sync(wrapped)
            with sync:
                loss, batch_tokens = batch_loss(wrapped, batch, device)
                accelerator.backward(loss / settings.grad_accumulation)
            if device.type == "cpu":
                release_freed_memory()
            tokens += batch_tokens
            epoch_loss, epoch_batches_seen = epoch_loss + loss.item(), epoch_batches_seen + 1
            if steps_now:
                accelerator.clip_grad_norm_(trainable, settings.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                result.steps += 1
                bar.update(1)
                rate = tokens / max(time.perf_counter() - started, 1e-9)
                # shown at the next redraw: a forced one per step would flood a log file
                bar.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{rate:.0f}", refresh=False)
                if result.steps >= total_steps:
                    break
        optimizer.zero_grad()
        mean_loss = epoch_loss / max(epoch_batches_seen, 1)
        result.epoch_losses.append(mean_loss)
        last = epoch == settings.epochs or result.steps >= total_steps
        if after_epoch is not None:
            after_epoch(epoch, mean_loss, last)
        if last:
            break
    bar.close()
    model.eval()
    result.tokens_per_second = tokens / max(time.perf_counter() - started, 1e-9)
    return result
