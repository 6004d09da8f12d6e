"""The `select` stage: a teacher keeps the synthetic documents whose labels it can explain.

The teacher (a LoRA extractor on the same base model) is trained on all validated
synthetic documents; each document is then scored by the mean token loss of its
linearised labels given its text. Low loss = labels well supported by the text (high
mutual information, MI2RAGE); the lowest-loss fraction is kept.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from npre.params import SelectParams
from npre.records import Document


def select_documents(
    docs: list[Document], base_dir: Path, params: SelectParams, seed: int
) -> tuple[list[Document], pd.DataFrame, dict]:
    from npre.modeling.loading import load_base_model, load_tokenizer
    from npre.modeling.training import document_losses, prepare_peft_model, train_lora

    if not docs:
        raise ValueError("no documents to select from")
    tokenizer = load_tokenizer(base_dir)
    teacher = prepare_peft_model(
        load_base_model(base_dir, params.teacher.quantization), params.teacher
    )
    train_lora(teacher, tokenizer, docs, params.teacher, seed)
    losses = document_losses(teacher, tokenizer, docs, params.teacher)
    n_keep = max(1, math.ceil(len(docs) * params.keep_fraction))
    order = sorted(range(len(docs)), key=lambda i: (losses[i], docs[i].PMID))
    keep = set(order[:n_keep])
    threshold = losses[order[n_keep - 1]]
    kept = [docs[i].model_copy(update={"teacher_loss": losses[i]}) for i in sorted(keep)]
    table = pd.DataFrame(
        {
            "PMID": [d.PMID for d in docs],
            "teacher_loss": losses,
            "kept": [i in keep for i in range(len(docs))],
        }
    )
    report = {
        "documents": len(docs),
        "kept": len(kept),
        "keep_fraction": params.keep_fraction,
        "loss_threshold": threshold,
        "mean_loss_kept": float(pd.Series([losses[i] for i in keep]).mean()),
        "mean_loss_all": float(pd.Series(losses).mean()),
    }
    return kept, table, report


def loss_histogram(table: pd.DataFrame, bins: int = 20) -> pd.DataFrame:
    """Binned teacher losses for a DVC bar plot."""
    counts = pd.cut(table["teacher_loss"], bins=bins).value_counts(sort=False)
    return pd.DataFrame(
        {"loss": [round(i.mid, 4) for i in counts.index], "documents": counts.to_numpy()}
    )
