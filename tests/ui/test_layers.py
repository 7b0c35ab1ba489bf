"""Issue 15: the UI's feature packages sit above ``ui.operations`` and ``ui.common`` — kept by
an import-linter contract that really bites. (No module of the package, the UI's included, is
in an import cycle: ``tests/test_import_cycles.py``.)"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from tests.conftest import REPO
from tests.test_architecture import lint_imports


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


def test_the_layers_contract_makes_no_exception() -> None:
    """No module of ``ui.operations`` or ``ui.common`` is let off: the contract lists no
    ignored imports (the Conflicts rows moved down into ``ui/operations/conflict_rows.py``)."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    [layers] = [c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers"]
    assert layers["containers"] == ["clienteling.ui"]
    assert layers.get("ignore_imports", []) == []
