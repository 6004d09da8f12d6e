"""The layout issue 11 asked for, kept: stages that do not import each other, no import
cycle, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src"
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((SRC / "npre").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _top_level_imports(path: Path, known: set[str]) -> set[str]:
    """npre modules imported when `path` is imported (not inside functions or
    `if TYPE_CHECKING:`)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found.update(n for n in names if n in known)
    return found


def _all_imports(path: Path, known: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.update(n for n in [node.module, *(f"{node.module}.{a.name}" for a in node.names)])
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found & known


def test_no_stage_imports_another_stage():
    modules = _modules()
    stages = {name for name in modules if name.startswith("npre.stages.")}
    crossings = [
        f"{stage} imports {other}"
        for stage in sorted(stages)
        for other in sorted(_all_imports(modules[stage], stages) - {stage})
    ]
    assert not crossings, "\n".join(crossings)


def test_no_import_cycle():
    modules = _modules()
    graph = {name: _top_level_imports(path, set(modules)) for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError("import cycle: " + " -> ".join([*trail, name]))
        if name in done:
            return
        for imported in sorted(graph[name]):
            if imported != name and not name.startswith(imported + "."):  # a parent package
                visit(imported, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_no_module_is_over_300_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these (over {MAX_LINES} lines): {long}"
