"""No import cycles in ``clienteling`` (issue 15): a cycle means two modules can only be read,
tested and changed together, and it is how the layers stop being layers.

grimp (import-linter's graph) gives every module's direct imports, those inside functions and
under ``TYPE_CHECKING`` included: an import made only for a type annotation still ties the two
modules together. A module importing its own package (``from clienteling.ui.profile import
…`` inside ``clienteling.ui.profile.panel``) is not counted: the package's ``__init__`` is the
module's own front door, not a peer.
"""

from __future__ import annotations

import grimp


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's, iterative)."""
    modules = sorted(graph.modules)
    edges = {
        m: sorted(t for t in graph.find_modules_directly_imported_by(m)
                  if t.startswith(package) and not m.startswith(t + "."))
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, at = work.pop()
            if at == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges[node]
            if at < len(targets):
                work.append((node, at + 1))
                target = targets[at]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_the_package_has_no_import_cycles() -> None:
    graph = grimp.build_graph("clienteling", exclude_type_checking_imports=False, cache_dir=None)
    cycles = _cycles(graph, "clienteling")
    assert cycles == [], "modules that import each other (move the shared piece down a layer):\n" + (
        "\n".join(" <-> ".join(c) for c in cycles))


def test_a_cycle_is_found() -> None:
    """The check bites: two modules that import each other are reported."""
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.a", "pkg.b", "pkg.c"):
        graph.add_module(name)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    graph.add_import(importer="pkg.a", imported="pkg")  # a module's own package: not a cycle
    assert _cycles(graph, "pkg") == [["pkg.a", "pkg.b"]]
