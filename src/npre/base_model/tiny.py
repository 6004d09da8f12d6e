"""The tiny base model (`model.base: tiny`), built here with no hub: a byte-level BPE
tokenizer trained on the corpus and a small GPT-2 pre-trained on it as a causal LM (with
span recall), for tests and the quick profile.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from npre.config.model_params import TinyModelParams

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>"]


def train_tokenizer(corpus: list[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    return wrap_tokenizer(tokenizer)


def wrap_tokenizer(tokenizer):
    """A `tokenizers` tokenizer as a transformers one, with npre's special tokens."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
    )


def build_model(tokenizer, params: TinyModelParams):
    from transformers import GPT2Config, GPT2LMHeadModel

    config = GPT2Config(
        vocab_size=len(tokenizer),
        n_positions=params.n_positions,
        n_embd=params.n_embd,
        n_layer=params.n_layer,
        n_head=params.n_head,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )
    model = GPT2LMHeadModel(config)
    return model


def span_recall_example(
    tokenizer, text: str, rng: random.Random, max_source_tokens: int
) -> list[int]:
    """`text</s><s> span; span; span</s>` with random word spans of the text, in text order.

    A label-free objective: it teaches a small model to copy spans of its input after
    `</s><s>`, the mechanism the extractor needs, without seeing a single relation label.
    """
    source = tokenizer.encode(text, add_special_tokens=False)[:max_source_tokens]
    visible = tokenizer.decode(source)
    words = visible.split()
    if len(words) < 4:
        return [*source, tokenizer.eos_token_id]
    starts = sorted(rng.sample(range(len(words) - 1), min(len(words) - 1, rng.randint(2, 6))))
    spans = [" ".join(words[s : s + rng.randint(1, 3)]).strip(".,;:()") for s in starts]
    target = tokenizer.encode(" " + "; ".join(s for s in spans if s), add_special_tokens=False)
    return [
        *source,
        tokenizer.eos_token_id,
        tokenizer.bos_token_id,
        *target,
        tokenizer.eos_token_id,
    ]


def pretrain(
    model, tokenizer, corpus: list[str], params: TinyModelParams, seed: int
) -> list[float]:
    """Causal-LM training on the corpus, each document as a span-recall example; returns
    the mean loss of each epoch. The one training loop (`npre.training.loop`)."""
    from npre.training.loop import LoopSettings, run_loop

    if params.pretrain_epochs == 0 or not corpus:
        return []
    rng = random.Random(seed)
    max_source = params.n_positions - 64
    settings = LoopSettings(
        epochs=params.pretrain_epochs,
        lr=params.pretrain_lr,
        batches_per_epoch=math.ceil(len(corpus) / params.batch_size),
        warmup_ratio=params.warmup_ratio,
        max_grad_norm=params.max_grad_norm,
        weight_decay=params.weight_decay,
    )

    def epoch_batches(epoch: int) -> list[list[list[int]]]:
        examples = [
            span_recall_example(tokenizer, text, rng, max_source)[: params.n_positions]
            for text in corpus
        ]
        examples.sort(key=len)  # similar lengths together: little padding
        size = params.batch_size
        batches = [examples[i : i + size] for i in range(0, len(examples), size)]
        rng.shuffle(batches)
        return batches

    def batch_loss(model, batch: list[list[int]], device):
        import torch

        width = max(len(e) for e in batch)
        ids = torch.full((len(batch), width), tokenizer.pad_token_id)
        labels = torch.full((len(batch), width), -100)
        for row, example in enumerate(batch):
            ids[row, : len(example)] = torch.tensor(example)
            labels[row, : len(example)] = torch.tensor(example)
        mask = (labels != -100).long()
        ids, labels, mask = ids.to(device), labels.to(device), mask.to(device)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        return loss, int(mask.sum())

    return run_loop(model, settings, epoch_batches, batch_loss, desc="pretrain").epoch_losses


def build_tiny_model(corpus: list[str], params: TinyModelParams, out_dir: Path, seed: int) -> dict:
    """Train the tokenizer, build and pre-train the model, save both to `out_dir`."""
    import torch

    from npre.base_model.sources import save_materialised

    torch.manual_seed(seed)
    tokenizer = train_tokenizer(corpus, params.vocab_size)
    model = build_model(tokenizer, params)
    losses = pretrain(model, tokenizer, corpus, params, seed)
    record = {
        "source": "tiny",
        "kind": "tiny",
        "sha256": None,
        "pretrain_loss": losses[-1] if losses else None,
        "pretrain_loss_per_epoch": losses,
    }
    return save_materialised(model, tokenizer, out_dir, record)
