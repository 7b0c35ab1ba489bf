"""Issue 9, defect 4: a database path the command line cannot use is one line naming the
path and what is wrong with it, exit status 2, and nothing created (SPEC §4: no traceback
ever reaches a user).

Tests run as root, for whom every folder is writable; an unusable folder is made with a
path under a regular file (``…/file.txt/sub/db.db``). ``app`` is tested without a GUI: the
path is checked before Qt is imported, and the run asserts Qt was never loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clienteling.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _one_line_exit_2(done: subprocess.CompletedProcess[str], *words: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_audit_verify_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    done = run(tmp_path, "audit", "verify", "--db", "missing.db")
    _one_line_exit_2(done, str(tmp_path / "missing.db"), "no such")
    assert _tree(tmp_path) == []
    done = run(tmp_path, "audit", "verify", "--db", f"sqlite:///{tmp_path / 'gone.db'}")
    _one_line_exit_2(done, str(tmp_path / "gone.db"))
    assert _tree(tmp_path) == []


def test_audit_verify_on_something_that_is_not_a_clienteling_database(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    _one_line_exit_2(run(tmp_path, "audit", "verify", "--db", str(other)), str(other),
                     "not a Clienteling database")
    (tmp_path / "folder.db").mkdir()
    _one_line_exit_2(run(tmp_path, "audit", "verify", "--db", "folder.db"),
                     str(tmp_path / "folder.db"), "folder")


@pytest.mark.parametrize("command", ["demo", "app"])
def test_a_database_under_a_file_is_refused_in_one_line(tmp_path: Path, command: str) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    target = tmp_path / "file.txt" / "sub" / "db.db"
    before = _tree(tmp_path)

    done = run(tmp_path, command, "--db", str(target), *(["--profiles", "5"] if command == "demo"
                                                          else []))

    _one_line_exit_2(done, str(tmp_path / "file.txt"), "not a folder")
    assert "not saved" not in done.stderr + done.stdout
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("command", ["demo", "app"])
def test_a_database_in_a_folder_that_does_not_exist_is_refused(tmp_path: Path,
                                                                command: str) -> None:
    target = tmp_path / "no" / "such" / "db.db"
    done = run(tmp_path, command, "--db", str(target), *(["--profiles", "5"] if command == "demo"
                                                          else []))
    _one_line_exit_2(done, str(tmp_path / "no" / "such"), "does not exist")
    assert _tree(tmp_path) == []


def test_app_checks_CLIENTELING_DB_too(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "till.db"
    done = run(tmp_path, "app", env={"CLIENTELING_DB": str(target)})
    _one_line_exit_2(done, str(tmp_path / "missing-folder"), "CLIENTELING_DB")
    assert _tree(tmp_path) == []


def test_a_database_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "till.db").mkdir()
    done = run(tmp_path, "demo", "--db", "till.db", "--profiles", "5")
    _one_line_exit_2(done, str(tmp_path / "till.db"), "folder")
    assert _tree(tmp_path) == ["till.db"]


def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    """A read-only bind mount where the test may make one (root in a mount namespace), else a
    folder without write permission for a non-root user; skipped when neither is possible."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        command = [sys.executable, "-m", "clienteling.cli", "demo", "--db", str(folder / "x.db"),
                   "--profiles", "5"]
    else:
        probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
        if probe.returncode != 0:
            pytest.skip("no mount namespace here for a read-only bind (and running as root)")
        script = (f"mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} && "
                  f"exec {sys.executable} -m clienteling.cli demo --db {folder / 'x.db'} "
                  "--profiles 5")
        command = ["unshare", "-m", "sh", "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    folder.chmod(0o755)
    _one_line_exit_2(done, str(folder), "cannot write")
    assert _tree(tmp_path) == ["ro"]
