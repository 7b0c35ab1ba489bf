"""A first sync's snapshot (SPEC §7): every synced record, paged by keyset ``(type, id)``.

Types come in the registry's dependency order (``engine.entities``) so a till can insert
each page as it arrives; within a type rows come in id order, and a page resumes after the last
``(type, id)`` it returned — never OFFSET, so a page costs the same at row 1 and at row
300,000, and a cancelled first sync resumes where it stopped.

Why a snapshot read over many transactions is still exact: each page carries ``cursor``, the
highest change-log seq visible to the page's read transaction, read *before* the page's
rows. A till keeps the cursor of its FIRST page and, once the snapshot is done, reads the
change feed from there. By the feed's ordering argument (``hub.changes``: seqs become
visible in commit order), every change with seq <= that cursor was committed before any row
was read, so every row of every later page already reflects it. A row read on a later page
may also reflect changes after the cursor (it is newer than the first page) — harmless: the
feed from the first cursor repeats those changes, and each feed entry carries the record's
state at or after its change (stored when first served, ``engine.services.feed``), so a
record's last entry carries its latest state (or a delete): applying them in order
converges on the hub's state. A row
created after the cursor and read by the snapshot comes again as an upsert; a row deleted
after the cursor but read earlier comes again as a delete. What the till must never do is
start the feed from a LATER page's cursor: changes to rows on earlier pages, made between
the pages, would then be lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, Date, String, Table, func, select, true, type_coerce

from clienteling.engine import wire_rows
from clienteling.engine.context import Context
from clienteling.engine.entities import BY_NAME, ENTITIES, NAMES, ChildRows, SyncedType, models
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import ChangeLog
from clienteling.engine.types import Money, UTCDateTime

# Each synced type's model in the registry's dependency order (``entities.models()``), for
# the sync side that looks a type's model up by name.
SYNC_TYPES: dict[str, Any] = models()
_CHILD_CHUNK = 500  # ids per IN (...): well under every backend's bound-parameter limit
DEFAULT_SNAPSHOT_PAGE = 1000
MAX_SNAPSHOT_PAGE = 5000


@dataclass(frozen=True)
class RecordsPage:
    """A snapshot page of records that the ``wire`` renderers take (the entries format)."""

    cursor: int  # the highest change-log seq visible when this page was read
    rows: list[tuple[str, Any]]  # (type, Record), in (type order, id) order
    totals: dict[str, int]  # rows of each type when this page was read
    next: str | None  # resume token, None when this was the last page


class Record:
    """A row read with a Core select, with its columns as attributes (and a benefit's or
    reward's ``definition``, a profile's ``identities``, a redemption's ``items``), so the
    ``wire`` renderers read it as they read a model instance.

    Why not ORM instances: building, identity-mapping and lazy-loading ~300,000 of them was
    most of the time a first sync spent on the hub (docs/performance.md)."""

    def __init__(self, values: Any) -> None:
        self.__dict__.update(values)


def _records(result: Any) -> list[Any]:
    keys = list(result.keys())  # once per result: a row's own _mapping is slow to build
    return [Record(zip(keys, row, strict=True)) for row in result]


def _children(s: Any, kind: SyncedType, declared: ChildRows,
              ids: list[str]) -> dict[str, list[Any]]:
    """Each parent's child rows, in the order its model's relationship loads them: the order
    the feed renders them in (a redemption's items by position), so a record reads the same
    from the snapshot and from the feed."""
    out: dict[str, list[Any]] = defaultdict(list)
    table, key = declared.table, declared.parent_key
    column = table.c[key]
    loaded = kind.model.__mapper__.relationships[declared.label].order_by
    for start in range(0, len(ids), _CHILD_CHUNK):
        query = select(table).where(column.in_(ids[start:start + _CHILD_CHUNK]))
        if loaded:
            query = query.order_by(column, *loaded)
        for record in _records(s.execute(query)):
            out[getattr(record, key)].append(record)
    return out


def parse_token(token: str | None) -> tuple[int, str | None]:
    """(index of the type, last id returned) from a ``next`` token: ``<type>:<id>``."""
    if token is None or token == "":
        return 0, None
    kind, sep, last = token.partition(":")
    if not sep or kind not in BY_NAME or not 1 <= len(last) <= 200:
        raise ValidationError.field("next", "is not a token this hub gave (use the meta.next "
                                    "of the previous page, or leave it out to start)")
    return NAMES.index(kind), last


def _keyset(s: Any, index: int, last: str | None, limit: int,
            read: Callable[[str, str | None, int], list[Any]],
            id_of: Callable[[Any], str]) -> tuple[list[tuple[str, list[Any]]], str | None]:
    """Up to ``limit`` rows from ``(index, last)`` on, type by type: each type's rows (read
    by ``read(kind, after_id, wanted)``, in id order) and the next page's token (None when
    this page reached the end)."""
    kinds = NAMES
    out: list[tuple[str, list[Any]]] = []
    taken = 0
    while index < len(kinds) and taken < limit:
        kind = kinds[index]
        wanted = limit - taken
        got = read(kind, last, wanted)
        if got:
            out.append((kind, got))
            taken += len(got)
        if len(got) < wanted:
            index, last = index + 1, None
        else:
            last = id_of(got[-1])
    # More types left means the page filled up (limit >= 1), so it has a last row.
    next_token = f"{out[-1][0]}:{id_of(out[-1][1][-1])}" if index < len(kinds) else None
    return out, next_token


def _opening(s: Any, *, count: bool = True) -> tuple[int, dict[str, int]]:
    # The cursor first: every row read after it reflects every change up to it.
    cursor = int(s.scalar(select(func.coalesce(func.max(ChangeLog.seq), 0))) or 0)
    totals = {kind.name: int(s.scalar(select(func.count()).select_from(kind.table)) or 0)
              for kind in ENTITIES} if count else {}
    return cursor, totals


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_SNAPSHOT_PAGE:
        raise ValidationError.field("limit", f"must be between 1 and {MAX_SNAPSHOT_PAGE}")


def snapshot_records(ctx: Context, token: str | None, limit: int) -> RecordsPage:
    """One page of at most ``limit`` rows after ``token`` (see the module docstring)."""
    _check_limit(limit)
    index, last = parse_token(token)
    with ctx.reading() as s:
        cursor, totals = _opening(s)

        def read(name: str, after: str | None, wanted: int) -> list[Any]:
            kind = BY_NAME[name]
            table = kind.table
            query = select(table).order_by(table.c.id).limit(wanted)
            if after is not None:
                query = query.where(table.c.id > after)
            got = _records(s.execute(query))
            if not got:
                return got
            embeds = kind.embeds
            if embeds is not None:
                # The few definitions, read once per page; the renderers compute a
                # benefit's state from its definition.
                held = {d.id: d for d in _records(s.execute(select(BY_NAME[embeds.type].table)))}
                for record in got:
                    setattr(record, embeds.attribute, held[getattr(record, embeds.key)])
            declared = kind.children
            if declared is not None:
                children = _children(s, kind, declared, [r.id for r in got])
                for record in got:
                    setattr(record, declared.label, children.get(record.id, []))
            return got

        blocks, next_token = _keyset(s, index, last, limit, read, lambda r: str(r.id))
    rows = [(kind, record) for kind, got in blocks for record in got]
    return RecordsPage(cursor, rows, totals, next_token)


@dataclass(frozen=True)
class RowsBlock:
    """One type's rows of a rows-v2 page (``engine.wire_rows``): column names, then one tuple
    per record in that order, values in the till's storage form; and its child block."""

    type: str
    columns: list[str]
    rows: list[tuple[Any, ...]]
    child_columns: list[str] | None = None
    child_rows: list[tuple[Any, ...]] | None = None


