"""F1 of extractors trained on different synthetic data, on the demo set and real text.

    python benchmarks/bench_training_data.py \\
        --set template=data/processed/gme/synthetic.jsonl --set llm=llm/synthetic.jsonl \\
        --equal-size --dev REAL_ABSTRACTS.json

Each `--set NAME=FILE` trains one extractor, as the `train` stage does (params `train`,
the seed abstracts of `--seeds` always included, `--valid` for the best epoch), on the
seeds plus FILE's documents; `NAME=` (no file) trains on the seeds alone. `--equal-size`
first draws the same number of documents from every FILE (seeded), so that data sources
compare at equal size. Each extractor is then scored with the paper's metric on the demo
evaluation set and, with `--dev`, on a real-text set (read for evaluation only). Runs the
`npre train` and `npre evaluate` commands; their MLflow runs go to a scratch database in
`--work`, not the project's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path


def parse_set(text: str) -> tuple[str, Path | None]:
    name, _, file = text.partition("=")
    if not name:
        raise argparse.ArgumentTypeError(f"--set {text!r}: expected NAME=FILE or NAME=")
    return name, Path(file) if file else None


def npre(*args: str, env: dict) -> float:
    """Run an npre command; its wall time in seconds. A failure stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(["npre", *args], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"npre {args[0]} failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return time.perf_counter() - start


def scores(metrics: Path) -> dict:
    found = json.loads(metrics.read_text())
    return {key: round(found[key], 4) for key in ("precision", "recall", "f1")}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", dest="sets", type=parse_set, action="append", required=True)
    parser.add_argument("--seeds", type=Path, default=Path("data/processed/gme/seeds.jsonl"))
    parser.add_argument("--valid", type=Path, default=Path("data/processed/gme/valid.jsonl"))
    parser.add_argument("--base", type=Path, default=Path("models/base"))
    parser.add_argument("--eval", type=Path, default=Path("data/demo/eval_set.json"))
    parser.add_argument("--dev", type=Path, default=None, help="a real-text curated set")
    parser.add_argument("--equal-size", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--params", type=Path, default=Path("params.yaml"))
    parser.add_argument("--work", type=Path, default=Path("benchmarks/out/training_data"))
    args = parser.parse_args()

    from npre.data.records import read_documents, write_documents

    for path in (args.seeds, args.valid, args.base, args.eval):
        if not path.exists():
            sys.exit(f"{path} is missing: run `make demo` first")
    data = {name: read_documents(file) if file else [] for name, file in args.sets}
    size = min((len(data[name]) for name, file in args.sets if file), default=0)
    args.work.mkdir(parents=True, exist_ok=True)
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{args.work.resolve()}/mlflow.db"}
    rows = []
    for name, docs in data.items():
        if args.equal_size and len(docs) > size:
            docs = random.Random(args.seed).sample(docs, size)
        out = args.work / name
        write_documents(out / "train.jsonl", docs)
        common = ["--base", str(args.base), "--params", str(args.params)]
        train_s = npre(
            "train", str(out / "train.jsonl"), str(args.seeds), "--valid", str(args.valid),
            "--out", str(out / "adapter"), "--metrics", str(out / "train.json"),
            "--variant", f"bench-{name}", *common, env=env,
        )  # fmt: skip
        row = {"set": name, "synthetic_documents": len(docs), "train_s": round(train_s)}
        for label, gold in (("demo", args.eval), ("dev", args.dev)):
            if gold is None:
                continue
            metrics = out / f"{label}.json"
            eval_s = npre(
                "evaluate", str(gold), "--adapter", str(out / "adapter"),
                "--predictions", str(out / f"{label}.jsonl"), "--metrics", str(metrics), *common,
                env=env,
            )  # fmt: skip
            row[label] = scores(metrics) | {"s": round(eval_s)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(f"\n| data | synthetic docs | demo P / R / F1 | {'dev P / R / F1 |' if args.dev else ''}")
    print(f"| --- | --- | --- | {'--- |' if args.dev else ''}")
    for row in rows:
        cells = [row["set"], str(row["synthetic_documents"])]
        for label in ("demo", "dev"):
            if label in row:
                found = row[label]
                cells.append(" / ".join(f"{found[k]:.3f}" for k in ("precision", "recall", "f1")))
        print("| " + " | ".join(cells) + " |")
    (args.work / "summary.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
