"""(Q)LoRA fine-tuning of a causal LM on linearised documents.

Used by `train` (the extractor) and `select` (the teacher), through the one training loop
(`npre.training.loop`): dynamic padding, the loss on label tokens only; validation F1 by
generation after each epoch from `eval_from_epoch`, on the main process; the best
adapter is kept.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from npre.config.model_params import ModelTrainingParams
from npre.data.records import Document
from npre.linearization.tokens import Example, training_example
from npre.training.loop import LoopSettings, make_accelerator, run_loop


@dataclass
class TrainResult:
    history: list[dict] = field(default_factory=list)
    best_epoch: int = 0
    best_valid_f1: float | None = None
    steps: int = 0
    tokens_per_second: float = 0.0


def lora_config(params: ModelTrainingParams, model):
    from peft import LoraConfig

    from npre.base_model.families import lora_targets, stores_transposed, top_layers

    return LoraConfig(
        r=params.lora_r,
        lora_alpha=params.lora_alpha,
        lora_dropout=params.lora_dropout,
        target_modules=lora_targets(model.config, params.target_modules),
        layers_to_transform=top_layers(model.config, params.lora_layers),
        fan_in_fan_out=stores_transposed(model.config),
        task_type="CAUSAL_LM",
    )


def prepare_peft_model(base_model, params: ModelTrainingParams, seed: int = 0):
    """`base_model` with fresh LoRA weights, initialised from `seed`: the same seed gives
    the same adapter after training (LoRA's A matrices are drawn at random). Under bf16
    compute the frozen embedding and tied head are stored in bf16 (`loading`)."""
    import torch
    from peft import get_peft_model, prepare_model_for_kbit_training

    from npre.base_model.loading import store_frozen_embeddings_in_bf16
    from npre.hardware import use_bf16

    if params.quantization == "4bit":
        base_model = prepare_model_for_kbit_training(base_model, use_gradient_checkpointing=False)
    torch.manual_seed(seed)
    model = get_peft_model(base_model, lora_config(params, base_model))
    if use_bf16(params.precision):
        store_frozen_embeddings_in_bf16(model)
    return model


def make_examples(tokenizer, docs: list[Document], params: ModelTrainingParams) -> list[Example]:
    return [
        training_example(
            tokenizer,
            d.ArticleTitle,
            d.AbstractText,
            d.label_pairs(),
            params.max_input_chars,
            params.max_length,
            stated_only=getattr(params, "drop_unstated", False),  # the extractor's options
            linearization=getattr(params, "linearization", "pairs"),
        )
        for d in docs
    ]


def collate(examples: list[Example], pad_id: int, device, width: int | None = None):
    """Right-pad a batch to its longest member (dynamic padding) or to `width`."""
    import torch

    width = width or max(len(e.input_ids) for e in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), -100, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, e in enumerate(examples):
        ids[row, : len(e.input_ids)] = torch.tensor(e.input_ids)
        labels[row, : len(e.labels)] = torch.tensor(e.labels)
        mask[row, : len(e.input_ids)] = 1
    return ids.to(device), labels.to(device), mask.to(device)


def label_token_losses(model, ids, labels, mask, bf16: bool = False):
    """Cross-entropy of each label token, (rows, positions) with 0 where there is no label.

    The LM head runs only at positions whose next token is a label: with a large
    vocabulary (Gemma: 262k tokens) full logits over the prompt would cost most of the
    time and memory of a step. Where the head is a frozen linear layer (the usual tied
    embedding), it is applied in chunks whose logits are not kept (`label_head`); else
    through `logits_to_keep`. bf16 autocast where the hardware has it.
    """
    import torch

    from npre.training.label_head import head_token_losses

    targets = labels[:, 1:]
    keep = (targets != -100).any(dim=0).nonzero().squeeze(-1)
    gold = targets[:, keep]
    present = gold != -100
    causal = _causal_lm(model)
    head = causal.get_output_embeddings()
    plain_head = (
        isinstance(head, torch.nn.Linear)
        and head.bias is None
        and not head.weight.requires_grad
        and not getattr(causal.config, "final_logit_softcapping", None)
    )
    with torch.autocast(ids.device.type, dtype=torch.bfloat16, enabled=bf16):
        if plain_head:
            out = model(
                input_ids=ids, attention_mask=mask, logits_to_keep=1, output_hidden_states=True
            )
            hidden = out.hidden_states[-1][:, keep][present]
            losses = torch.zeros(gold.shape, dtype=torch.float32, device=ids.device)
            losses[present] = head_token_losses(hidden, head.weight, gold[present])
            return losses, present
        logits = model(input_ids=ids, attention_mask=mask, logits_to_keep=keep).logits
    losses = torch.nn.functional.cross_entropy(
        logits.float().flatten(0, 1), gold.flatten(), ignore_index=-100, reduction="none"
    )
    return losses.view(gold.shape), present


def _causal_lm(model):
    """The transformers model inside a DDP wrapper and a peft model."""
    model = getattr(model, "module", model)  # DistributedDataParallel
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def label_loss(model, ids, labels, mask, bf16: bool = False):
    """Mean loss over the batch's label tokens."""
    losses, present = label_token_losses(model, ids, labels, mask, bf16)
    return losses.sum() / present.sum().clamp(min=1)


def _batches(examples: list[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
    """Batches of similar length (less padding), in random order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].input_ids), rng.random()))
    batches = [
        [examples[i] for i in order[s : s + batch_size]] for s in range(0, len(order), batch_size)
    ]
    rng.shuffle(batches)
    return batches


def _shard(batches: list, accelerator) -> list:
    """This process's share of the batches; every process gets the same number (DDP)."""
    world = accelerator.num_processes
    if world == 1:
        return batches
    if len(batches) < world:  # a process without a batch would hang the others
        raise ValueError(
            f"{len(batches)} training batch(es) for {world} processes: use fewer processes "
            "or a smaller train.batch_size"
        )
    usable = len(batches) // world * world  # drop the ragged tail
    return batches[accelerator.process_index : usable : world]


def train_lora(
    model,
    tokenizer,
    train_docs: list[Document],
    params: ModelTrainingParams,
    seed: int,
    evaluate: Callable[[int], dict] | None = None,
    save_best: Callable[[], None] | None = None,
    eval_from_epoch: int = 1,
    on_epoch: Callable[[dict], None] | None = None,
    accelerator=None,
) -> TrainResult:
    """Train the LoRA weights of `model` (a peft model) in place, on the label tokens.

    `evaluate(epoch)` returns `valid_f1` (and `valid_loss`, logged); the best epoch has the
    highest F1, and among equal F1 (frequent on a small validation set) the latest one, the
    most trained. `save_best()` is called whenever it changes. Without `evaluate`,
    `save_best()` runs after the last epoch. Evaluation, saving and `on_epoch` happen on the
    main process only.
    """
    import torch

    from npre.hardware import use_bf16

    accelerator = accelerator or make_accelerator()
    main = accelerator.is_main_process
    bf16 = use_bf16(params.precision)
    torch.manual_seed(seed)
    rng = random.Random(seed)  # the same batch order in every process, then sharded
    examples = make_examples(tokenizer, train_docs, params)
    if not examples:
        raise ValueError("no training documents")
    count_order = _batches(examples, params.batch_size, random.Random(0))
    settings = LoopSettings(
        epochs=params.epochs,
        lr=params.lr,
        batches_per_epoch=len(_shard(count_order, accelerator)),
        grad_accumulation=params.grad_accumulation,
        warmup_ratio=params.warmup_ratio,
        max_grad_norm=params.max_grad_norm,
        max_steps=params.max_steps,
    )
    width = params.max_length if params.padding == "max_length" else None

    def batch_loss(wrapped, batch, device):
        ids, labels, mask = collate(batch, tokenizer.pad_token_id, device, width)
        return label_loss(wrapped, ids, labels, mask, bf16), int(mask.sum())

    result = TrainResult()

    def after_epoch(epoch: int, train_loss: float, last: bool) -> None:
        record = {"epoch": epoch, "train_loss": train_loss}
        if main and evaluate is not None and epoch >= eval_from_epoch:
            model.eval()
            scores = evaluate(epoch)
            record.update(scores)
            if result.best_valid_f1 is None or scores["valid_f1"] >= result.best_valid_f1:
                result.best_epoch, result.best_valid_f1 = epoch, scores["valid_f1"]
                if save_best:
                    save_best()
        if main and last and result.best_epoch == 0:  # never validated: the last epoch
            result.best_epoch = epoch
            if save_best:
                save_best()
        result.history.append(record)
        if main and on_epoch:
            on_epoch(record)
        accelerator.wait_for_everyone()

    loop = run_loop(
        model,
        settings,
        lambda epoch: _shard(_batches(examples, params.batch_size, rng), accelerator),
        batch_loss,
        after_epoch,
        accelerator,
    )
    result.steps, result.tokens_per_second = loop.steps, loop.tokens_per_second
    return result


def save_adapter(model, tokenizer, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    tokenizer.save_pretrained(str(out_dir))
