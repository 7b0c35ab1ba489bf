"""Many new rows of one table as one ``executemany``, values through SQLAlchemy's own column
types, without its per-row parameter machinery on SQLite.

Why: a hub import writes four rows a profile (the profile, its card, its audit event and its
change-feed row). Through a Core ``INSERT`` each row's parameters are assembled into a dict
by the compiled statement, key by key, before the types convert them: at 50,000 profiles that
assembly cost more than the conversions it surrounds (issue 16). Here the statement's text
and each column's bind processor (exactly the function the compiled statement would call,
``TypeEngine.bind_processor`` of the dialect's implementation) are looked up once per table
and set of columns, and each row becomes a tuple for the driver. So the stored values are the
ones Core stores: JSON through the engine's serializer, instants through ``UTCDateTime``.

Only for SQLite's ``qmark`` driver; any other backend gets the Core ``INSERT`` (psycopg's
own batching is the better path there). A column the rows leave out must have no Python-side
default (Core would fill it in per row): such a table takes the Core path too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Insert, Table, insert
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    keys: tuple[str, ...]
    processors: tuple[tuple[int, Processor], ...]  # (position, bind processor)
    memo: frozenset[int] = frozenset()  # positions of instants

    def values(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
        keys = self.keys
        get: Callable[[Mapping[str, Any]], Any] = (
            itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],))
        processors = self.processors
        if not processors:
            return [get(row) for row in rows]
        # An instant is immutable, and the rows of one unit share one (its "now"): the same
        # object converts once per column, not once per row (four an imported profile).
        last: dict[int, tuple[Any, Any]] = {}
        memo = self.memo
        out: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(get(row))
            for at, process in processors:
                value = values[at]
                if at in memo and value is not None:
                    seen = last.get(at)
                    if seen is not None and seen[0] is value:
                        values[at] = seen[1]
                        continue
                    converted = process(value)
                    last[at] = (value, converted)
                    values[at] = converted
                    continue
                # Every value, None included: the JSON type stores None as JSON null.
                values[at] = process(value)
            out.append(tuple(values))
        return out


# Per dialect object (an engine's; its JSON serializer is the engine's), dropped with it.
_PLANS: WeakKeyDictionary[Dialect, dict[tuple[str, tuple[str, ...]], _Plan | None]] = (
    WeakKeyDictionary())
_INSERTS: dict[str, Insert] = {}


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT ``rows`` (each naming the same columns, in order) into ``table``."""
    if not rows:
        return
    plan = _plan(conn.dialect, table, tuple(rows[0])) if conn.dialect.paramstyle == "qmark" \
        else None
    if plan is None:
        statement = _INSERTS.get(table.name)
        if statement is None:
            statement = _INSERTS[table.name] = insert(table)
        conn.execute(statement, list(rows))
        return
    conn.exec_driver_sql(plan.sql, plan.values(rows))


def _plan(dialect: Dialect, table: Table, keys: tuple[str, ...]) -> _Plan | None:
    plans = _PLANS.setdefault(dialect, {})
    if (table.name, keys) in plans:
        return plans[(table.name, keys)]
    columns = [table.c[key] for key in keys]
    left_out = [c for c in table.columns if c.key not in keys]
    plan: _Plan | None = None
    if not any(c.default is not None for c in left_out):
        processors, memo = [], set()
        for at, column in enumerate(columns):
            process = column.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors.append((at, process))
                if _python_type(column.type) is datetime:
                    memo.add(at)
        quote = dialect.identifier_preparer.quote
        sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in columns)}) "
               f"VALUES ({', '.join('?' for _ in columns)})")
        plan = _Plan(sql, keys, tuple(processors), frozenset(memo))
    plans[(table.name, keys)] = plan
    return plan


def _python_type(column_type: Any) -> type | None:
    # A TypeDecorator (``UTCDateTime``) answers ``object``; its implementation knows.
    column_type = getattr(column_type, "impl_instance", column_type)
    try:
        found: type = column_type.python_type
    except NotImplementedError:
        return None
    return found
