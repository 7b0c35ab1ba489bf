"""Real database faults for the error tests: the driver itself refuses, nothing is faked.

Each helper changes what a *writer* connection may do, on every checkout, and restores it on
exit (the pool is emptied so no connection keeps the setting):

- ``read_only``: SQLite ``PRAGMA query_only`` (the tests run as root, so chmod would not bite),
  PostgreSQL ``default_transaction_read_only`` — both answer as a read-only database does.
- ``disk_full``: SQLite ``PRAGMA max_page_count`` set to the file's current page count, so the
  first write that needs one more page gets SQLITE_FULL, as on a full disk.
- ``busy``: another connection holds SQLite's write lock and ours waits only 50 ms for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from clienteling.engine.db import Database


@contextmanager
def _on_checkout(db: Database, setup: str) -> Iterator[None]:
    def checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(setup)
        cursor.close()
        # psycopg ran SET inside a transaction of its own: commit it, or the pool's reset-on-
        # return rolls it back. (pysqlite's PRAGMAs are not transactional; a no-op there.)
        dbapi_connection.commit()

    db.writer.dispose()
    event.listen(db.writer, "checkout", checkout)
    try:
        yield
    finally:
        event.remove(db.writer, "checkout", checkout)
        # The setting lives on the connection: closing those that had it is the undo.
        db.writer.dispose()


@contextmanager
def read_only(db: Database) -> Iterator[None]:
    if db.is_sqlite:
        with _on_checkout(db, "PRAGMA query_only = ON"):
            yield
        return
    with _on_checkout(db, "SET default_transaction_read_only = on"):
        yield


@contextmanager
def disk_full(db: Database) -> Iterator[None]:
    assert db.is_sqlite, "max_page_count is SQLite's"
    with db.writer.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)
    with _on_checkout(db, f"PRAGMA max_page_count = {pages}"):
        yield


@contextmanager
def busy(db: Database) -> Iterator[None]:
    """Another process's till holds the write lock (a raw connection of its own)."""
    assert db.is_sqlite, "the write lock is SQLite's"
    import sqlite3

    holder = sqlite3.connect(db.writer.url.database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with _on_checkout(db, "PRAGMA busy_timeout = 50"):
            yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()