@dataclass(frozen=True)
class RowsPage:
    """A snapshot page in the rows-v2 format: one ``RowsBlock`` per type on the page."""

    cursor: int
    blocks: list[RowsBlock]
    totals: dict[str, int]
    next: str | None


def _stored_instant(value: Any) -> Any:
    """An instant as a till's SQLite file stores it. SQLite hubs hand over their stored text
    as it is (already that form); PostgreSQL's ``timestamptz`` comes as an aware datetime."""
    if value is None or (type(value) is str and len(value) == 26 and value[10] == " "
                         and wire_rows.INSTANT.fullmatch(value)):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def _stored_day(value: Any) -> Any:
    return value if value is None or type(value) is str else value.isoformat()


def _stored_json(value: Any) -> Any:
    """A JSON column's value from a SQLite hub's stored text (orjson: a few times quicker than
    the type's ``json.loads``); SQL NULL and JSON null are both None, as the type reads them."""
    return None if value is None else orjson.loads(value)


def _selectable(table: Table, names: list[str], dialect: str) -> list[Any]:
    """The columns to select, read in storage form where the type would convert them:
    instants and dates as the driver gives them (text on SQLite), money as its cents, and on
    SQLite JSON as its stored text."""
    out: list[Any] = []
    for name in names:
        column = table.c[name]
        if isinstance(column.type, UTCDateTime | Date) or (
                dialect == "sqlite" and isinstance(column.type, JSON)):
            out.append(type_coerce(column, String).label(name))
        elif isinstance(column.type, Money):
            out.append(type_coerce(column, BigInteger).label(name))
        else:
            out.append(column)
    return out


