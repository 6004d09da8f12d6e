"""Time `npre lotus` (read + the paper's filters) on a gzipped LOTUS-like table.

    python benchmarks/bench_lotus.py --n-refs 175000    # about a million rows, like LOTUS v10

Prints the wall time, the peak RSS of the `npre lotus` process and the filter report.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_gme import DEFAULT_GENERATOR, make_table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-refs", type=int, default=175000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", type=Path, default=DEFAULT_GENERATOR)
    parser.add_argument("--work", type=Path, default=Path("/tmp/npre-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    table = make_table(args.generator, args.n_refs, args.seed, args.work)
    gz = table.with_suffix(".tsv.gz")
    if not gz.exists():
        with table.open("rb") as source, gzip.open(gz, "wb") as target:
            shutil.copyfileobj(source, target)
    rows = sum(1 for _ in table.open()) - 1
    npre = Path(sys.executable).parent / "npre"
    out, metrics = args.work / "relations.parquet", args.work / "lotus_metrics.json"
    started = time.perf_counter()
    subprocess.run(
        [str(npre), "lotus", str(gz), "--out", str(out), "--metrics", str(metrics)],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"input: {gz.name}, {rows} rows, {gz.stat().st_size / 2**20:.1f} MiB gzipped")
    print(f"npre lotus: {wall:.2f} s wall, peak RSS {peak:.0f} MiB")
    print(json.dumps(json.loads(metrics.read_text()), indent=1))


if __name__ == "__main__":
    main()
