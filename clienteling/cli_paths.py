"""Checks of the database paths given on the command line, before anything opens them.

SQLite creates a missing file (and the engine its missing folders) on connect, so without
these ``audit verify --db typo.db`` created an empty database and then failed on it, and a
path under a file or in a read-only folder ended in a traceback. Each problem is now a
:class:`~clienteling.engine.errors.DomainError` naming the path (one line, exit status 2),
raised before anything is created.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from clienteling.engine.db import normalise_url
from clienteling.engine.errors import DomainError


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL; None for another backend or an in-memory database."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None  # the engine says what is wrong with the URL itself
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().absolute()


def existing_database(database: str, *, source: str = "--db") -> str:
    """The URL of a database that must already exist (to be read, not made)."""
    url = normalise_url(database)
    path = sqlite_file(url)
    if path is None:
        return url
    if path.is_dir():
        raise DomainError(f"{source} {path}: is a folder, not a database file")
    if not path.exists():
        raise DomainError(f"{source} {path}: no such database file")
    if not os.access(path, os.R_OK):
        raise DomainError(f"{source} {path}: cannot read this file")
    return url


def writable_database(database: str, *, source: str = "--db", make_folder: bool = False) -> str:
    """The URL of a database to open for writing, existing or to be created.

    Its folder must exist, unless ``make_folder`` (the platform's own data folder on a first
    run, not a path someone typed: a typo there would otherwise grow folders).
    """
    url = normalise_url(database)
    path = sqlite_file(url)
    if path is None:
        return url
    if path.is_dir():
        raise DomainError(f"{source} {path}: is a folder, not a database file")
    folder = path.parent
    if not folder.is_dir():
        blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise DomainError(f"{source} {path}: {blocker} is a file, not a folder")
        if not make_folder:
            raise DomainError(f"{source} {path}: the folder {folder} does not exist")
        if blocker is not None and not os.access(blocker, os.W_OK | os.X_OK):
            raise DomainError(f"{source} {path}: cannot write in the folder {blocker}")
        return url
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DomainError(f"{source} {path}: cannot read and write this file")
    # SQLite also writes its -wal and -shm files beside the database.
    if not os.access(folder, os.W_OK | os.X_OK):
        raise DomainError(f"{source} {path}: cannot write in the folder {folder}")
    return url


def default_database() -> str:
    """The till's database: ``CLIENTELING_DB``, else the platform's user data folder (SPEC §6)."""
    configured = os.environ.get("CLIENTELING_DB")
    if configured:
        return configured
    from platformdirs import user_data_dir  # imported late: only when no database is named

    return os.path.join(user_data_dir("Clienteling", appauthor=False), "clienteling.db")


def chosen_database(given: str | None) -> str:
    """``--db``, else ``CLIENTELING_DB``, else the user data folder — checked (one line and
    exit status 2 when unusable), before Qt or the engine touches it."""
    if given:
        return writable_database(given)
    configured = os.environ.get("CLIENTELING_DB")
    if configured:
        return writable_database(configured, source="CLIENTELING_DB")
    return writable_database(default_database(), source="the user data folder's database",
                             make_folder=True)
