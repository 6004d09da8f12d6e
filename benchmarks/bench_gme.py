"""Time `npre gme` on LOTUS-like tables and print the figures (wall time, peak RSS).

    python benchmarks/bench_gme.py --sizes 2000,20000,130000 --n 500

Tables come from benchmarks/make_lotus_like.py (deterministic by seed) and are cached
in --work. Each run is the whole command, reading the table included, per kingdom.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GENERATOR = ROOT / "benchmarks" / "make_lotus_like.py"


def make_table(generator: Path, n_refs: int, seed: int, work: Path) -> Path:
    path = work / f"lotus_like_{n_refs}_s{seed}.tsv"
    if not path.exists():
        subprocess.run(
            [
                sys.executable,
                str(generator),
                "--n-refs",
                str(n_refs),
                "--seed",
                str(seed),
                "--out",
                str(path),
            ],
            check=True,
            capture_output=True,
        )
    return path


def time_gme(table: Path, n: str, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one `npre gme` process."""
    npre = Path(sys.executable).parent / "npre"
    started = time.perf_counter()
    subprocess.run(
        [
            str(npre),
            "gme",
            str(table),
            "--item-column",
            "reference_doi",
            "--on",
            "structure_wikidata,organism_wikidata",
            "--n",
            n,
            "--group-by",
            "organism_taxonomy_02kingdom",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="2000,10000,40000,130000", help="references per table")
    parser.add_argument("--n", default="500", help="picks per kingdom, or 'all'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--work", type=Path, default=Path("/tmp/npre-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"{'references':>10} {'rows':>9} {'n':>5} {'wall_s':>8} {'peak_rss_MiB':>13}")
    for size in (int(s) for s in args.sizes.split(",")):
        table = make_table(args.generator, size, args.seed, args.work)
        rows = sum(1 for _ in table.open()) - 1
        wall, peak = time_gme(table, args.n, args.work / f"gme_{size}_{args.n}.tsv")
        print(f"{size:>10} {rows:>9} {args.n:>5} {wall:>8.2f} {peak:>13.0f}", flush=True)


if __name__ == "__main__":
    main()
