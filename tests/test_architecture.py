"""The package's architecture, measured (README "Architecture").

* imports run one way, down the layers of ``[tool.importlinter]`` in pyproject.toml
  (cli > fig5 > experiments > envs | deciders > llm > sim > world > core > _util);
* no import cycles between genoff's modules (in-function imports included);
* no function over 80 lines, no class over 250;
* genoff modules are imported at module top: in-function imports are for optional heavy
  dependencies (torch, transformers, httpx, dask, ray, pyarrow, matplotlib, ...).

Each check is also run on a deliberately broken input, so that it can fail.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

grimp = pytest.importorskip("grimp", reason="import-linter is in the tests dependency group")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "genoff"
MAX_FUNCTION_LINES = 80
MAX_CLASS_LINES = 250


def _layers() -> list:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    return [set(p.strip() for p in layer.split("|")) if "|" in layer else layer
            for layer in contract["layers"]]


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("genoff", exclude_type_checking_imports=True)


def _illegal(graph) -> list[str]:
    return sorted(f"{d.importer} -> {d.imported}"
                  for d in graph.find_illegal_dependencies_for_layers(layers=_layers()))


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for imported in edges.get(module, ()):
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(edges):
        if module not in order:
            visit(module)
    return groups


def _edges(graph) -> dict[str, set[str]]:
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def test_imports_run_down_the_layers(graph):
    assert _illegal(graph) == []


def test_an_upward_import_breaks_the_layers():
    graph = grimp.build_graph("genoff", exclude_type_checking_imports=True)
    graph.add_import(importer="genoff.world.tasks", imported="genoff.cli")
    assert "genoff.world -> genoff.cli" in _illegal(graph)


def test_no_import_cycles(graph):
    assert _cycles(_edges(graph)) == []


def test_a_cycle_is_found(graph):
    edges = _edges(graph)
    edges["genoff.world.services"] = edges["genoff.world.services"] | {"genoff.world.tasks"}
    assert any("genoff.world.services" in group for group in _cycles(edges))


def _sources() -> list[tuple[str, ast.Module]]:
    return [(str(p.relative_to(PACKAGE.parent)), ast.parse(p.read_text(encoding="utf-8")))
            for p in sorted(PACKAGE.rglob("*.py"))]


def _too_long(trees) -> list[str]:
    found = []
    for where, tree in trees:
        for node in ast.walk(tree):
            limit = {ast.FunctionDef: MAX_FUNCTION_LINES, ast.AsyncFunctionDef: MAX_FUNCTION_LINES,
                     ast.ClassDef: MAX_CLASS_LINES}.get(type(node))
            if limit is not None and node.end_lineno - node.lineno + 1 > limit:
                found.append(f"{where}:{node.lineno} {node.name} "
                             f"({node.end_lineno - node.lineno + 1} lines > {limit})")
    return found


def test_no_function_over_80_lines_and_no_class_over_250():
    assert _too_long(_sources()) == []


def test_a_long_function_is_found():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    tree = ast.parse(f"def long():\n{body}\n")
    assert _too_long([("synthetic.py", tree)]) == [
        f"synthetic.py:1 long ({MAX_FUNCTION_LINES + 1} lines > {MAX_FUNCTION_LINES})"]


def _genoff_imports_in_functions(trees) -> list[str]:
    found = []
    for where, tree in trees:
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                relative = isinstance(node, ast.ImportFrom) and node.level > 0
                if relative or any(n == "genoff" or n.startswith("genoff.") for n in names):
                    found.append(f"{where}:{node.lineno} in {func.name}")
    return sorted(set(found))


def test_genoff_modules_are_imported_at_module_top():
    assert _genoff_imports_in_functions(_sources()) == []


def test_an_in_function_import_is_found():
    tree = ast.parse("def f():\n    from genoff.world import tasks\n    return tasks\n")
    assert _genoff_imports_in_functions([("synthetic.py", tree)]) == ["synthetic.py:2 in f"]


def test_the_cxx_defaults_are_the_python_ones():
    """genoff/defaults.hpp (installed with the public headers) is generated from
    genoff/defaults.py: one home for the paper's constants."""
    import re

    from genoff import core, defaults

    header = (Path(core.get_include()) / "genoff" / "defaults.hpp").read_text(encoding="utf-8")
    found = dict(re.findall(r"constexpr double (k\w+) = ([^;]+);", header))
    assert {k: float(v) for k, v in found.items()} == {"kPfBeta": defaults.PF_BETA,
                                                       "kTtiS": defaults.TTI_S}
