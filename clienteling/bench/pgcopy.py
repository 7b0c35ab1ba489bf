"""The bench data set (a SQLite file) copied into an empty PostgreSQL database, fast, so a
PostgreSQL hub can be measured holding the same rows (``hubreports``).

Going through the engine would take as long as building the set through it (the reason
``dataset`` writes with plain :mod:`sqlite3`); so, as ``dataset`` does for SQLite:

1. the empty database is migrated by the engine itself (``Clienteling.open(url, mode="hub")``),
   so the schema is exactly the hub's, and the file must be at the same migration;
2. in one transaction: every table but the migration's own and the liability totals is
   emptied; the foreign keys, the secondary indexes and the ``report_totals`` triggers are
   dropped (a trigger firing per row, and an index or foreign key checked per row, cost more
   than the rows); each table is copied with ``COPY … FROM STDIN`` in the file's own order
   (the data set's rows are in key order); the indexes are rebuilt once each from their own
   definitions, the foreign keys added back (validated in one pass each), the sequences set
   past the copied rows, and the totals recounted with the triggers back
   (:func:`clienteling.engine.report_totals.rebuild_statements`), as the migration fills them;
3. ``VACUUM ANALYZE`` (the state autovacuum keeps a running hub in).

Values are sent as COPY's text, which PostgreSQL reads with each column's own input
function: SQLite's stored forms are already that text. Instants are naive UTC text
(``2026-03-04 05:06:07.891011``), read in a session whose time zone is UTC whatever the
server's; booleans are 0/1, which ``boolean`` reads as false/true; JSON is its text; money
is whole cents in both. The kept digests (``digest_rows``, ``digest_buckets``) are copied as
they are, since a record's fingerprint is the same on both backends, so the hub keeps them
right as it writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from clienteling.bench.hubserver import pg_conninfo
from clienteling.engine import report_totals
from clienteling.engine.errors import DomainError
from clienteling.engine.services import Clienteling

#: Not copied: the migration's own record, and the totals, which are recounted from the rows.
NOT_COPIED = ("alembic_version", report_totals.TABLE, report_totals.DELTAS)
FETCH = 5_000
#: For the index builds and the foreign keys' validation (one sort each, in memory).
WORK_MEM = "256MB"

Progress = Callable[[str], None]


def copy_to_postgres(source: Path, url: str, progress: Progress = lambda _m: None
                     ) -> dict[str, int]:
    """Copy the SQLite database ``source`` into the PostgreSQL database ``url`` (empty, or a
    hub's: what it holds is replaced). Returns the rows copied, by table."""
    import psycopg
    from psycopg import sql

    Clienteling.open(url, mode="hub").close()  # the schema, by the engine's migrations
    copied: dict[str, int] = {}
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as lite, \
            psycopg.connect(**pg_conninfo(url), autocommit=True) as pg:
        _same_migration(lite, pg, source)
        tables = _tables(pg)
        columns = {t: _columns(lite, pg, t) for t in tables}
        with pg.transaction():
            pg.execute("SET LOCAL TIME ZONE 'UTC'")  # naive instants are UTC
            pg.execute(f"SET LOCAL maintenance_work_mem = '{WORK_MEM}'")
            pg.execute(sql.SQL("TRUNCATE {}").format(
                sql.SQL(", ").join(sql.Identifier(t) for t in tables)))
            foreign = _foreign_keys(pg)
            for table, name, _definition in foreign:
                pg.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(table), sql.Identifier(name)))
            indexes = _indexes(pg, tables)
            for name, _definition in indexes:
                pg.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            for statement in report_totals.drop_trigger_statements("postgresql"):
                pg.execute(statement)
            for table in tables:
                copied[table] = _copy_table(lite, pg, table, columns[table], progress)
            for name, definition in indexes:
                progress(f"pgcopy: index {name}")
                pg.execute(definition)
            progress("pgcopy: foreign keys")
            for table, name, definition in foreign:
                pg.execute(sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                    sql.Identifier(table), sql.Identifier(name)) + sql.SQL(definition))
            _sequences(pg, tables)
            progress("pgcopy: the liability report's totals")
            for statement in [*report_totals.create_trigger_statements("postgresql"),
                              *report_totals.rebuild_statements("postgresql")]:
                pg.execute(statement)
        # VACUUM as well: a hub that has run a while has had autovacuum mark its pages all
        # visible, so the reports' covering indexes are read without visiting the table;
        # rows just copied are not marked until a VACUUM.
        progress("pgcopy: VACUUM ANALYZE")
        pg.execute("VACUUM ANALYZE")
    return copied


def _same_migration(lite: sqlite3.Connection, pg: Any, source: Path) -> None:
    file_at = lite.execute("SELECT version_num FROM alembic_version").fetchone()
    pg_at = pg.execute("SELECT version_num FROM alembic_version").fetchone()
    if file_at != pg_at:
        raise DomainError(f"{source} is at migration {file_at and file_at[0]}, PostgreSQL at "
                          f"{pg_at and pg_at[0]}: open the file with this version first")


def _tables(pg: Any) -> list[str]:
    rows = pg.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                      "current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [name for (name,) in rows if name not in NOT_COPIED]


def _columns(lite: sqlite3.Connection, pg: Any, table: str) -> list[str]:
    """The table's columns in PostgreSQL's order; both sides must have the same ones."""
    theirs = [r[1] for r in lite.execute(f'PRAGMA table_info("{table}")')]
    ours = [name for (name,) in pg.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = %s ORDER BY ordinal_position", (table,))]
    if sorted(theirs) != sorted(ours):
        raise DomainError(f"table {table}: the SQLite file has columns {sorted(theirs)}, "
                          f"PostgreSQL {sorted(ours)}")
    return ours


def _foreign_keys(pg: Any) -> list[tuple[str, str, str]]:
    return [tuple(r) for r in pg.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
        "FROM pg_constraint c WHERE c.contype = 'f' "
        "AND c.connamespace = current_schema()::regnamespace ORDER BY 1, 2")]


def _indexes(pg: Any, tables: list[str]) -> list[tuple[str, str]]:
    """Secondary indexes (not a primary key's or a unique constraint's) of ``tables``."""
    return [(name, definition) for name, definition in pg.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY 1", (tables,))]


def _copy_table(lite: sqlite3.Connection, pg: Any, table: str, columns: list[str],
                progress: Progress) -> int:
    from psycopg import sql

    total = lite.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    if not total:
        return 0
    progress(f"pgcopy: {table} ({total:,} rows)")
    names = ", ".join(f'"{c}"' for c in columns)
    rows = lite.execute(f'SELECT {names} FROM "{table}"')
    done = 0
    with pg.cursor() as cur, cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in columns))) as copy:
        while batch := rows.fetchmany(FETCH):
            for row in batch:
                copy.write_row(row)
            done += len(batch)
    if done != total:
        raise RuntimeError(f"table {table}: copied {done} rows of {total}")
    return done


def _sequences(pg: Any, tables: list[str]) -> None:
    """Each serial column's sequence past the rows copied, so the next insert does not
    collide with them."""
    found = pg.execute(
        "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), "
        "column_name) FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL").fetchall()
    from psycopg import sql

    for table, column, sequence in found:
        if table not in tables:
            continue
        pg.execute(sql.SQL("SELECT setval(%s, coalesce(max({}), 0) + 1, false) FROM {}").format(
            sql.Identifier(column), sql.Identifier(table)), (sequence,))

