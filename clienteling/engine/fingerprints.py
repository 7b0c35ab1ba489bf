"""A synced record's fingerprint: 64 bits of the SHA-256 of the canonical JSON of its synced
stored columns (the id first) and of the rows it owns (SPEC §6 "Verify"): keys sorted,
instants in UTC, money as whole cents (as stored on both backends).

What is covered is the registry's (``engine.entities``: ``SyncedType.digest_columns``,
``ChildRows``). Left out: what a till keeps for itself (a staff member's ``failed_attempts``
and ``locked_until``), search keys derived from the record, and anything computed from "now"
(``is_expired``, ``is_redeemable`` are never stored), which would make equal copies differ by
the clock. Values are read with Core through the column types, so a till's SQLite and the
hub's PostgreSQL give the same Python values (aware UTC datetimes, exact Decimals) and the
same fingerprints.

A record's *bucket* is the first byte of the SHA-256 of its id (the first two hex digits of
the id hash the drill-down walks): ids may be chosen by a client, and hashing spreads any ids
evenly. Fingerprints are added into their bucket mod 2**64 (``engine.digest_keeper``), so a
bucket's value does not depend on the order its records were written in, and one change
updates it by taking the old fingerprint out and adding the new one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    Table,
    bindparam,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from clienteling.engine import wire_rows
from clienteling.engine.entities import SyncedType
from clienteling.engine.types import Money, UTCDateTime

MASK = (1 << 64) - 1
BUCKETS = 256
# Ids per IN list (SQLite's default limit on parameters is far above; this keeps statements
# small) and records per page of a full read (memory stays flat at any size).
_SLICE = 500
_PAGE = 5000

Scope = Callable[[str, str], bool]
"""(role, store id) -> whether a device receives that staff member's PIN hash."""


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form")


def _dumps(values: list[Any]) -> bytes:
    """Canonical JSON: keys sorted, UTF-8, instants as ISO 8601 in UTC (a naive one is UTC:
    SQLite's stored form, read without the column type's conversion), dates ISO."""
    return orjson.dumps(values, default=_canonical, option=_OPTIONS)


_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC
_NO_CHILDREN: list[Any] = []


def bucket_of(record_id: str) -> int:
    return hashlib.sha256(record_id.encode()).digest()[0]


def id_hash(record_id: str) -> str:
    return hashlib.sha256(record_id.encode()).hexdigest()


def signed(value: int) -> int:
    """An unsigned 64-bit value as the signed BIGINT both backends store."""
    return value - (1 << 64) if value >= 1 << 63 else value


def hex64(value: int) -> str:
    return f"{value & MASK:016x}"


Reader = Connection | Session


