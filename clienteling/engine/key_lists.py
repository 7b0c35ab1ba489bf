"""Rows whose key columns equal one of many given keys, as one statement per few hundred keys:
the keys are a ``VALUES`` list joined to the table, so each key is one index seek on SQLite and
PostgreSQL alike. Why not ``(a, b) IN (...)``: SQLite answers a row-value ``IN`` by scanning
(a first sync's page looked up 5,000 keys that way per table). The SQL goes straight to the
driver: SQLAlchemy's ``text()`` parsing thousands of named parameters cost more than the
seeks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

SLICE = 300


def matching(conn: Connection, table: str, columns: Sequence[str],
             keys: Sequence[tuple[Any, ...]], select_list: str, *,
             lock: bool = False) -> list[tuple[Any, ...]]:
    """``SELECT select_list FROM table AS d`` for the rows whose ``columns`` equal a key
    (``select_list`` names columns as ``d.<name>``; table and column names are our own).
    ``lock``: ``FOR UPDATE`` of those rows where the backend has it (PostgreSQL)."""
    if not keys:
        return []
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(f"k{n}" for n in range(len(columns)))
    on = " AND ".join(f"d.{c} = v.k{n}" for n, c in enumerate(columns))
    row = f"({', '.join([mark] * len(columns))})"
    tail = " FOR UPDATE OF d" if lock and conn.dialect.name == "postgresql" else ""
    out: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), SLICE):
        part = keys[start:start + SLICE]
        sql = (f"WITH v({names}) AS (VALUES {', '.join([row] * len(part))}) "
               f"SELECT {select_list} FROM v JOIN {table} AS d ON {on}{tail}")
        out.extend(tuple(r) for r in conn.exec_driver_sql(
            sql, tuple(value for key in part for value in key)))
    return out
