"""Opening a database: SQLite done properly (WAL, foreign keys, busy timeout,
immediate write transactions) or PostgreSQL, with the schema brought up to date
by Alembic on open (GUIDE principle 9).
"""

from __future__ import annotations

import json
import os
import select
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session, sessionmaker

from clienteling.engine.checkpoints import Checkpointer
from clienteling.engine.db_errors import DatabaseError, SchemaTooNew, classify, kind_of
from clienteling.engine.errors import DomainError

__all__ = ["BUSY_TIMEOUT_MS", "Database", "DatabaseError", "SchemaTooNew", "connect", "current_revision",
           "migrate", "normalise_url", "open_database"]

MIGRATIONS = Path(__file__).with_name("migrations")
# The connection ``Database.reads_together`` lends to every ``single_read`` inside it.
_READS_TOGETHER: ContextVar[Connection | None] = ContextVar("reads_together", default=None)
BUSY_TIMEOUT_MS = 10_000


@contextmanager
def _sorted_errors(*, writing: bool) -> Iterator[None]:
    """Environmental driver errors leave as the typed errors of ``db_errors``; bugs as they are.

    It wraps the whole transaction (BEGIN, every flush, COMMIT), so a disk that fills at
    commit is caught as surely as one that fills at the first INSERT; the transaction has
    rolled back by the time the typed error reaches the caller.
    """
    try:
        yield
    except (DBAPIError, sqlite3.Error) as exc:
        typed = classify(exc, writing=writing)
        if typed is None:
            raise
        raise typed from exc


def json_text(value: Any) -> str:
    """A JSON column's stored text: exactly ``json.dumps(value)``, SQLAlchemy's default, with
    the commonest values answered without it. Every audit event stores ``before`` and ``meta``
    (usually None, which the JSON type stores as JSON null) and every profile its attributes
    (usually empty): at a hub import's million profiles, three calls a profile (issue 16).
    SQLite's only: psycopg takes a serializer over its own, and is left as it was."""
    if value is None:
        return "null"
    if type(value) is dict and not value:
        return "{}"
    return json.dumps(value)


def normalise_url(database: str | os.PathLike[str]) -> str:
    """Accept a SQLAlchemy URL or a plain file path (``clienteling --db till.db``)."""
    raw = os.fspath(database)
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().resolve()}"


def _sqlite_engine(url: str, *, immediate: bool, checkpointer: Checkpointer | None) -> Engine:
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000},
                           json_serializer=json_text)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is turned off so that we emit BEGIN
        # ourselves: BEGIN IMMEDIATE for writers takes the write lock up front,
        # so two writers never both read a row and then fight to upgrade.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # journal_mode cannot change inside a transaction, so it is set here, first.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        if checkpointer is not None:
            checkpointer.configure(dbapi_connection)

    begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    if checkpointer is not None and immediate:
        # Told as the COMMIT is about to be sent; it checkpoints once the commits pause.
        event.listen(engine, "commit", lambda _conn: checkpointer.nudge())
    return engine


