"""The write-ahead log is checkpointed off the committing thread (engine.checkpoints; SPEC §8:
a counter checkout's p95 must not carry SQLite's automatic checkpoint)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from clienteling.engine import checkpoints
from clienteling.engine.checkpoints import BACKSTOP_PAGES
from clienteling.engine.db import Database, connect

PAGE = 4096
PAGES_PER_COMMIT = 250
COMMITS = 20


def _fill(db: Database, *, settle: bool) -> None:
    with db.write() as s:
        s.execute(text("CREATE TABLE IF NOT EXISTS filler (x BLOB)"))
    for _ in range(COMMITS):
        with db.write() as s:
            s.execute(text("INSERT INTO filler SELECT randomblob(:n) FROM "
                           "(WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c "
                           "WHERE i < :rows) SELECT i FROM c)"),
                      {"n": PAGE - 200, "rows": PAGES_PER_COMMIT})
        if settle:
            assert db.checkpointer is not None
            assert db.checkpointer.wait_idle(20)


def _wal_pages(path: Path) -> float:
    return path.with_name(path.name + "-wal").stat().st_size / PAGE


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sqlite-checkpoints"]


@pytest.fixture
def db(tmp_path: Path):
    database = connect(tmp_path / "till.db")
    yield database
    database.dispose()


def test_connections_checkpoint_by_themselves_only_at_the_backstop(db: Database) -> None:
    for engine in (db.reader, db.writer):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == BACKSTOP_PAGES


def test_a_commit_does_not_checkpoint_below_the_backstop(db: Database, tmp_path: Path) -> None:
    # With the thread stopped, nothing checkpoints 5,000 pages written in 20 commits: SQLite's
    # own checkpoint (at 1,000 pages) would have started the log over and kept it short.
    assert db.checkpointer is not None
    db.checkpointer.stop()
    _fill(db, settle=False)
    assert db.checkpointer.checkpoints == 0
    assert _wal_pages(tmp_path / "till.db") >= 0.9 * COMMITS * PAGES_PER_COMMIT


def test_the_thread_checkpoints_after_commits_and_keeps_the_log_short(
        db: Database, tmp_path: Path) -> None:
    _fill(db, settle=True)
    assert db.checkpointer is not None
    assert db.checkpointer.checkpoints >= COMMITS
    # Each commit found the log checkpointed and started it over: it never held more than
    # about one commit's pages.
    assert _wal_pages(tmp_path / "till.db") <= 3 * PAGES_PER_COMMIT
    with db.reader.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM filler").scalar() == (
            COMMITS * PAGES_PER_COMMIT)


def test_dispose_stops_the_thread_and_later_commits_start_none(tmp_path: Path) -> None:
    database = connect(tmp_path / "till.db")
    with database.write() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
    checkpointer = database.checkpointer
    assert checkpointer is not None and checkpointer.wait_idle(20)
    database.dispose()
    assert not [t for t in _threads() if t.is_alive() and checkpointer._thread is t]
    checkpointer.nudge()
    assert checkpointer._thread is None


def test_a_thread_with_nothing_to_do_ends(monkeypatch: pytest.MonkeyPatch, db: Database) -> None:
    monkeypatch.setattr(checkpoints, "IDLE_S", 0.05)
    with db.write() as s:
        s.execute(text("CREATE TABLE t (x INTEGER)"))
    assert db.checkpointer is not None
    thread = db.checkpointer._thread
    assert thread is not None
    thread.join(20)
    assert not thread.is_alive()
    assert db.checkpointer._thread is None
    # The next commit starts another.
    with db.write() as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
    assert db.checkpointer.wait_idle(20)
    assert db.checkpointer.checkpoints == 2


def test_an_in_memory_database_has_no_checkpointer() -> None:
    database = connect("sqlite:///:memory:")
    try:
        assert database.checkpointer is None
    finally:
        database.dispose()
