"""Issue 10: the bench measures the app from outside; the engine, hub, sync and desktop never
import it (an import-linter contract, and this shows the contract bites)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import REPO
from tests.test_architecture import lint_imports


def test_app_modules_importing_the_bench_break_the_contract(tmp_path: Path) -> None:
    shutil.copytree(REPO / "clienteling", tmp_path / "clienteling",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    pkg = tmp_path / "clienteling"
    for part in ("engine", "hub", "sync", "ui"):
        (pkg / part / "sneaky_bench.py").write_text("from clienteling.bench import run\n")
    done = lint_imports(tmp_path)
    assert done.returncode != 0
    assert "nothing the app runs imports it" in done.stdout
    for part in ("engine", "hub", "sync", "ui"):
        assert f"clienteling.{part}.sneaky_bench -> clienteling.bench" in done.stdout, part
