"""The pipeline's plots as DVC fills them with data: `dvc plots show --json`, parsed.

DVC resolves every plot definition of dvc.yaml (top-level `plots:` and stage outputs
marked as plots) against the workspace, or against revisions for `dvc plots diff`, and
prints each as a Vega-Lite specification with its data inline. Reading that output, rather
than dvc.yaml, keeps every plot that dvc.yaml defines now or later, in DVC's own templates.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


class PlotsError(RuntimeError):
    """DVC could not list the plots (not a DVC project, a broken dvc.yaml...)."""


@dataclass(frozen=True)
class Plot:
    """One plot: a Vega-Lite spec, or an image file that dvc.yaml names as a plot."""

    name: str  # the plot's id in dvc.yaml: its title or its file
    revisions: list[str]
    spec: dict | None = None  # Vega-Lite, data inline
    image: bytes | None = None  # an image plot's file content


@dataclass(frozen=True)
class Plots:
    plots: list[Plot]
    errors: list[str] = field(default_factory=list)  # plots (or revisions) DVC could not load


def dvc_command(targets: list[str], revisions: list[str]) -> list[str]:
    """`dvc plots show --json` (or `dvc plots diff --json REV...` to compare revisions)."""
    command = [sys.executable, "-m", "dvc", "plots"]
    if revisions:
        return [
            *command,
            "diff",
            *revisions,
            "--json",
            *(["--targets", *targets] if targets else []),
        ]
    return [*command, "show", "--json", *targets]


def _error_line(error: dict) -> str:
    """`Teacher loss ... (workspace, reports/.../loss_histogram.csv): FileNotFoundError: ...`"""
    where = ", ".join(str(error[key]) for key in ("rev", "source") if error.get(key))
    name = error.get("name") or "plots"
    return f"{name} ({where}): {error.get('type', 'error')}: {error.get('msg', '')}"


def _image(url: str, image_dir: Path) -> bytes:
    if url.startswith("data:"):  # without an output folder DVC inlines the image
        return base64.b64decode(url.split(",", 1)[1])
    path = Path(url)
    return (path if path.is_absolute() else image_dir / path).read_bytes()


def parse(output: dict, image_dir: Path) -> Plots:
    """DVC's JSON: `{"data": {plot id: [entries]}, "errors": [...]}`, each entry
    `{"type": "vega", "revisions", "content"}` or `{"type": "image", "revisions", "url"}`
    (an image's `url` is the file DVC copied it to, relative to `image_dir` unless absolute)."""
    plots = []
    data = output.get("data") or {}
    for name, entries in data.items():
        if "::" in name and name.split("::", 1)[1] in data:
            continue  # with targets, DVC 3 lists a plot also as `dvc.yaml::ID`: once is enough
        for entry in entries:
            revisions = list(entry.get("revisions") or [])
            if entry.get("type") == "vega":
                plots.append(Plot(name, revisions, spec=entry["content"]))
            elif entry.get("type") == "image":
                plots.append(Plot(name, revisions, image=_image(entry["url"], image_dir)))
    return Plots(plots, [_error_line(e) for e in output.get("errors") or []])


def read_plots(
    targets: list[str] | None = None, revisions: list[str] | None = None, cwd: Path | None = None
) -> Plots:
    """Every plot of the DVC project in `cwd` (or only `targets`), filled with the
    workspace's data, or with each of `revisions`' when given."""
    with tempfile.TemporaryDirectory(prefix="npre-plots-") as scratch:
        command = [*dvc_command(targets or [], revisions or []), "--out", scratch]
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        if done.returncode != 0:
            raise PlotsError(f"{' '.join(command[2:])} failed:\n{done.stderr.strip()}")
        try:
            output = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise PlotsError(f"dvc printed no JSON:\n{done.stdout[:500]}") from None
        return parse(output, Path(cwd) if cwd else Path.cwd())