def _encoders(table: Table, names: list[str],
              dialect: str) -> list[Callable[[tuple[Any, ...]], tuple[Any, ...]] | None]:
    """Per column, what turns the selected values into their storage form (None: nothing)."""
    out: list[Callable[[tuple[Any, ...]], tuple[Any, ...]] | None] = []
    for name in names:
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            out.append(_stored_instants)
        elif isinstance(kind, Date):
            out.append(lambda column: tuple(map(_stored_day, column)))
        elif dialect == "sqlite" and isinstance(kind, JSON):
            out.append(lambda column: tuple(map(_stored_json, column)))
        else:
            out.append(None)
    return out


def _stored_instants(column: tuple[Any, ...]) -> tuple[Any, ...]:
    # A SQLite hub's column is already the storage text: checked at once, passed as it is.
    present = [v for v in column if v is not None]
    if set(map(type, present)) <= {str} and all(map(wire_rows.INSTANT.fullmatch, present)):
        return column
    return tuple(map(_stored_instant, column))


def _read_rows(s: Any, table: Table, names: list[str], where: Any,
               order: list[Any], limit: int | None = None) -> list[tuple[Any, ...]]:
    dialect = s.get_bind().dialect.name
    query = select(*_selectable(table, names, dialect)).where(where).order_by(*order)
    if limit is not None:
        query = query.limit(limit)
    rows = s.execute(query).all()
    if not rows:
        return []
    encoders = _encoders(table, names, dialect)
    if not any(encoders):
        return list(map(tuple, rows))
    # Column by column: one map per column instead of a call per value per row.
    columns = list(zip(*rows, strict=True))
    for n, encode in enumerate(encoders):
        if encode is not None:
            columns[n] = encode(columns[n])
    return list(zip(*columns, strict=True))


def snapshot_rows(ctx: Context, token: str | None, limit: int) -> RowsPage:
    """``snapshot_records`` in the rows-v2 format (``engine.wire_rows``): the same rows, in the
    same order, with the same tokens and cursor, so a till may switch formats between pages.

    Staff come with their PIN hashes: withholding those a device may not receive is the
    hub's (``hub.snapshot``). ``totals`` are counted for the first page only (empty on the
    others): a till reads them from its first page for its progress bar, and counting every
    table on every page was a few seconds of a 100,000-profile first sync."""
    _check_limit(limit)
    index, last = parse_token(token)
    with ctx.reading() as s:
        cursor, totals = _opening(s, count=token is None)

        def read(name: str, after: str | None, wanted: int) -> list[Any]:
            kind = BY_NAME[name]
            table = kind.table
            where = table.c.id > after if after is not None else true()
            return _read_rows(s, table, kind.columns, where, [table.c.id], wanted)

        blocks, next_token = _keyset(s, index, last, limit, read, lambda r: str(r[0]))
        out: list[RowsBlock] = []
        for name, rows in blocks:
            kind = BY_NAME[name]
            names = kind.columns
            declared = kind.children
            if declared is None:
                out.append(RowsBlock(name, names, rows))
                continue
            child_table, key = declared.table, declared.parent_key
            child_names = declared.columns
            order = [child_table.c[key], *(child_table.c[n] for n in declared.order)]
            ids = [r[0] for r in rows]
            children: list[tuple[Any, ...]] = []
            for start in range(0, len(ids), _CHILD_CHUNK):
                children += _read_rows(s, child_table, child_names,
                                       child_table.c[key].in_(ids[start:start + _CHILD_CHUNK]),
                                       order)
            out.append(RowsBlock(name, names, rows, child_names, children))
    return RowsPage(cursor, out, totals, next_token)
