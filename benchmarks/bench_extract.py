"""Bulk extraction speed: `npre extract --engine local` against `--engine ray` with 1 and 2
workers, on the same input, and what 100k and 1M abstracts would take.

    python benchmarks/bench_extract.py        # after `dvc repro` registered a champion

The input is the demo evaluation set (data/demo/eval_set.json) repeated, under new ids,
to at least --min-docs documents (159 for 150). Each engine runs `npre extract` as its own
process into its own folder, with the same blocks and model batches (--block-size,
--batch-size): `local` with `run.num_threads` torch threads, `ray` with the machine's cores
shared out between its workers. docs/s is the job's own figure (summary.json): documents
over the job's time, model loading and, for Ray, the runtime's start-up included. Peak RSS
is sampled every 0.2 s: the `npre extract` process for `local`, each actor for `ray`. The
relations of every Ray run are compared with the local ones. `--runs` sets the order (on a
machine shared with other work, an order that interleaves the engines shows the drift).

The last table is arithmetic, not a measurement: abstracts / docs/s (+ Ray's start-up),
at the measured rates for 1 and 2 workers, and for more workers at the 2-worker rate
per worker (one core of this machine each, linear scaling assumed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL_SET = ROOT / "data" / "demo" / "eval_set.json"


def cpu_model() -> str:
    try:
        listing = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    for line in listing.splitlines():
        if line.strip().lower().startswith("model name:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def write_input(path: Path, min_docs: int) -> int:
    documents = json.loads(EVAL_SET.read_text())
    copies = math.ceil(min_docs / len(documents))
    with path.open("w", encoding="utf-8") as handle:
        for copy in range(copies):
            for pmid, document in documents.items():
                record = {
                    "id": f"{pmid}-{copy}",
                    "title": document["ArticleTitle"],
                    "abstract": document["AbstractText"],
                }
                handle.write(json.dumps(record) + "\n")
    return copies * len(documents)


class PeakMemory(threading.Thread):
    """Peak RSS of the processes `pick` chooses among `root` and its descendants."""

    def __init__(self, root: int, pick):
        super().__init__(daemon=True)
        self.root, self.pick, self.peaks, self.done = root, pick, {}, threading.Event()

    def run(self):
        import psutil

        while not self.done.wait(0.2):
            try:
                root = psutil.Process(self.root)
                processes = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            for process in processes:
                try:
                    if self.pick(process):
                        rss = process.memory_info().rss
                        self.peaks[process.pid] = max(rss, self.peaks.get(process.pid, 0))
                except psutil.Error:
                    continue


def run_engine(engine, workers, source, folder, args) -> dict:
    command = [sys.executable, "-m", "npre.cli", "extract", str(source), "--out", str(folder)]
    command += ["--engine", engine, "--workers", str(workers), "--model", args.model]
    command += ["--block-size", str(args.block_size), "--batch-size", str(args.batch_size)]
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"} | {"HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    job = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    if engine == "local":
        pick = lambda p: p.pid == job.pid  # noqa: E731
    else:
        pick = lambda p: "BlockExtractor" in " ".join(p.cmdline())  # noqa: E731
    memory = PeakMemory(job.pid, pick)
    memory.start()
    if job.wait() != 0:
        raise SystemExit(f"{' '.join(command)} failed ({job.returncode})")
    memory.done.set()
    memory.join()
    summary = json.loads((folder / "summary.json").read_text())
    peaks = list(memory.peaks.values()) or [0]
    return summary | {
        "command_s": round(time.perf_counter() - started, 1),
        "peak_rss_mib_per_worker": round(max(peaks) / 2**20),
    }


def relations(folder: Path) -> list[tuple]:
    import pyarrow.parquet as pq

    table = pq.read_table(folder / "relations", columns=["id", "organism", "chemical"])
    return sorted(zip(*table.to_pydict().values(), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models:/npre-extractor@champion")
    parser.add_argument("--min-docs", type=int, default=150)
    parser.add_argument("--block-size", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--runs", default="local:1,ray:1,ray:2", help="ENGINE:WORKERS in the order to run"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    args.model = pinned(args.model)
    cpu = cpu_model()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-extract-") as tmp:
        source = Path(tmp) / "abstracts.jsonl"
        docs = write_input(source, args.min_docs)
        print(f"{docs} documents, CPU: {cpu}, {os.cpu_count()} cores", flush=True)
        order = [(e, int(w)) for e, w in (r.split(":") for r in args.runs.split(","))]
        for engine, workers in order:
            folder = Path(tmp) / f"{engine}-{workers}"
            run = run_engine(engine, workers, source, folder, args)
            run["relation_rows"] = relations(folder)
            runs.append(run)
            print(f"{engine} x{workers}: {run['docs_per_s']} docs/s", flush=True)
    runs.sort(key=lambda run: (run["engine"] != "local", run["workers"]))
    local = runs[0]
    header = "| engine | workers | threads/worker | docs | job s | docs/s | x local |"
    header += " Ray start-up s | peak RSS/worker MiB | same relations as local |"
    lines = [f"CPU: {cpu} ({os.cpu_count()} cores); block {args.block_size}, batch "
             f"{args.batch_size}; model {args.model}", "", header,
             "| --- " * 10 + "|"]  # fmt: skip
    for run in runs:
        same = "yes" if run["relation_rows"] == local["relation_rows"] else "NO"
        startup = run.get("ray_startup_s", "")
        lines.append(
            f"| {run['engine']} | {run['workers']} | {run['threads_per_worker']} | "
            f"{run['extracted_now']} | {run['seconds']} | {run['docs_per_s']} | "
            f"{run['docs_per_s'] / local['docs_per_s']:.2f} | {startup} | "
            f"{run['peak_rss_mib_per_worker']} | {same} ({len(run['relation_rows'])}) |"
        )
    lines += ["", projection(runs, os.cpu_count() or 1)]
    print("\n".join(lines))
    if args.json:
        for run in runs:
            run.pop("relation_rows")
        figures = {"cpu": cpu, "cores": os.cpu_count(), "documents": docs, "runs": runs}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


def pinned(model: str) -> str:
    """A registry alias as the version it names now: every run gets the same model."""
    from npre.mlops.champion import resolve_champion

    version = resolve_champion(model)
    if version is None or "@" not in model:
        return model
    return f"models:/{version.name}/{version.version}"


def projection(runs: list[dict], cores: int) -> str:
    """Hours for 100k and 1M abstracts: arithmetic from the measured rates."""
    ray = {run["workers"]: run for run in runs if run["engine"] == "ray"}
    startup = max(run.get("ray_startup_s", 0) for run in ray.values())
    per_worker = ray[2]["docs_per_s"] / 2
    rows = [("local", 1, runs[0]["docs_per_s"], "measured", 0.0)]
    rows += [("ray", w, ray[w]["docs_per_s"], "measured", startup) for w in sorted(ray)]
    rows += [("ray", w, per_worker * w, "2-worker rate x workers", startup) for w in (8, 64, 512)]
    lines = [
        "Arithmetic, not measured: hours = abstracts / docs/s (+ Ray's start-up); rates from "
        f"the runs above on {cores} cores, more workers at the 2-worker rate per worker "
        "(a core of this kind each)",
        "",
        "| engine | workers | docs/s | rate | 100k abstracts h | 1M abstracts h |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for engine, workers, rate, how, extra in rows:
        hours = [(n / rate + extra) / 3600 for n in (100_000, 1_000_000)]
        lines.append(
            f"| {engine} | {workers} | {rate:.3f} | {how} | {hours[0]:.1f} | {hours[1]:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
