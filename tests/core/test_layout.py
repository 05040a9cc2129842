"""The package layout's import rules, read from the source (every import, lazy ones too).

- the core (io, data, features, models, training, evaluation, report, runs, config,
  errors) imports no workflow and neither the CLI nor the demo;
- a workflow package imports the core and itself, never another workflow
  (``explain`` may import ``classify``, the models it explains);
- nothing imports the CLI but the CLI and ``__main__``;
- no two modules import each other, directly or through others.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "seislearn"
WORKFLOWS = {"azimuth", "cluster", "classify", "explain", "images", "papers"}
APPLICATION = {"cli", "demo", "__main__"}
MAY_IMPORT = {"explain": {"classify"}}


def _module_name(path: Path) -> str:
    parts = ["seislearn", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every seislearn module ``path`` imports, at module level or inside functions."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] == "seislearn"}


MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}
GRAPH = {
    name: {m for m in _imports(path) if m in MODULES and m != name}
    for name, path in MODULES.items()
}


def _group(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "seislearn"


def _is_core(group: str) -> bool:
    return group not in WORKFLOWS | APPLICATION


def test_the_import_graph_was_read():
    assert len(MODULES) > 80
    assert "seislearn.azimuth.config" in GRAPH["seislearn.azimuth.api"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_each_module_imports_only_what_its_layer_may(module):
    group = _group(module)
    for imported in sorted(GRAPH[module]):
        target = _group(imported)
        if target == group or target == "seislearn":
            continue
        if _is_core(group):
            assert _is_core(target), f"core module {module} imports {imported}"
        elif group in WORKFLOWS:
            assert _is_core(target) or target in MAY_IMPORT.get(group, set()), (
                f"workflow module {module} imports {imported}"
            )
        if target == "cli":
            assert group in {"cli", "__main__"}, f"{module} imports the CLI ({imported})"


def test_no_modules_import_each_other_in_a_circle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue  # a package and its own modules (lazy __init__ exports)
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)
