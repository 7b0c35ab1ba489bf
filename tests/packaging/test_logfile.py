"""The rotating log file, and the crash report that goes there instead of a traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from clienteling import __version__, cli, logfile


@pytest.fixture(autouse=True)
def _fresh_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "logs"
    monkeypatch.setenv("CLIENTELING_LOG_DIR", str(folder))
    logfile.close_logging()
    yield folder
    logfile.close_logging()


def test_an_unexpected_error_writes_a_crash_report_and_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def explode(_args: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cli, "_cmd_audit_verify", explode)
    status = cli.main(["audit", "verify", "--db", str(tmp_path / "till.db")])
    assert status == 3
    err = capsys.readouterr().err
    report = tmp_path / "logs" / "clienteling.log"
    assert err.strip().splitlines() == [
        f"clienteling: unexpected error: RuntimeError: disk on fire (crash report in {report})"]
    text = report.read_text(encoding="utf-8")
    assert "CRITICAL" in text and f"crash report: clienteling {__version__}" in text
    assert "Traceback (most recent call last)" in text and "RuntimeError: disk on fire" in text


def test_the_log_rotates_and_keeps_a_bounded_number_of_files(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logfile, "MAX_BYTES", 2_000)
    path = logfile.setup_logging()
    assert path == tmp_path / "logs" / "clienteling.log"
    assert logfile.setup_logging() == path  # idempotent: one handler, one file
    log = logging.getLogger("clienteling.test")
    for i in range(400):
        log.info("line %d %s", i, "x" * 40)
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["clienteling.log"] + [f"clienteling.log.{n}" for n in range(1, logfile.BACKUPS + 1)]
    assert all(p.stat().st_size <= 2_000 for p in path.parent.iterdir())
    assert "line 399" in path.read_text(encoding="utf-8")


def test_a_hard_crash_has_somewhere_to_go(tmp_path: Path) -> None:
    assert logfile.enable_fault_log() is None  # no log yet, no fault log
    logfile.setup_logging()
    faults = logfile.enable_fault_log()
    assert faults == tmp_path / "logs" / logfile.FAULT_FILE_NAME and faults.exists()
