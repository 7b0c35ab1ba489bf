"""GUIDE principle 7: the boundaries are kept by a tool, and the tool really bites."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

from clienteling.engine.services import Clienteling
from tests.conftest import REPO


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    linter = shutil.which("lint-imports") or "lint-imports"
    return subprocess.run([linter, "--config", str(root / "pyproject.toml"), "--no-cache"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_an_engine_module_importing_qt_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(REPO / "clienteling", tmp_path / "clienteling",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "clienteling" / "engine" / "sneaky.py").write_text("import PySide6.QtCore\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "clienteling.engine.sneaky" in done.stdout


def test_contracts_name_the_ui_importing_orm_models_or_sqlalchemy(tmp_path: Path) -> None:
    """Issue 7: the desktop receives frozen records; a UI module importing the ORM models or
    SQLAlchemy breaks the contract, each named in the linter's report."""
    shutil.copytree(REPO / "clienteling", tmp_path / "clienteling",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    ui = tmp_path / "clienteling" / "ui"
    (ui / "sneaky_models.py").write_text("from clienteling.engine.models import Reward\n")
    (ui / "sneaky_sql.py").write_text("from sqlalchemy import event\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "records from the engine, never ORM models or SQL" in done.stdout
    assert "clienteling.ui.sneaky_models -> clienteling.engine.models" in done.stdout
    assert "clienteling.ui.sneaky_sql -> sqlalchemy" in done.stdout


def test_the_hub_importing_orm_models_breaks_its_contract(tmp_path: Path) -> None:
    """Issue 15: the hub renders the engine's frozen records (services, listings, the feed),
    so a hub module importing the ORM models breaks the contract, named in the report."""
    shutil.copytree(REPO / "clienteling", tmp_path / "clienteling",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    routes = tmp_path / "clienteling" / "hub" / "routes"
    (routes / "sneaky.py").write_text("from clienteling.engine.models import Staff\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "The hub gets records from the engine, never ORM models" in done.stdout
    assert "clienteling.hub.routes.sneaky -> clienteling.engine.models" in done.stdout


def test_sync_contracts_bite_and_allow_only_the_wire(tmp_path: Path) -> None:
    """Issue 8: sync never imports Qt or the hub, the engine never imports sync (nor httpx),
    and the hub may share sync's wire schemas but nothing else of it."""
    shutil.copytree(REPO / "clienteling", tmp_path / "clienteling",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    pkg = tmp_path / "clienteling"
    (pkg / "sync" / "sneaky_qt.py").write_text("import PySide6.QtCore\n")
    (pkg / "sync" / "sneaky_hub.py").write_text("from clienteling.hub import push\n")
    (pkg / "sync" / "sneaky_sql.py").write_text("from sqlalchemy import select\n")
    (pkg / "engine" / "sneaky_sync.py").write_text("from clienteling.sync import client\n")
    (pkg / "engine" / "sneaky_http.py").write_text("import httpx\n")
    (pkg / "hub" / "sneaky_client.py").write_text("from clienteling.sync.client import HubClient\n")
    (pkg / "hub" / "fine_wire.py").write_text("from clienteling.sync.wire import PushResult\n")
    # A sync module added later is the till's too (issue 15: an allow-list, not a deny-list).
    (pkg / "sync" / "added_later.py").write_text("X = 1\n")
    (pkg / "hub" / "sneaky_later.py").write_text("from clienteling.sync.added_later import X\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    for link in ("clienteling.sync.sneaky_qt -> PySide6", "clienteling.sync.sneaky_hub -> clienteling.hub",
                 "clienteling.sync.sneaky_sql -> sqlalchemy",
                 "clienteling.engine.sneaky_sync -> clienteling.sync",
                 "clienteling.engine.sneaky_http -> httpx",
                 "clienteling.hub.sneaky_client -> clienteling.sync.client",
                 "clienteling.hub.sneaky_later -> clienteling.sync.added_later"):
        assert link in done.stdout, link
    assert "fine_wire" not in done.stdout


def _private_engine_reads(root: Path) -> list[str]:
    """``x.ctx`` / ``x._ctx`` / ``x._db`` read by a module outside ``clienteling.engine``."""
    found = []
    for path in sorted((root / "clienteling").rglob("*.py")):
        if (root / "clienteling" / "engine") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in ("ctx", "_ctx", "_db"):
                found.append(f"{path.relative_to(root)}:{node.lineno} .{node.attr}")
    return found


def test_nothing_outside_the_engine_reaches_into_its_context(tmp_path: Path) -> None:
    """Issue 15, GUIDE principle 1: the engine's context (session factory, clock, listeners)
    is private to ``Clienteling``; the hub, sync, the UI, the bench and the demo use its
    services and named members (``now()``, ``policy``, ``subscribe``, ``listing`` …). Tests
    reach it through ``tests/internals.py`` only."""
    assert _private_engine_reads(REPO) == []
    assert not hasattr(Clienteling, "ctx") and not hasattr(Clienteling, "db")
    sneaky = tmp_path / "clienteling" / "hub"
    sneaky.mkdir(parents=True)
    (sneaky / "sneaky.py").write_text("def f(cl):\n    return cl._ctx.clock\n")
    assert _private_engine_reads(tmp_path) == ["clienteling/hub/sneaky.py:2 ._ctx"]


def _module_of(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(root: Path, name: str) -> bool:
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _private_name_imports(root: Path) -> list[str]:
    """Another ``clienteling`` module's private names (``_name``) used by a module: imported
    (``from clienteling.x import _name``) or read off an imported module (``x._name``)."""
    found = []
    for path in sorted((root / "clienteling").rglob("*.py")):
        here = _module_of(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules: dict[str, str] = {}  # local name -> the clienteling module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and node.module.split(".")[0] == "clienteling":
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if _is_module(root, full):
                        modules[alias.asname or alias.name] = full
                    elif (alias.name.startswith("_") and not alias.name.startswith("__")
                          and node.module != here):
                        found.append(f"{path.relative_to(root)}:{node.lineno} "
                                     f"{node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name.split(".")[0] == "clienteling":
                        modules[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in modules and node.attr.startswith("_")
                    and not node.attr.startswith("__") and modules[node.value.id] != here):
                found.append(f"{path.relative_to(root)}:{node.lineno} "
                             f"{modules[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names(tmp_path: Path) -> None:
    """Issue 15 ("the door stays shut"): a leading underscore means "only this module relies
    on it", so it can change without a look elsewhere; what another module needs is given a
    public name."""
    assert _private_name_imports(REPO) == []
    pkg = tmp_path / "clienteling" / "sync"
    pkg.mkdir(parents=True)
    (tmp_path / "clienteling" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "client.py").write_text("def _message(r):\n    return r\n")
    (pkg / "own.py").write_text("from clienteling.sync.own import _ok\n")  # its own: fine
    (pkg / "sneaky.py").write_text("from clienteling.sync.client import _message\n"
                                   "from clienteling.sync import client as c\n"
                                   "x = c._message\n")
    assert _private_name_imports(tmp_path) == [
        "clienteling/sync/sneaky.py:1 clienteling.sync.client._message",
        "clienteling/sync/sneaky.py:3 clienteling.sync.client._message",
    ]
