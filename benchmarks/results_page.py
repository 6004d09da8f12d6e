"""docs/results.md, written from the pipeline's reports and the benchmarks' result files.

    python benchmarks/results_page.py          # `make results`
    python benchmarks/results_page.py --reports reports --out docs/results.md

Reads reports/grid.json, reports/baseline/metrics.json, reports/evaluate/*/metrics.json
(with their `confidence` halves) and pr_curve.json, reports/train/*.json,
reports/register.json, and every benchmark result file reports/benchmarks/NAME.json
(benchmarks/result_file.py: name, date, machine, command, figures). Each table says when,
on which machine and by which command its figures were measured; a file that is missing
is shown as "not measured", with the command that measures it. No figure is typed in.

The pipeline's reports do not record the machine, so they are stamped: the first time this
script sees a set of report files (a sha256 over them) it writes
reports/benchmarks/pipeline.json with this machine, the reports' modification time and the
git commit. Run it on the machine that ran `dvc repro`, after it; the stamp is committed
with the reports, and a checkout whose reports match it keeps it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from result_file import ROOT, machine  # noqa: E402

PIPELINE_STAMP = "pipeline"  # reports/benchmarks/pipeline.json: not a benchmark
PIPELINE_COMMAND = "dvc repro"
NOT_MEASURED = "not measured"
# the benchmarks the page always lists: how to measure them when their file is missing
EXPECTED = {
    "real_text": (
        "F1 on real abstracts",
        "python benchmarks/bench_real_text.py --gold FILE",
    ),
    "training": (
        "Training speed and memory",
        "python benchmarks/bench_training.py --steps 6",
    ),
}
THRESHOLD_STEP = 0.1  # the confidence table shows every 0.1 of the curve's thresholds


# --- reading ------------------------------------------------------------------------------


def read_json(path: Path):
    """The file's JSON; None when it is missing; `{"_unreadable": why}` when it is broken."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"_unreadable": f"{type(exc).__name__}: {exc}"}


def unreadable(data) -> str | None:
    return data.get("_unreadable") if isinstance(data, dict) else None


def pipeline_files(reports: Path) -> list[Path]:
    """The report files the pipeline's tables come from, in a stable order."""
    names = ["grid.json", "register.json", "baseline/metrics.json", "baseline/pr_curve.json"]
    found = [reports / name for name in names if (reports / name).is_file()]
    for pattern in ("evaluate/*/metrics.json", "evaluate/*/pr_curve.json", "train/*.json"):
        found += sorted(reports.glob(pattern))
    return found


