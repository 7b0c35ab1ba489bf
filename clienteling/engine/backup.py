"""Copies of a till's SQLite database, made with SQLite's online backup API
(``sqlite3.Connection.backup``): a consistent copy of the committed database, taken while
the app may be writing, WAL included, which copying the file is not (issue 9).

Made before a migration changes the schema (``db.migrate``) and on demand (``clienteling
backup``); the last ``KEEP`` of a database are kept. docs/operations.md says how to restore.
A PostgreSQL hub is backed up with PostgreSQL's own tools (``pg_dump``), not here.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from clienteling.engine.errors import DomainError

KEEP = 5
FOLDER = "backups"
_REASON = re.compile(r"^[a-z0-9-]{1,40}$")


class BackupError(DomainError):
    """A backup that cannot be made, said in one line naming the path."""


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for another backend or an in-memory database)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().absolute()


def backups_of(source: Path, folder: Path | None = None) -> list[Path]:
    """The backups of ``source`` in ``folder`` (default: ``backups`` beside it), oldest first."""
    where = folder if folder is not None else source.parent / FOLDER
    if not where.is_dir():
        return []
    # The names start with the UTC time, so name order is age order.
    return sorted(p for p in where.glob(f"{source.stem}-*.db") if p.is_file())


def backup(url: str, *, to: Path | None = None, keep: int = KEEP, reason: str = "manual",
           now: datetime | None = None) -> Path:
    """Copy the SQLite database at ``url`` into ``to`` (default ``backups`` beside it) as
    ``<name>-<UTC time>-<reason>.db``, then delete all but the newest ``keep`` backups of it
    there. Returns the new file."""
    source = sqlite_path(url)
    if source is None:
        raise BackupError(f"{url}: only a SQLite database (a till) is backed up here; back up a "
                          "PostgreSQL hub with pg_dump (docs/operations.md)")
    if not source.is_file():
        raise BackupError(f"{source}: no such database file")
    if keep < 1:
        raise BackupError("keep at least one backup")
    if not _REASON.match(reason):
        raise BackupError(f"reason {reason!r}: lower-case letters, digits and '-' only")
    folder = to if to is not None else source.parent / FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"{folder}: cannot make this folder ({exc.strerror})") from exc
    # A file name, not a domain time: the wall clock of the machine making it.
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{source.stem}-{stamp}-{reason}.db"
    partial = target.with_suffix(".partial")
    try:
        src = sqlite3.connect(source)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
                # The copy is a plain rollback-journal file, whole on its own (no -wal beside it).
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        partial.replace(target)  # a backup is either complete or not there
    except (sqlite3.Error, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"{target}: the backup of {source} failed ({exc})") from exc
    for old in backups_of(source, folder)[:-keep]:
        old.unlink(missing_ok=True)
    return target