@dataclass
class Database:
    """A database the engine works on: one engine for reads and one for writes.

    On SQLite the write engine opens every transaction with BEGIN IMMEDIATE; on
    PostgreSQL both are the same engine.
    """

    url: str
    reader: Engine
    writer: Engine
    #: Checkpoints a SQLite file's log off the committing thread (``engine.checkpoints``).
    checkpointer: Checkpointer | None = None

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def __post_init__(self) -> None:
        self._read_sessions = sessionmaker(self.reader, expire_on_commit=False)
        self._write_sessions = sessionmaker(self.writer, expire_on_commit=False)
        # SQLite has one writer at a time (BEGIN IMMEDIATE). Threads of this process queue
        # for it here, on a lock that hands over at once, instead of inside SQLite, whose
        # busy handler polls with sleeps of up to 100 ms (the hub's threadpool made that the
        # bottleneck: most of a request's latency was sleeping in BEGIN IMMEDIATE). Other
        # processes (a till's CLI, a second hub worker) are still kept out by SQLite's lock
        # and its busy timeout. Re-entrant, so a nested write in one thread behaves as before.
        self._write_lock: threading.RLock | None = threading.RLock() if self.is_sqlite else None
        # One SELECT needs no transaction around it: on PostgreSQL that saves the BEGIN and
        # ROLLBACK round trips (psycopg sends each on its own). SQLite's are local calls.
        self._single_reads = (self.reader if self.is_sqlite
                              else self.reader.execution_options(isolation_level="AUTOCOMMIT"))

    @contextmanager
    def read(self) -> Iterator[Session]:
        with _sorted_errors(writing=False), self._read_sessions() as session, session.begin():
            yield session

    @contextmanager
    def single_read(self) -> Iterator[Connection]:
        """A Core connection for one read statement (it sees committed data only)."""
        shared = _READS_TOGETHER.get()
        if shared is not None:
            yield shared
            return
        with _sorted_errors(writing=False), self._single_reads.connect() as conn:
            yield conn

    @contextmanager
    def reads_together(self) -> Iterator[None]:
        """Every ``single_read`` inside (in this thread or task) uses one connection: one
        checkout, so on PostgreSQL one ping of the pool instead of one per read (the hub
        reads a request's token, staff member and key this way). Each statement still sees
        what is committed when it runs."""
        with self.single_read() as conn:
            token = _READS_TOGETHER.set(conn)
            try:
                yield
            finally:
                _READS_TOGETHER.reset(token)

    @contextmanager
    def write(self) -> Iterator[Session]:
        if self._write_lock is None:
            with _sorted_errors(writing=True), self._write_sessions() as session, session.begin():
                yield session
            return
        with (_sorted_errors(writing=True), self._write_lock, self._write_sessions() as session,
              session.begin()):
            yield session

    def on_statement(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback`` with each SQL statement, on the thread that runs it, just before it
        runs; returns the call that stops it. The desktop's GUI-thread guard watches this
        without importing SQLAlchemy itself (issue 7)."""
        engines = [self.reader] if self.writer is self.reader else [self.reader, self.writer]

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any, **_kw: Any) -> None:
            callback(statement)

        for engine in engines:
            event.listen(engine, "before_cursor_execute", before)

        def unsubscribe() -> None:
            for engine in engines:
                if event.contains(engine, "before_cursor_execute", before):
                    event.remove(engine, "before_cursor_execute", before)

        return unsubscribe

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.reader.dispose()
        if self.writer is not self.reader:
            self.writer.dispose()


def connect(database: str | os.PathLike[str]) -> Database:
    """Engines for a database URL, without touching the schema."""
    url = normalise_url(database)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"Not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            folder.mkdir(parents=True, exist_ok=True)
        checkpointer = (Checkpointer(parsed.database)
                        if parsed.database not in (None, "", ":memory:") else None)
        reader = _sqlite_engine(url, immediate=False, checkpointer=checkpointer)
        writer = _sqlite_engine(url, immediate=True, checkpointer=checkpointer)
        try:
            # The reader: opening must not wait for the write lock another till process holds.
            with reader.connect() as conn:
                mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        except DBAPIError as exc:  # unreadable, locked, or not a database file at all
            writer.dispose()
            reader.dispose()
            raise _cannot_open(str(parsed.database), exc) from exc
        if parsed.database not in (None, "", ":memory:") and str(mode).lower() != "wal":
            raise DatabaseError(f"Could not switch {parsed.database} to WAL mode (got {mode})")
        return Database(url, reader, writer, checkpointer)
    try:
        # No ``pool_pre_ping``: it cost a round trip (and the hub ~0.3 ms of CPU) on every
        # checkout, two per hub request. ``_closed_by_server`` looks at the idle connection's
        # socket instead, with no round trip. A connection recycled after 30 minutes also
        # bounds how long one a firewall dropped without a word can sit in the pool.
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_recycle=1800)
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"Cannot use database {parsed.render_as_string()}: {exc}") from exc
    event.listen(engine, "checkout", _closed_by_server)
    return Database(url, engine, engine)


def _closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Hand out no pooled connection the server has ended (a restart, a failover,
    ``pg_terminate_backend``): the pool then opens a fresh one for the same checkout.

    An idle connection's socket has nothing to read, unless the server has sent its last
    words (``FATAL: terminating connection``) and closed it, so a readable socket means a
    dead connection; checking costs a system call, not a round trip. The rare harmless
    message that could arrive while idle only costs a new connection."""
    if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
        raise DisconnectionError("the connection was closed")
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return
    try:
        fd = fileno()
    except Exception as exc:  # psycopg raises its own OperationalError once it knows
        raise DisconnectionError("the connection has no socket") from exc
    if _readable(fd):
        raise DisconnectionError("the server closed the connection")


def _readable(fd: int) -> bool:
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLPRI)
        return bool(poller.poll(0))
    return bool(select.select([fd], [], [], 0)[0])  # Windows: no poll(), sockets only


def _scripts() -> Any:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def _is_known(scripts: Any, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except Exception:  # alembic raises its own ResolutionError for a revision it never heard of
        return False


def current_revision(db: Database) -> str | None:
    with db.reader.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):
            return None


def migrate(db: Database) -> None:
    """Bring the schema to this app's head; refuse a schema from a newer app."""
    from alembic import command
    from alembic.config import Config

    scripts = _scripts()
    current = current_revision(db)
    if current == scripts.get_current_head():
        return
    if current is not None and not _is_known(scripts, current):
        raise SchemaTooNew(
            f"This database was written by a newer version of Clienteling (schema {current}); "
            "update the app to open it."
        )
    if current is not None and db.is_sqlite:
        # A till's data is in this one file: keep a copy of it as it was before the schema
        # changes, should the new version have to be rolled back (docs/operations.md).
        from clienteling.engine.backup import backup, sqlite_path

        if sqlite_path(db.url) is not None:
            backup(db.url, reason=f"before-{scripts.get_current_head()}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(database: str | os.PathLike[str], *, migrate_schema: bool = True) -> Database:
    """Connect and (by default) migrate: what the app, the hub and the CLI call."""
    db = connect(database)
    if migrate_schema:
        try:
            migrate(db)
        except DomainError:
            db.dispose()
            raise
        except Exception as exc:
            db.dispose()
            kind = kind_of(exc) if isinstance(exc, DBAPIError) else None
            raise (kind or DatabaseError)(f"Could not prepare the database {db.url}: {exc}") from exc
    return db


def _cannot_open(where: str, exc: DBAPIError) -> DatabaseError:
    """Opening keeps the driver's own words too: the path and its reason help whoever fixes it."""
    kind = kind_of(exc)
    if kind is None:
        return DatabaseError(f"Cannot open the database {where}: {exc.orig}")
    return kind(f"Cannot open the database {where}: {kind.problem[0].lower()}{kind.problem[1:]} "
                f"({exc.orig}). {kind.advice}")
