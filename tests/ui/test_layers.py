"""Issue 15: the UI has no import cycles (TYPE_CHECKING imports included), and its feature
packages sit above ``ui.operations`` and ``ui.common`` — kept by an import-linter contract
that really bites."""

from __future__ import annotations

import shutil
from pathlib import Path

import grimp

from tests.conftest import REPO
from tests.test_architecture import lint_imports


def _cycles(graph: grimp.ImportGraph, prefix: str) -> list[list[str]]:
    """Strongly connected components of more than one module among ``prefix``'s modules."""
    modules = sorted(m for m in graph.modules if m.startswith(prefix))
    edges = {m: sorted(d for d in graph.find_modules_directly_imported_by(m) if d.startswith(prefix))
             for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for m in modules:
        if m not in index:
            visit(m)
    return found


def test_no_import_cycles_between_ui_modules() -> None:
    graph = grimp.build_graph("clienteling", exclude_type_checking_imports=False, cache_dir=None)
    assert _cycles(graph, "clienteling.ui") == []


def test_operations_importing_a_feature_breaks_the_layers_contract(tmp_path: Path) -> None:
    shutil.copytree(REPO / "clienteling", tmp_path / "clienteling",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    ui = tmp_path / "clienteling" / "ui"
    (ui / "operations" / "sneaky.py").write_text("from clienteling.ui.profile import panel\n")
    (ui / "common" / "sneaky.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from clienteling.ui.search.panel import SearchPanel\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "features sit above its operations" in done.stdout
    assert "clienteling.ui.operations.sneaky -> clienteling.ui.profile.panel" in done.stdout
    assert "clienteling.ui.common.sneaky -> clienteling.ui.search.panel" in done.stdout
