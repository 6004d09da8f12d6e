"""Differential check: `gme_sample` against a dense, literal reading of the reference's spec.

    python benchmarks/check_gme_parity.py --n-refs 2000 --n 500

The literal version builds each candidate's dense count vector over the whole vocabulary,
adds the sample's counts, normalises and takes -sum p ln p (scipy.stats.entropy's formula),
rounds to 5 decimals, and takes the first best candidate in sorted key order. It is slow
(dense items x vocabulary matrices), which is why it lives here and not in the test suite;
tests/test_gme.py runs the same comparison on small random tables.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gme import DEFAULT_GENERATOR, make_table  # noqa: E402

from npre.data.tables import read_table  # noqa: E402
from npre.sampling.gme import gme_sample  # noqa: E402

ON = ["structure_wikidata", "organism_wikidata"]


def literal_gme(table: pd.DataFrame, item: str, on: list[str], n: int) -> list[list]:
    items = sorted(table[item].dropna().unique())
    index = {key: i for i, key in enumerate(items)}
    rows = table[item].map(index).to_numpy()
    dense, utopia = [], []
    for column in on:
        codes, uniques = pd.factorize(table[column], use_na_sentinel=False)
        matrix = np.zeros((len(items), len(uniques)))
        np.add.at(matrix, (rows, codes), 1.0)
        dense.append(matrix)
        utopia.append(np.log(len(uniques)))
    sample = [np.zeros(m.shape[1]) for m in dense]
    remaining = list(range(len(items)))
    out = []
    for _ in range(min(n, len(items))):
        hs = []
        for matrix, counts in zip(dense, sample, strict=True):
            v = matrix[remaining] + counts
            p = v / v.sum(axis=1, keepdims=True)
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = np.where(p > 0, p * np.log(p), 0.0)
            hs.append(np.round(-terms.sum(axis=1), 5))
        hs = np.stack(hs)
        score = np.sqrt(((hs - np.array(utopia)[:, None]) ** 2).sum(axis=0))
        best = int(np.argmin(score))
        pick = remaining.pop(best)
        for matrix, counts in zip(dense, sample, strict=True):
            counts += matrix[pick]
        out.append([items[pick], *hs[:, best].tolist()])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-refs", type=int, default=2000)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--work", type=Path, default=Path("/tmp/npre-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    table = read_table(make_table(args.generator, args.n_refs, args.seed, args.work))
    started = time.perf_counter()
    fast = gme_sample(table, "reference_doi", ON, n=args.n).values.tolist()
    fast_s = time.perf_counter() - started
    started = time.perf_counter()
    slow = literal_gme(table, "reference_doi", ON, args.n)
    slow_s = time.perf_counter() - started
    same_items = sum(a[0] == b[0] for a, b in zip(fast, slow, strict=True))
    same_rows = sum(a == b for a, b in zip(fast, slow, strict=True))
    first_difference = next(
        (i for i, (a, b) in enumerate(zip(fast, slow, strict=True)) if a != b), None
    )
    print(f"table: {args.n_refs} references, {len(table)} rows; {args.n} picks")
    print(f"gme_sample {fast_s:.2f} s, literal spec {slow_s:.2f} s")
    print(
        f"same item at {same_items}/{len(slow)} steps; "
        f"identical rows (item + entropies) {same_rows}/{len(slow)}"
    )
    print(f"first difference at step: {first_difference}")
    sys.exit(0 if same_rows == len(slow) else 1)


if __name__ == "__main__":
    main()
