"""How well teacher selection removes label noise: chemicals swapped between documents.

    python benchmarks/bench_teacher_noise.py --noise 0.2     # after `dvc repro validate base-model`

A fraction of the validated synthetic documents get the chemical labels of another
document (the text no longer states them); the `select` stage's teacher is trained on the
mix and keeps `select.keep_fraction`. Prints the share of corrupted documents removed and
of clean documents kept.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

from npre.params import load_section
from npre.records import read_documents
from npre.selection import select_documents


def corrupt(docs, fraction: float, seed: int):
    """Swap the chemical labels of a random `fraction` of documents in a cycle."""
    rng = random.Random(seed)
    chosen = rng.sample(range(len(docs)), max(2, int(len(docs) * fraction)))
    out = list(docs)
    for position, index in enumerate(chosen):
        donor = docs[chosen[(position + 1) % len(chosen)]]
        organism = docs[index].organisms[0].id
        out[index] = docs[index].model_copy(
            update={
                "chemicals": donor.chemicals,
                "relations": [(organism, c.id) for c in donor.chemicals],
                "PMID": docs[index].PMID + "-corrupted",
            }
        )
    return out, {out[i].PMID for i in chosen}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=Path, default=Path("data/processed/gme/synthetic.jsonl"))
    parser.add_argument("--base", type=Path, default=Path("models/base"))
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for path in (args.docs, args.base):
        if not path.exists():
            sys.exit(
                f"{path} is missing: run `dvc repro validate base-model` (or `make demo`) first"
            )
    import torch

    torch.set_num_threads(load_section("base").num_threads)
    params = load_section("select")
    docs, corrupted = corrupt(read_documents(args.docs), args.noise, args.seed)
    kept, _, report = select_documents(docs, args.base, params, args.seed)
    kept_ids = {d.PMID for d in kept}
    clean = [d.PMID for d in docs if d.PMID not in corrupted]
    removed = sum(pmid not in kept_ids for pmid in corrupted) / len(corrupted)
    clean_kept = sum(pmid in kept_ids for pmid in clean) / len(clean)
    print(f"documents {len(docs)}, corrupted {len(corrupted)} ({args.noise:.0%})")
    print(f"keep_fraction {params.keep_fraction}, loss threshold {report['loss_threshold']:.3f}")
    print(f"corrupted removed: {removed:.1%}   clean kept: {clean_kept:.1%}")


if __name__ == "__main__":
    main()
