"""The layout: stages that do not import each other, no import cycle at any level (imports
inside functions included), small modules, no crowded package, one job per module."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from helpers import ROOT

SRC = ROOT / "src"
MAX_LINES = 300
MAX_PACKAGE_SHARE = 0.16  # of src/npre's lines


def _modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((SRC / "npre").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(path: Path, known: set[str]) -> set[str]:
    """npre modules `path` imports anywhere: at the top, inside functions, under
    `if TYPE_CHECKING:` (a name imported from a package counts as its module when it is one)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found.update(n for n in names if n in known)
    return found


def test_no_stage_imports_another_stage():
    modules = _modules()
    stages = {name for name in modules if name.startswith("npre.stages.")}
    crossings = [
        f"{stage} imports {other}"
        for stage in sorted(stages)
        for other in sorted(_imports(modules[stage], stages) - {stage})
    ]
    assert not crossings, "\n".join(crossings)


def test_no_import_cycle_at_any_level():
    modules = _modules()
    graph = {name: _imports(path, set(modules)) for name, path in modules.items()}
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


def test_the_cycle_check_sees_imports_inside_functions(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from npre.a import x\n")
    assert _imports(module, {"npre.a"}) == {"npre.a"}


def test_no_module_is_over_300_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path in _modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"split these (over {MAX_LINES} lines): {long}"


def test_no_package_holds_more_than_its_share_of_the_code():
    lines: Counter[str] = Counter()
    for path in _modules().values():
        parts = path.relative_to(SRC / "npre").parts
        lines[parts[0] if len(parts) > 1 else "(top level)"] += len(path.read_text().splitlines())
    total = sum(lines.values())
    crowded = {pkg: f"{n / total:.0%}" for pkg, n in lines.items() if n / total > MAX_PACKAGE_SHARE}
    assert not crowded, f"split these packages (over {MAX_PACKAGE_SHARE:.0%} of src): {crowded}"


def test_every_module_says_what_it_holds_and_no_two_say_the_same():
    first_lines = {}
    for name, path in _modules().items():
        docstring = ast.get_docstring(ast.parse(path.read_text()))
        assert docstring, f"{name}: no docstring saying what it holds"
        first_lines.setdefault(docstring.splitlines()[0].strip(), []).append(name)
    repeated = {line: names for line, names in first_lines.items() if len(names) > 1}
    assert not repeated, f"modules claiming the same job: {repeated}"
