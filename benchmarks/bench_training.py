"""Training throughput and memory on CPU: the straightforward path against npre's, LoRA and QLoRA.

    python benchmarks/bench_training.py --steps 6     # after `dvc repro base-model seeds@gme`

Same base model (models/base), same documents, same batches (batch 4, up to 512 tokens):
- straightforward: full-vocabulary logits at every position (`model(labels=...)`), float32,
  LoRA (r 16, dropout 0.05) on every layer's family targets;
- npre: the LM head only at label positions, the precision `train.precision` resolves to
  on this machine (bf16: the frozen embedding and tied head stored in bf16), the LoRA of
  params.yaml (`train.lora_layers`, `lora_dropout`), freed memory returned after each
  backward pass, as `npre train` does.
Each configuration runs in its own process (peak RSS is its own); the first step is not
timed (allocator warm-up). The figures go to reports/benchmarks/training.json with the date,
the machine and the command (benchmarks/result_file.py), which docs/results.md shows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CONFIGS = [
    ("straightforward", "none"),
    ("npre", "none"),
    ("straightforward", "4bit"),
    ("npre", "4bit"),
]

CHILD = """
import json, resource, sys, time
from pathlib import Path
import torch
from npre.base_model.loading import load_base_model, load_tokenizer
from npre.hardware import use_bf16
from npre.training.memory import release_freed_memory
from npre.training.lora import collate, label_loss, make_examples, prepare_peft_model
from npre.config.params import load_section
from npre.data.records import read_documents
base, docs, steps, path, quantization, threads = sys.argv[1:7]
torch.set_num_threads(int(threads))
params = load_section("train").model_copy(update={"quantization": quantization, "max_length": 512})
if path == "straightforward":
    params = params.model_copy(
        update={"lora_layers": None, "lora_dropout": 0.05, "precision": "float32"}
    )
bf16 = path == "npre" and use_bf16(params.precision)
tokenizer = load_tokenizer(Path(base))
model = prepare_peft_model(load_base_model(Path(base), quantization), params)
model.train()
examples = make_examples(tokenizer, read_documents(Path(docs)), params)
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
tokens, started = 0, None
for step in range(int(steps) + 1):
    batch = [examples[(step * 4 + i) % len(examples)] for i in range(4)]
    ids, labels, mask = collate(batch, tokenizer.pad_token_id, "cpu")
    if step == 1:
        tokens, started = 0, time.perf_counter()
    if path == "straightforward":
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    else:
        loss = label_loss(model, ids, labels, mask, bf16)
    loss.backward()
    if path == "npre":  # as npre's training loop does after each backward pass on CPU
        release_freed_memory()
    optimizer.step()
    optimizer.zero_grad()
    tokens += int(mask.sum())
elapsed = time.perf_counter() - started
print(json.dumps({"tokens_per_second": tokens / elapsed, "bf16": bf16,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", type=Path, default=Path("models/base"))
    parser.add_argument("--docs", type=Path, default=Path("data/processed/gme/seeds.jsonl"))
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    for path in (args.base, args.docs):
        if not path.exists():
            sys.exit(f"{path} is missing: run `dvc repro base-model seeds@gme` first")
    print(f"batch 4 x up to 512 tokens, {args.steps} timed steps, {args.threads} threads")
    print(f"{'path':<16} {'adapter':<7} {'bf16':<5} {'tokens/s':>9} {'peak RSS MiB':>13}")
    rates = {}
    runs = []
    for path, quantization in CONFIGS:
        argv = [str(args.base), str(args.docs), str(args.steps), path, quantization]
        done = subprocess.run(
            [sys.executable, "-c", CHILD, *argv, str(args.threads)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        rate, peak = result["tokens_per_second"], result["peak_rss_mib"]
        rates[(path, quantization)] = rate
        adapter = "QLoRA" if quantization == "4bit" else "LoRA"
        runs.append(
            {
                "path": path,
                "adapter": adapter,
                "bf16": result["bf16"],
                "tokens_per_second": rate,
                "peak_rss_mib": peak,
            }
        )
        print(
            f"{path:<16} {adapter:<7} {result['bf16']!s:<5} {rate:>9.1f} {peak:>13.0f}", flush=True
        )
    ratios = {}
    for quantization, adapter in (("none", "LoRA"), ("4bit", "QLoRA")):
        ratio = rates[("npre", quantization)] / rates[("straightforward", quantization)]
        ratios[adapter] = ratio
        print(f"{adapter}: npre / straightforward = {ratio:.2f}x")

    from result_file import write_result  # benchmarks/result_file.py

    figures = {
        "steps": args.steps,
        "threads": args.threads,
        "batch": "4 x up to 512 tokens",
        "base": str(args.base),
        "runs": runs,
        "speedup": ratios,
    }
    write_result("training", figures)


if __name__ == "__main__":
    main()
