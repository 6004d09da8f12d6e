"""dvc.yaml's code dependencies cover every module each stage's command imports.

Otherwise `dvc repro` silently skips a stage whose code changed. For each stage, the
`npre` command it runs is its module in npre.stages; that module and all it imports, in
turn (at any depth, module or function level), must each be under a `deps` path of the
stage.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml
from helpers import ROOT

SRC = ROOT / "src"


def _command_module(command: str) -> str:
    """The module of an `npre` command: a stage (npre.stages) or a tool (npre.tools)."""
    name = command.replace("-", "_")
    for package in ("stages", "tools"):
        if (SRC / "npre" / package / f"{name}.py").is_file():
            return f"npre.{package}.{name}"
    raise AssertionError(f"no module for `npre {command}`")


def _imported(node: ast.AST, package: str) -> set[str]:
    """npre modules imported anywhere inside `node`."""
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.ImportFrom) and child.module:
            module = child.module
            if child.level:  # relative import
                base = package.split(".")[: len(package.split(".")) - child.level + 1]
                module = ".".join([*base, child.module])
            if module.startswith("npre"):
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in child.names)
        elif isinstance(child, ast.Import):
            found.update(a.name for a in child.names if a.name.startswith("npre"))
    return found


def _module_file(module: str) -> Path | None:
    path = SRC / module.replace(".", "/")
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def _closure(modules: set[str]) -> set[Path]:
    """The files of `modules` and of all they import; a package's `__init__.py` that
    imports nothing (a docstring, a table for the CLI) changes no stage and is left out."""
    files: set[Path] = set()
    todo = list(modules)
    while todo:
        file = _module_file(todo.pop())
        if file is None or file in files:
            continue
        package = ".".join(file.relative_to(SRC).with_suffix("").parts)
        imported = _imported(ast.parse(file.read_text()), package)
        if file.name != "__init__.py" or imported:
            files.add(file)
        todo.extend(imported)
    return files


def _stages() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_every_stage_depends_on_the_code_it_imports():
    problems = []
    for stage, spec in _stages().items():
        words = " ".join(spec["cmd"].split()).split()
        assert words[0] == "npre", stage
        needed = _closure({_command_module(words[1]), "npre"})
        deps = [ROOT / str(d) for d in spec.get("deps", [])]
        for file in sorted(needed):
            if not any(file == d or d in file.parents for d in deps):
                problems.append(f"{stage}: {file.relative_to(ROOT)} is imported but not a dep")
    assert not problems, "\n".join(problems)


def test_dvc_lock_holds_only_stages_of_the_current_pipeline():
    """A lock entry of a removed stage (or of a grid variant params no longer generate)
    shows in `dvc status` and `dvc exp show` as if it were part of the project."""
    import subprocess
    import sys

    dvc = Path(sys.executable).with_name("dvc")
    listed = subprocess.run(
        [str(dvc), "stage", "list", "--name-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    locked = (yaml.safe_load((ROOT / "dvc.lock").read_text()) or {}).get("stages", {})
    stale = sorted(set(locked) - set(listed))
    assert not stale, f"dvc.lock entries of no current stage: {stale}"
