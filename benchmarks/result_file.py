"""A benchmark's result file: `reports/benchmarks/NAME.json`, what docs/results.md shows.

    from result_file import write_result   # benchmarks/ is the script's own folder
    write_result("real_text", {"f1": 0.41, ...})

The file is {"name", "date" (ISO 8601, UTC), "machine": {"cpu": lscpu's model name,
"flags": those of avx2 avx512f avx512_bf16 amx_bf16 the CPU has, "cores": os.cpu_count()},
"command": the exact command line, "figures": {...}}. `benchmarks/results_page.py` turns
every such file into a table of docs/results.md with its date, machine and command.
No npre import: the helper costs nothing to load.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "reports" / "benchmarks"
# the CPU features that decide npre's speed: AVX2 (float32 kernels), AVX-512, and the
# bfloat16 units that make `precision: auto` pick bfloat16
RELEVANT_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def cpu_model() -> str:
    """lscpu's "Model name", else /proc/cpuinfo's "model name", else the platform's word."""
    try:
        listing = subprocess.run(
            ["lscpu"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listing = ""
    for text, key in ((listing, "model name:"), (_cpuinfo(), "model name")):
        for line in text.splitlines():
            if line.strip().lower().startswith(key):
                name = line.split(":", 1)[1].strip()
                if name:
                    return name
    import platform

    return platform.processor() or platform.machine() or "unknown"


def cpu_flags() -> list[str]:
    """The relevant flags (RELEVANT_FLAGS) this CPU has, in that order."""
    flags: set[str] = set()
    for line in _cpuinfo().splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
            break
    return [flag for flag in RELEVANT_FLAGS if flag in flags]


def machine() -> dict:
    return {"cpu": cpu_model(), "flags": cpu_flags(), "cores": os.cpu_count()}


def command_line(argv: list[str] | None = None) -> str:
    """The command as typed: `python benchmarks/bench_x.py --flag value`; a file outside
    the project (e.g. an evaluation set kept elsewhere) is named by its file name only."""
    words = ["python", *(sys.argv if argv is None else argv)]
    return shlex.join(_inside(word) for word in words)


def _inside(word: str) -> str:
    if "/" not in word or not Path(word).exists():
        return word
    try:
        Path(word).resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return Path(word).name
    return word


def write_result(
    name: str, figures: dict, command: str | None = None, directory: Path | None = None
) -> Path:
    """Write `reports/benchmarks/NAME.json` (or DIRECTORY/NAME.json); returns its path.
    `command` defaults to this process's command line."""
    record = {
        "name": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": command or command_line(),
        "figures": figures,
    }
    folder = Path(directory) if directory is not None else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"result: {path}", file=sys.stderr)
    return path
