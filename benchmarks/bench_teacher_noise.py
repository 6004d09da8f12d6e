"""How well teacher selection removes label noise.

    python benchmarks/bench_teacher_noise.py --noise 0.2 --kind chemicals
    # after `dvc repro validate base-model`; --kind chemicals | organisms | absent

A fraction of the validated synthetic documents get wrong labels: `chemicals`, the
chemical labels of another document; `organisms`, the organism labels of another document;
`absent`, one extra relation to a chemical of another document (the text states the rest).
The `select` stage's teacher (params `select`) is trained on the mix once and keeps
`select.keep_fraction` by each `select.score` (worst_name_whole_organisms, worst_name,
mean_token). Prints, per score, the share of corrupted documents removed and of clean
documents kept.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import get_args

from npre.config.params import load_section
from npre.data.records import read_documents
from npre.stages.select import keep_lowest, train_teacher
from npre.training.label_losses import Score, document_losses


def _corrupted(doc, donor, kind: str):
    if kind == "chemicals":  # the donor's chemicals, produced by this document's organism
        organism = doc.organisms[0].id
        update = {
            "chemicals": donor.chemicals,
            "relations": [(organism, c.id) for c in donor.chemicals],
        }
    elif kind == "organisms":  # this document's chemicals, produced by the donor's organism
        organism = donor.organisms[0].id
        update = {
            "organisms": donor.organisms,
            "relations": [(organism, c.id) for c in doc.chemicals],
        }
    else:  # absent: one more relation, to a chemical the text never names
        extra = next((c for c in donor.chemicals if c.label.lower() not in doc.text.lower()), None)
        if extra is None:
            return None
        update = {
            "chemicals": [*doc.chemicals, extra],
            "relations": [*doc.relations, (doc.organisms[0].id, extra.id)],
        }
    return doc.model_copy(update={**update, "PMID": doc.PMID + "-corrupted"})


def corrupt(docs, fraction: float, seed: int, kind: str = "chemicals"):
    """Corrupt a random `fraction` of documents, each with labels of the next one chosen."""
    rng = random.Random(seed)
    chosen = rng.sample(range(len(docs)), max(2, int(len(docs) * fraction)))
    out, corrupted = list(docs), set()
    for position, index in enumerate(chosen):
        donor = docs[chosen[(position + 1) % len(chosen)]]
        changed = _corrupted(docs[index], donor, kind)
        if changed is not None:
            out[index] = changed
            corrupted.add(changed.PMID)
    return out, corrupted


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=Path, default=Path("data/processed/gme/synthetic.jsonl"))
    parser.add_argument("--base", type=Path, default=Path("models/base"))
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kind", choices=["chemicals", "organisms", "absent"], default="chemicals")
    parser.add_argument("--dump", type=Path, default=None, help="JSONL: per-document token losses")
    args = parser.parse_args()
    for path in (args.docs, args.base):
        if not path.exists():
            sys.exit(
                f"{path} is missing: run `dvc repro validate base-model` (or `make demo`) first"
            )
    import torch

    torch.set_num_threads(load_section("run").num_threads)
    params = load_section("select")
    docs, corrupted = corrupt(read_documents(args.docs), args.noise, args.seed, args.kind)
    teacher, tokenizer = train_teacher(docs, args.base, params, args.seed)
    clean = [d.PMID for d in docs if d.PMID not in corrupted]
    print(f"documents {len(docs)}, corrupted {len(corrupted)} ({args.kind}, {args.noise:.0%})")
    print(f"keep_fraction {params.keep_fraction}")
    if args.dump:  # label-token losses and name spans, to study other scores offline
        from npre.linearization.tokens import layout
        from npre.training.label_losses import label_token_losses_by_document, name_spans

        spec = layout(tokenizer)
        found = label_token_losses_by_document(teacher, tokenizer, docs, params.teacher)
        with args.dump.open("w") as out:
            for doc, (losses, target) in zip(docs, found, strict=True):
                spans = name_spans(target, spec.produces, spec.separator)
                row = {"PMID": doc.PMID, "corrupted": doc.PMID in corrupted}
                out.write(json.dumps(row | {"losses": losses, "spans": spans}) + "\n")
    for score in get_args(Score):  # one teacher, every score
        losses = document_losses(teacher, tokenizer, docs, params.teacher, score)
        kept, _, report = keep_lowest(docs, losses, params.keep_fraction)
        kept_ids = {d.PMID for d in kept}
        removed = sum(pmid not in kept_ids for pmid in corrupted) / len(corrupted)
        clean_kept = sum(pmid in kept_ids for pmid in clean) / len(clean)
        print(
            f"score {score:<26}  corrupted removed: {removed:.1%}   clean kept: {clean_kept:.1%}"
            f"   (loss threshold {report['loss_threshold']:.3f})"
        )


if __name__ == "__main__":
    main()