class Fingerprints:
    """The fingerprints of one synced type's records, read from a connection or session.

    ``scope`` (the hub, answering one device): a staff member outside it is fingerprinted
    with the registry's withheld PIN hash, as that device stored them."""

    def __init__(self, kind: SyncedType, scope: Scope | None = None) -> None:
        self.kind = kind
        self.table = kind.table
        view = kind.device_view
        self.scope = scope if view is not None else None
        if view is not None:
            names = kind.digest_columns
            self._at_role, self._at_store = (names.index(n) for n in view.scope)
            self._at_pin, self._withheld = names.index(view.column), view.withheld

    def of_ids(self, s: Reader, ids: Sequence[str]) -> dict[str, int]:
        """id -> fingerprint of those of ``ids`` that exist."""
        out: dict[str, int] = {}
        conn = s.connection() if isinstance(s, Session) else s
        by_ids, children_of = _statements(self.kind, conn.dialect.name)
        for start in range(0, len(ids), _SLICE):
            part = list(ids[start:start + _SLICE])
            rows = conn.execute(by_ids, {"ids": part}).all()
            if not rows:
                continue
            children = ({} if children_of is None else
                        _order(self.kind, _grouped(conn.execute(children_of, {"ids": part}))))
            for row in rows:
                record_id, value = self._one(row, children)
                out[record_id] = value
        return out

    def of_written(self, rows: Iterable[Mapping[str, Any]],
                   children: Iterable[Mapping[str, Any]] = ()) -> dict[str, int]:
        """id -> fingerprint of new records from the Python values just bound for them (each
        row a record's columns by name, each child row its columns by name), as ``of_ids``
        would read them back: money as its cents, instants in UTC, JSON as its text parses
        (``json.loads`` of ``json.dumps``, the JSON type's round trip). A writer that made the
        records itself skips reading them back (a hub import's million profiles, issue 16)."""
        kind = self.kind
        read, parent_key, child_read = _written_plan(kind)
        owned: dict[str, list[Any]] = {}
        if kind.children is not None:
            for child in children:
                owned.setdefault(child[parent_key], []).append(
                    [child[n] if f is None else f(child[n]) for n, f in child_read])
            _order(kind, owned)
        return dict(self._one([v if f is None else f(v) for v, f in
                               ((row[name], f) for name, f in read)], owned) for row in rows)

    def all(self, s: Reader) -> Iterator[tuple[str, int]]:
        """(id, fingerprint) of every record, in id order, a page at a time."""
        key = self.table.c.id
        conn = s.connection() if isinstance(s, Session) else s
        columns = _columns(self.kind, conn.dialect.name)
        last: str | None = None
        while True:
            query = select(*columns).order_by(key).limit(_PAGE)
            if last is not None:
                query = query.where(key > last)
            rows = conn.execute(query).all()
            if not rows:
                return
            children = self._children_between(conn, rows[0][0], rows[-1][0])
            for row in rows:
                yield self._one(row, children)
            if len(rows) < _PAGE:
                return
            last = rows[-1][0]

    def of_stored(self, values: Mapping[str, Sequence[Any]],
                  children: Mapping[str, Sequence[Any]] | None) -> dict[str, int]:
        """id -> fingerprint of a rows-v2 block as the remote door writes it: its columns in
        the till's storage form (``engine.wire_rows``), children included. The same values
        the read path gets back from the rows it writes, without reading them back (a first
        sync's pages spent twice as long reading their own rows back as writing them)."""
        kind = self.kind
        rules = wire_rows.RULES[kind.name]
        names = kind.digest_columns
        columns = [_python(values[n], "text" if n == "id" else rules[n].kind) for n in names]
        owned: dict[str, list[Any]] = {}
        declared = kind.children
        if children is not None and declared is not None:
            child_rules = wire_rows.CHILD_RULES[kind.name]
            child_names = _child_names(kind)
            child_columns = [_python(children[n], child_rules[n].kind) for n in child_names]
            for owner, *rest in zip(*child_columns, strict=True):
                owned.setdefault(owner, []).append(rest)
            _order(kind, owned)
        if self.scope is not None:
            return dict(self._one(row, owned) for row in zip(*columns, strict=True))
        # ``_one`` inlined: a first sync fingerprints every record it writes this way.
        sha, dumps, number, none = hashlib.sha256, orjson.dumps, int.from_bytes, _NO_CHILDREN
        return {row[0]: number(sha(dumps([*row, owned.get(row[0], none)], default=_canonical,
                                         option=_OPTIONS)).digest()[:8], "big")
                for row in zip(*columns, strict=True)}

    def _one(self, row: Any, children: dict[str, list[Any]]) -> tuple[str, int]:
        values = list(row)
        record_id = values[0]
        scope = self.scope
        if scope is not None and not scope(values[self._at_role], values[self._at_store]):
            values[self._at_pin] = self._withheld
        values.append(children.get(record_id, []))
        digest = hashlib.sha256(_dumps(values)).digest()
        return record_id, int.from_bytes(digest[:8], "big")

    def _children_between(self, s: Reader, first: str, last: str) -> dict[str, list[Any]]:
        if self.kind.children is None:
            return {}
        key, query = _children_query(self.kind)
        return _order(self.kind, _grouped(s.execute(query.where(key >= first, key <= last))))


