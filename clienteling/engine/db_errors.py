"""Database failures that are the environment's fault, sorted once where the engine meets the driver.

Like qutebrowser's ``misc/sql.py``, a driver error is either *environmental* (the disk is full,
the file is read-only or damaged, the lock was held past the busy timeout, the server went
away) and becomes one of the typed errors below, with words a person understands; or it is
*ours* (bad SQL, a constraint a bug broke) and is left as it is, so it stays a bug with a
traceback. ``Database.read()``/``write()``/``single_read()`` call :func:`classify` so no caller
ever sees a driver's ``OperationalError`` for an environmental failure.

The decision is made on the driver's error code (SQLite's primary result code, PostgreSQL's
SQLSTATE); the message text is looked at only when a driver gives no code.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from clienteling.engine.errors import DomainError


class DatabaseError(DomainError):
    """The database cannot be opened or used (not a bug: an environment problem).

    ``retry_after`` is a hint in seconds for a caller that may simply try again (the hub's
    Retry-After); ``None`` where retrying cannot help until someone acts.
    """

    code = "database_error"
    retry_after: ClassVar[int | None] = 5


class SchemaTooNew(DatabaseError):
    code = "schema_too_new"
    retry_after = None


class _Environmental(DatabaseError):
    """A typed failure: its message is ``problem`` plus what became of the change."""

    problem: ClassVar[str] = ""
    advice: ClassVar[str] = ""

    @classmethod
    def words(cls, *, writing: bool) -> str:
        # A failed write rolled back as a whole (SQLite and PostgreSQL both undo the
        # transaction), so "nothing was saved" is a promise, not a guess.
        outcome = ": nothing was saved." if writing else "."
        return f"{cls.problem}{outcome} {cls.advice}".rstrip()

    @classmethod
    def during(cls, *, writing: bool) -> _Environmental:
        return cls(cls.words(writing=writing))


class DatabaseBusy(_Environmental):
    code = "busy"
    retry_after = 1
    problem = "The database is busy with another change and did not answer in time"
    advice = "Try again in a moment."


class DiskFull(_Environmental):
    code = "disk_full"
    retry_after = None
    problem = "The disk is full"
    advice = "Free some space on it, then try again."


class DatabaseReadOnly(_Environmental):
    code = "read_only"
    retry_after = None
    problem = "The database is read-only (its file or folder may not be written to)"
    advice = "Ask for the file's permissions to be fixed, then try again."


class DiskIOError(_Environmental):
    code = "disk_io_error"
    retry_after = None
    problem = "The disk could not be read or written (an input/output error)"
    advice = "Check the disk or its connection, then try again."


class DatabaseCorrupt(_Environmental):
    code = "database_corrupt"
    retry_after = None
    problem = "The database file is damaged or is not a Clienteling database"
    advice = "Restore it from a backup or ask for help."


class DatabaseCannotOpen(_Environmental):
    code = "cannot_open"
    retry_after = None
    problem = "The database file cannot be opened"
    advice = "Check that it exists and that its folder can be reached."


class DatabaseUnavailable(_Environmental):
    """The server went away. A change in flight when it did is rolled back by the server
    unless its COMMIT had already arrived; the hub's idempotency keys make a retry safe."""

    code = "database_unavailable"
    retry_after = 5
    problem = "The database server cannot be reached"
    advice = "Try again shortly."

    @classmethod
    def words(cls, *, writing: bool) -> str:
        outcome = ": the change was not confirmed." if writing else "."
        return f"{cls.problem}{outcome} {cls.advice}"


# SQLite's primary result codes (https://www.sqlite.org/rescode.html); an extended code
# carries its primary one in the low byte.
_SQLITE: dict[int, type[_Environmental]] = {
    5: DatabaseBusy,        # SQLITE_BUSY
    6: DatabaseBusy,        # SQLITE_LOCKED
    8: DatabaseReadOnly,    # SQLITE_READONLY
    10: DiskIOError,        # SQLITE_IOERR
    11: DatabaseCorrupt,    # SQLITE_CORRUPT
    13: DiskFull,           # SQLITE_FULL
    14: DatabaseCannotOpen,  # SQLITE_CANTOPEN
    26: DatabaseCorrupt,    # SQLITE_NOTADB
}

# PostgreSQL SQLSTATEs (Appendix A of its manual): exact codes first, then a class.
_SQLSTATE: dict[str, type[_Environmental]] = {
    "53100": DiskFull,              # disk_full
    "25006": DatabaseReadOnly,      # read_only_sql_transaction (a standby, or read-only mode)
    "55P03": DatabaseBusy,          # lock_not_available
    # Two writers' report_totals rows locked in opposite orders (migration 0012): the server
    # rolled one back, and trying again is safe.
    "40P01": DatabaseBusy,          # deadlock_detected
    "57014": DatabaseBusy,          # query_canceled (statement or lock timeout)
    "58030": DiskIOError,           # io_error
    "XX001": DatabaseCorrupt,       # data_corrupted
    "XX002": DatabaseCorrupt,       # index_corrupted
    "53300": DatabaseUnavailable,   # too_many_connections
    "57P01": DatabaseUnavailable,   # admin_shutdown
    "57P02": DatabaseUnavailable,   # crash_shutdown
    "57P03": DatabaseUnavailable,   # cannot_connect_now
}
_SQLSTATE_CLASS: dict[str, type[_Environmental]] = {
    "08": DatabaseUnavailable,      # connection exception
}

# Only for drivers that give no code (or an error built by hand); lower-case fragments.
_TEXT: tuple[tuple[str, type[_Environmental]], ...] = (
    ("database is locked", DatabaseBusy),
    ("database table is locked", DatabaseBusy),
    ("disk is full", DiskFull),
    ("readonly database", DatabaseReadOnly),
    ("read-only", DatabaseReadOnly),
    ("disk i/o error", DiskIOError),
    ("file is not a database", DatabaseCorrupt),
    ("disk image is malformed", DatabaseCorrupt),
    ("unable to open database file", DatabaseCannotOpen),
    ("server closed the connection", DatabaseUnavailable),
    ("connection refused", DatabaseUnavailable),
    ("could not connect", DatabaseUnavailable),
    ("terminating connection", DatabaseUnavailable),
    ("connection is closed", DatabaseUnavailable),
)


def kind_of(exc: BaseException) -> type[_Environmental] | None:
    """The typed error for a driver failure, or None when it is not environmental (a bug)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(exc, IntegrityError):
        return None  # a constraint our code broke (or a race the caller handles): never the disk
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        if isinstance(code, int):
            return _SQLITE.get(code & 0xFF)
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return _SQLSTATE.get(sqlstate) or _SQLSTATE_CLASS.get(sqlstate[:2])
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return DatabaseUnavailable
    text = str(orig).lower()
    for fragment, kind in _TEXT:
        if fragment in text:
            return kind
    if _is_psycopg_operational(orig):
        # psycopg raises OperationalError without a SQLSTATE when it cannot connect at all.
        return DatabaseUnavailable
    return None


def _is_psycopg_operational(orig: object) -> bool:
    module = type(orig).__module__ or ""
    return module.startswith("psycopg") and type(orig).__name__ == "OperationalError"


def classify(exc: BaseException, *, writing: bool) -> DatabaseError | None:
    """The typed error to raise (``from exc``) instead of ``exc``, or None to let it through."""
    if isinstance(exc, DatabaseError) or not isinstance(exc, DBAPIError | sqlite3.Error):
        return None
    kind = kind_of(exc)
    return None if kind is None else kind.during(writing=writing)