def reports_digest(reports: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.relative_to(reports).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def git_state(cwd: Path) -> tuple[str | None, list[str]]:
    """HEAD's short hash, and which of the files that define a `dvc repro` differ from it."""
    commit = _git(cwd, "rev-parse", "--short=12", "HEAD") or None
    changed = _git(cwd, "status", "--porcelain", "--", "params.yaml", "dvc.yaml", "dvc.lock")
    return commit, sorted(line[3:] for line in (changed or "").splitlines() if line[3:])


def pipeline_stamp(reports: Path) -> dict | None:
    """The date, machine and command of the pipeline's reports (stamped here when new)."""
    files = pipeline_files(reports)
    if not files:
        return None
    digest = reports_digest(reports, files)
    path = reports / "benchmarks" / f"{PIPELINE_STAMP}.json"
    stamp = read_json(path)
    if isinstance(stamp, dict) and stamp.get("figures", {}).get("reports_sha256") == digest:
        return stamp
    newest = max(file.stat().st_mtime for file in files)
    commit, changed = git_state(reports)
    stamp = {
        "name": PIPELINE_STAMP,
        "date": datetime.fromtimestamp(newest, UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": PIPELINE_COMMAND,
        "figures": {"reports_sha256": digest, "git_commit": commit, "uncommitted": changed},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    print(f"stamped the pipeline's reports as measured on this machine: {path}", file=sys.stderr)
    return stamp


# --- formatting ---------------------------------------------------------------------------


def number(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return [*lines, ""]


def describe_machine(record: dict) -> str:
    found = record.get("machine") or {}
    flags = found.get("flags")
    listed = " ".join(flags) if flags else "none of avx2 avx512f avx512_bf16 amx_bf16"
    cores = found.get("cores")
    return f"{found.get('cpu') or 'unknown CPU'}, {cores or '?'} cores (flags: {listed})"


def provenance(record: dict | None, command: str | None = None) -> list[str]:
    """The three lines under every table's heading: when, where, how."""
    if not record:
        return [f"*{NOT_MEASURED}*" + (f": run `{command}`" if command else ""), ""]
    lines = [
        f"- **Date**: {record.get('date') or 'unknown'}",
        f"- **Machine**: {describe_machine(record)}",
        f"- **Command**: `{record.get('command') or command or 'unknown'}`",
    ]
    figures = record.get("figures") or {}
    if record.get("name") == PIPELINE_STAMP and figures.get("git_commit"):
        lines[-1] += f", git commit `{figures['git_commit']}` when stamped"
        if figures.get("uncommitted"):
            lines[-1] += " (uncommitted changes: " + ", ".join(figures["uncommitted"]) + ")"
    return [*lines, ""]


def link(target: Path, out_dir: Path) -> str:
    return Path(os.path.relpath(target, out_dir)).as_posix()


# --- the pipeline's sections --------------------------------------------------------------


def variant_names(reports: Path, grid: dict | None) -> list[str]:
    names = list(grid) if isinstance(grid, dict) and not unreadable(grid) else []
    for path in sorted(reports.glob("evaluate/*/metrics.json")):
        if path.parent.name not in names:
            names.append(path.parent.name)
    return names


def grid_section(reports: Path, stamp: dict | None, out_dir: Path) -> list[str]:
    lines = ["## The experiment grid on the evaluation set", ""]
    grid = read_json(reports / "grid.json")
    baseline = read_json(reports / "baseline" / "metrics.json")
    register = read_json(reports / "register.json")
    names = variant_names(reports, grid)
    if not names and baseline is None:
        return [*lines, *provenance(None, PIPELINE_COMMAND)]
    lines += provenance(stamp, PIPELINE_COMMAND)
    champion = register.get("variant") if isinstance(register, dict) else None
    rows, documents = [], None
    header = [
        "variant",
        "P",
        "R",
        "F1",
        "organism recall",
        "chemical recall",
        "predicted / right / gold",
        "upper-half P",
        "lower-half P",
    ]
    entries = [(name, reports / "evaluate" / name / "metrics.json") for name in names]
    entries.append(("untrained base model (baseline)", reports / "baseline" / "metrics.json"))
    for name, path in entries:
        metrics = read_json(path)
        if metrics is None and isinstance(grid, dict) and name in grid:
            metrics = grid[name]  # P/R/F1 only
        if metrics is None or unreadable(metrics):
            why = unreadable(metrics) or f"{link(path, out_dir)} missing"
            rows.append([name, NOT_MEASURED + f" ({why})", *[""] * 7])
            continue
        documents = documents or (metrics.get("documents"), metrics.get("gold"))
        halves = metrics.get("confidence") or {}
        label = f"**{name}** (registered)" if name == champion else name
        rows.append(
            [
                label,
                number(metrics.get("precision")),
                number(metrics.get("recall")),
                number(metrics.get("f1")),
                number(metrics.get("organism_recall")),
                number(metrics.get("chemical_recall")),
                " / ".join(
                    number(metrics.get(key)) for key in ("predicted", "true_positives", "gold")
                ),
                number(halves.get("upper_half_precision")),
                number(halves.get("lower_half_precision")),
            ]
        )
    if documents and documents[0]:
        lines += [
            f"The evaluation set: {documents[0]} documents, {number(documents[1])} gold relations "
            "(`data/demo/eval_set.json` in the demo). The paper's metric: micro P/R/F1 over "
            "(organism, chemical) pairs. Upper/lower-half P: precision of the surer and of the "
            "less sure half of the answers, ranked by confidence.",
            "",
        ]
    return [*lines, *table(header, rows)]


def register_section(reports: Path, stamp: dict | None) -> list[str]:
    lines = ["## The registered model", ""]
    register = read_json(reports / "register.json")
    if register is None or unreadable(register):
        return [*lines, *provenance(None, PIPELINE_COMMAND)]
    lines += provenance(stamp, PIPELINE_COMMAND)
    rows = [
        ["registered model", f"{register.get('model_name')} version {register.get('version')}"],
        ["variant", str(register.get("variant"))],
        ["evaluation F1 (as tagged)", number(register.get("f1"), 4)],
        [
            f"alias `{register.get('alias')}`",
            f"version {register.get('champion_version')}"
            + (" (moved to it)" if register.get("moved") else " (kept)"),
        ],
        ["why", str(register.get("reason"))],
    ]
    return [*lines, *table(["", ""], rows)]


def on_step(threshold) -> bool:
    """A threshold the table shows: a multiple of THRESHOLD_STEP."""
    if not isinstance(threshold, int | float) or isinstance(threshold, bool):
        return False
    steps = threshold / THRESHOLD_STEP
    return abs(steps - round(steps)) < 1e-6


def confidence_section(reports: Path, stamp: dict | None, out_dir: Path) -> list[str]:
    lines = ["## Precision over a confidence threshold", ""]
    curves = [
        (path.parent.name, read_json(path))
        for path in sorted(reports.glob("evaluate/*/pr_curve.json"))
    ]
    if not curves:
        return [*lines, *provenance(None, PIPELINE_COMMAND)]
    lines += provenance(stamp, PIPELINE_COMMAND)
    lines += [
        "The relations at or above each confidence threshold (`evaluate.decoding.min_confidence`, "
        "or `min_confidence` per API request), scored with the paper's metric on the evaluation "
        "set. Relations: answers kept, before the metric's deduplication.",
        "",
    ]
    for name, curve in curves:
        lines += [f"### {name}", ""]
        if not isinstance(curve, list):
            lines += [f"{NOT_MEASURED} ({unreadable(curve) or 'not a list of points'})", ""]
            continue
        picture = reports / "plots" / f"evaluate-{name}-pr-curve.png"
        if picture.is_file():
            lines += [f"![precision vs recall, {name}]({link(picture, out_dir)})", ""]
        rows = [
            [
                number(point.get("threshold"), 2),
                number(point.get("precision")),
                number(point.get("recall")),
                number(point.get("f1")),
                number(point.get("relations")),
            ]
            for point in curve
            if isinstance(point, dict) and on_step(point.get("threshold"))
        ]
        lines += table(["threshold", "P", "R", "F1", "relations"], rows)
    return lines


def training_section(reports: Path, stamp: dict | None) -> list[str]:
    lines = ["## Training", ""]
    files = sorted(reports.glob("train/*.json"))
    if not files:
        return [*lines, *provenance(None, PIPELINE_COMMAND)]
    lines += provenance(stamp, PIPELINE_COMMAND)
    header = [
        "variant",
        "adapter",
        "documents",
        "steps",
        "epochs",
        "best epoch",
        "best valid F1",
        "last train loss",
        "tokens/s",
        "processes",
    ]
    rows = []
    for path in files:
        record = read_json(path)
        if not isinstance(record, dict) or unreadable(record):
            rows.append([path.stem, NOT_MEASURED + f" ({unreadable(record)})", *[""] * 8])
            continue
        history = [h for h in record.get("history") or [] if isinstance(h, dict)]
        adapter = "QLoRA (4-bit)" if record.get("quantization") == "4bit" else "LoRA"
        rows.append(
            [
                record.get("variant") or path.stem,
                adapter,
                number(record.get("train_documents")),
                number(record.get("steps")),
                number(len(history)) if history else "–",
                number(record.get("best_epoch")),
                number(record.get("best_valid_f1")),
                number(history[-1].get("train_loss")) if history else "–",
                number(record.get("tokens_per_second"), 1),
                number(record.get("processes")),
            ]
        )
    lines += [
        "Per variant: `reports/train/VARIANT.json` (its curve: `make plots`). Tokens/s: the "
        "training tokens over the training's whole wall time, validation by generation "
        "included (`benchmarks/bench_training.py` times training steps alone).",
        "",
    ]
    return [*lines, *table(header, rows)]


# --- the benchmarks' sections -------------------------------------------------------------


def real_text_rows(figures: dict) -> list[list[str]]:
    halves = figures.get("confidence") or {}
    model = str(figures.get("model"))
    if figures.get("model_version"):
        model += f" (version {figures['model_version']})"
    return [
        [
            "gold file",
            f"{figures.get('gold_file')} ({number(figures.get('documents'))} documents, "
            f"{number(figures.get('gold_relations'))} relations)",
        ],
        ["model", model],
        ["precision", number(figures.get("precision"))],
        ["recall", number(figures.get("recall"))],
        ["F1", number(figures.get("f1"))],
        ["organism recall", number(figures.get("organism_recall"))],
        ["chemical recall", number(figures.get("chemical_recall"))],
        [
            "relations predicted (right)",
            f"{number(figures.get('predicted'))} ({number(figures.get('true_positives'))})",
        ],
        [
            "upper-half / lower-half precision",
            " / ".join(
                number(halves.get(key)) for key in ("upper_half_precision", "lower_half_precision")
            ),
        ],
        [
            "seconds per abstract",
            number(figures.get("s_per_abstract"), 2)
            + f" ({number(figures.get('threads'))} threads; model load "
            + number(figures.get("model_load_s"), 1)
            + " s)",
        ],
    ]


def training_rows(figures: dict) -> tuple[list[str], list[list[str]]]:
    header = ["path", "adapter", "bf16", "tokens/s", "peak RSS (MiB)"]
    rows = [
        [
            str(run.get("path")),
            str(run.get("adapter")),
            number(run.get("bf16")),
            number(run.get("tokens_per_second"), 1),
            number(run.get("peak_rss_mib"), 0),
        ]
        for run in figures.get("runs") or []
        if isinstance(run, dict)
    ]
    for adapter, ratio in (figures.get("speedup") or {}).items():
        rows.append([f"npre / straightforward, {adapter}", "", "", f"{number(ratio, 2)}×", ""])
    return header, rows


def flatten(figures, prefix: str = "") -> list[list[str]]:
    if isinstance(figures, dict):
        rows = []
        for key, value in figures.items():
            rows += flatten(value, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(figures, list) and not all(isinstance(v, str | int | float) for v in figures):
        rows = []
        for index, value in enumerate(figures):
            rows += flatten(value, f"{prefix}[{index}]")
        return rows
    if isinstance(figures, list):
        value = ", ".join(map(str, figures))
    elif isinstance(figures, float):
        value = f"{figures:.4g}"
    else:
        value = number(figures)
    return [[prefix or "value", value]]


def benchmark_section(name: str, record, title: str | None = None) -> list[str]:
    heading = title or name.replace("_", " ").capitalize()
    lines = [f"### {heading} (`reports/benchmarks/{name}.json`)", ""]
    if not isinstance(record, dict) or unreadable(record) or "figures" not in record:
        why = unreadable(record) or "no `figures`"
        return [*lines, f"{NOT_MEASURED}: the file cannot be read ({why})", ""]
    lines += provenance(record)
    figures = record["figures"] if isinstance(record["figures"], dict) else {}
    if name.startswith("real_text"):
        return [*lines, *table(["", ""], real_text_rows(figures))]
    if name.startswith("training") and "runs" in figures:
        header, rows = training_rows(figures)
        return [*lines, *table(header, rows)]
    return [*lines, *table(["figure", "value"], flatten(figures))]


def benchmarks_section(reports: Path) -> list[str]:
    lines = [
        "## Benchmarks",
        "",
        "Each benchmark that is part of the results writes `reports/benchmarks/NAME.json` "
        "(`benchmarks/result_file.py`: name, date, machine, command, figures).",
        "",
    ]
    found = {
        path.stem: read_json(path)
        for path in sorted((reports / "benchmarks").glob("*.json"))
        if path.stem != PIPELINE_STAMP
    }
    for name, (title, command) in EXPECTED.items():
        if name not in found:
            lines += [f"### {title} (`reports/benchmarks/{name}.json`)", ""]
            lines += provenance(None, command)
    for name, record in found.items():
        title = EXPECTED.get(name, (None, None))[0]
        lines += benchmark_section(name, record, title)
    return lines


# --- the page -----------------------------------------------------------------------------


def render(reports: Path, out: Path) -> str:
    reports, out_dir = Path(reports), Path(out).resolve().parent
    stamp = pipeline_stamp(reports)
    lines = [
        "# Results",
        "",
        "Written by `make results` (`benchmarks/results_page.py`) from the files under "
        "`reports/`: edit the script, not this page. Every table gives the date, the machine "
        "(CPU model, relevant flags, cores) and the command that produced its figures; a "
        f"figure whose file is missing says *{NOT_MEASURED}*. What was tried and measured "
        "along the way is in [decisions.md](decisions.md).",
        "",
    ]
    lines += grid_section(reports, stamp, out_dir)
    lines += register_section(reports, stamp)
    lines += confidence_section(reports, stamp, out_dir)
    lines += training_section(reports, stamp)
    lines += benchmarks_section(reports)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=Path, default=ROOT / "reports")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results.md")
    args = parser.parse_args(argv)
    page = render(args.reports, args.out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(page, encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return args.out


if __name__ == "__main__":
    main()