def _child_names(kind: SyncedType) -> list[str]:
    """A child row's synced columns, the parent's id first (the digest leaves the derived
    id out)."""
    declared = kind.children
    assert declared is not None
    key = declared.parent_key
    return [key, *(n for n in declared.columns if n != key)]


def _children_query(kind: SyncedType) -> Any:
    """The rows a record owns (their own ids are not synced): each row's synced columns, the
    parent's id first; in parent order (``_order`` sorts each parent's rows)."""
    declared = kind.children
    assert declared is not None
    table, key = declared.table, declared.parent_key
    columns = [type_coerce(table.c[n], BigInteger()).label(n)
               if isinstance(table.c[n].type, Money) else table.c[n] for n in _child_names(kind)]
    return table.c[key], select(*columns).order_by(table.c[key])


def _order(kind: SyncedType, owned: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Each parent's rows in the declared order, compared in Python: SQL would order text by
    the database's collation, which PostgreSQL and SQLite need not share."""
    declared = kind.children
    assert declared is not None
    names = _child_names(kind)[1:]
    at = [names.index(n) for n in declared.order]

    def key(row: list[Any]) -> tuple[Any, ...]:
        return tuple((row[n] is not None, row[n]) for n in at)

    for rows in owned.values():
        if len(rows) > 1:
            rows.sort(key=key)
    return owned


def of_appended(kinds: Iterable[SyncedType], rows: Sequence[tuple[Table, Mapping[str, Any]]],
                wanted: Mapping[str, Iterable[str]]) -> dict[str, dict[str, int]]:
    """type -> id -> fingerprint of the ``wanted`` records among rows a unit of work appended
    (``UnitOfWork.append``: a redemption and its items, written once with Core INSERTs and
    never changed in that transaction), from the values bound, in the order written (a
    parent written again after a savepoint was undone starts over with its new children).

    Why: reading a redeem's new redemption back to fingerprint it was two of its statements
    (the row, its items) on the hub. A row with an unset column that has a default (which the
    INSERT filled in, and these values do not hold) is left out, to be read back."""
    parents, children, by_name = _by_table(tuple(kinds))
    made: dict[tuple[str, Any], Mapping[str, Any] | None] = {}
    owned: dict[tuple[str, Any], list[Mapping[str, Any]]] = {}
    for table, values in rows:
        kind = parents.get(table.name)
        if kind is not None:
            key = (kind.name, values.get("id"))
            made[key] = _filled(table, values, _written_plan(kind)[0])
            owned[key] = []
            continue
        kind = children.get(table.name)
        if kind is not None:
            assert kind.children is not None
            key = (kind.name, values.get(kind.children.parent_key))
            plan = _written_plan(kind)
            child = _filled(table, values, [(plan[1], None), *plan[2]])
            if key in owned and child is not None:
                owned[key].append(child)
            else:
                made[key] = None
    out: dict[str, dict[str, int]] = {}
    for entity_type, ids in wanted.items():
        kind = by_name.get(entity_type)
        if kind is None:
            continue
        for record_id in ids:
            written = made.get((entity_type, record_id))
            if written is not None:
                out.setdefault(entity_type, {}).update(Fingerprints(kind).of_written(
                    [written], owned[(entity_type, record_id)]))
    return out


_Kinds = dict[str, SyncedType]
_BY_TABLE: dict[tuple[str, ...], tuple[_Kinds, _Kinds, _Kinds]] = {}


def _by_table(kinds: tuple[SyncedType, ...]) -> tuple[_Kinds, _Kinds, _Kinds]:
    """Table name -> type, for the types' own tables and for their children's; and type
    name -> type. Built once per set of types."""
    key = tuple(kind.name for kind in kinds)
    found = _BY_TABLE.get(key)
    if found is None:
        parents = {kind.table.name: kind for kind in kinds}
        children = {kind.children.table.name: kind for kind in kinds
                    if kind.children is not None}
        found = _BY_TABLE[key] = (parents, children, {kind.name: kind for kind in kinds})
    return found


def _filled(table: Table, values: Mapping[str, Any],
            plan: _Plan) -> dict[str, Any] | None:
    """``values`` with None for the columns of ``plan`` left unbound that have no default
    (the INSERT wrote NULL); None when one left unbound has a default."""
    out = dict(values)
    for name, _ in plan:
        if name not in out:
            column = table.c[name]
            if column.default is not None or column.server_default is not None:
                return None
            out[name] = None
    return out


_Plan = list[tuple[str, Callable[[Any], Any] | None]]
_WRITTEN_PLANS: dict[str, tuple[_Plan, str, _Plan]] = {}


def _written_plan(kind: SyncedType) -> tuple[_Plan, str, _Plan]:
    """A type's columns with how each comes back on the read path, its children's parent
    key and theirs; built once per type (a redeem fingerprints its new redemption this way,
    and building them cost more than using them)."""
    found = _WRITTEN_PLANS.get(kind.name)
    if found is None:
        read = [(name, _read_back(kind.table.c[name].type)) for name in kind.digest_columns]
        parent_key, child_read = "", []
        if kind.children is not None:
            names = _child_names(kind)
            table = kind.children.table
            parent_key = names[0]
            child_read = [(n, _read_back(table.c[n].type)) for n in names[1:]]
        found = _WRITTEN_PLANS[kind.name] = (read, parent_key, child_read)
    return found


def _read_back(column_type: Any) -> Callable[[Any], Any] | None:
    """How a bound value of this column type comes back on the read path, or None when it
    comes back as it was bound (text, days, integers, flags)."""
    if isinstance(column_type, Money):
        return lambda v: None if v is None else Money().process_bind_param(v, None)  # type: ignore[arg-type]
    if isinstance(column_type, UTCDateTime):
        return lambda v: None if v is None else v.astimezone(UTC)
    if isinstance(column_type, JSON):
        return lambda v: v if v is None or (type(v) is dict and not v) else json.loads(
            json.dumps(v))
    return None


def _python(column: Sequence[Any], rule_kind: str) -> Sequence[Any]:
    """A stored-form column as the read path gets it back from SQLite: instants naive UTC,
    days as dates; the rest (cents, flags, JSON, text) are already the same values."""
    if rule_kind == "instant":
        return [None if v is None else datetime.fromisoformat(v) for v in column]
    if rule_kind == "day":
        return [None if v is None else date.fromisoformat(v) for v in column]
    return column


def _columns(kind: SyncedType, dialect: str) -> list[Any]:
    """The digest's columns as read for a fingerprint. Money as its stored whole cents on
    both backends (no Decimal built per value); on SQLite an instant as the naive UTC it is
    stored as (the canonical JSON writes it as UTC either way): reading a million records,
    the column types' conversions cost more than the hashing."""
    out: list[Any] = []
    for name in kind.digest_columns:
        column = kind.table.c[name]
        if isinstance(column.type, Money):
            out.append(type_coerce(column, BigInteger()).label(name))
        elif isinstance(column.type, UTCDateTime) and dialect == "sqlite":
            out.append(type_coerce(column, DateTime()).label(name))
        else:
            out.append(column)
    return out


_STATEMENTS: dict[tuple[str, str], tuple[Any, Any]] = {}


def _statements(kind: SyncedType, dialect: str) -> tuple[Any, Any]:
    """A type's records by ids and their children by parent ids, built once (a unit of work
    reads a few records of a few types: building the statements cost as much as running
    them)."""
    found = _STATEMENTS.get((kind.name, dialect))
    if found is None:
        table = kind.table
        by_ids = select(*_columns(kind, dialect)).where(
            table.c.id.in_(bindparam("ids", expanding=True)))
        children_of = None
        if kind.children is not None:
            key, query = _children_query(kind)
            children_of = query.where(key.in_(bindparam("ids", expanding=True)))
        found = _STATEMENTS[(kind.name, dialect)] = (by_ids, children_of)
    return found


def _grouped(rows: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for owner, *rest in rows:
        out.setdefault(owner, []).append(rest)
    return out
