"""Training throughput and memory on CPU: LoRA vs 4-bit QLoRA, dynamic vs fixed padding.

    python benchmarks/bench_training.py --steps 40     # after `dvc repro select` (or make demo)

Each configuration trains in its own process (so peak RSS is its own) for a fixed number
of optimiser steps on the demo's synthetic documents, with the demo's train params.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CONFIGS = [
    ("LoRA", "none", "dynamic"),
    ("QLoRA 4-bit", "4bit", "dynamic"),
    ("LoRA", "none", "max_length"),
    ("QLoRA 4-bit", "4bit", "max_length"),
]

CHILD = """
import json, resource, sys, time
from pathlib import Path
import torch
from npre.modeling.loading import load_base_model, load_tokenizer
from npre.modeling.training import prepare_peft_model, train_lora
from npre.params import load_section
from npre.records import read_documents
base, docs, steps, quantization, padding, threads = sys.argv[1:7]
torch.set_num_threads(int(threads))
update = {"max_steps": int(steps), "quantization": quantization, "padding": padding}
params = load_section("train").model_copy(update={**update, "epochs": 1000})
tokenizer = load_tokenizer(Path(base))
model = prepare_peft_model(load_base_model(Path(base), quantization), params)
result = train_lora(model, tokenizer, read_documents(Path(docs)), params, seed=0)
print(json.dumps({"tokens_per_second": result.tokens_per_second, "steps": result.steps,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", type=Path, default=Path("models/base"))
    parser.add_argument("--docs", type=Path, default=Path("data/processed/gme/selected.jsonl"))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for path in (args.base, args.docs):
        if not path.exists():
            sys.exit(f"{path} is missing: run `dvc repro select` (or `make demo`) first")
    print(f"{'adapter':<12} {'padding':<11} {'tokens/s':>9} {'peak RSS MiB':>13}")
    for name, quantization, padding in CONFIGS:
        argv = [
            str(args.base),
            str(args.docs),
            str(args.steps),
            quantization,
            padding,
            str(args.threads),
        ]
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *argv], check=True, capture_output=True, text=True
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        rate, peak = result["tokens_per_second"], result["peak_rss_mib"]
        print(f"{name:<12} {padding:<11} {rate:>9.0f} {peak:>13.0f}", flush=True)


if __name__ == "__main__":
    main()
