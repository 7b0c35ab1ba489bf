"""The door for remote changes: records other tills made, received from the hub's change feed
(SPEC §7), applied to this till's database.

``RemoteService.apply(entries, cursor=...)`` takes the feed's entries
``{"type", "id", "op": "upsert" | "delete", "data"}`` and, in ONE transaction with the new
cursor (setting ``sync.cursor``), upserts each record by id and deletes the deleted ones with
Core bulk statements (``INSERT … ON CONFLICT (id) DO UPDATE`` per table, executemany).

What it does not do, on purpose:

- no audit event and no outbox entry: the audit chain is the record of what was done at
  *this* till, and a change that came from the hub must not be sent back to it;
- no write over a record this till still has a change for (a pending or in-flight outbox
  entry that creates or changes it): the till's version stands until the hub has answered,
  and the next page of the feed brings the hub's version. Such records are reported in
  ``RemoteResult.skipped``.

Tables, write order, children and till-local columns come from the registry of synced types
(``engine.entities``). Till-local columns stay the till's: a staff member's failed PIN
attempts and lock, and the profile search keys (recomputed from the names, as
``ProfileService`` does). A profile's identities and a redemption's items are replaced as a
whole with their parent.

Every entry is checked before anything is written: one bad record refuses the whole call
with a ``ValidationError`` naming its type, id and field, and nothing changes. Listeners
hear one ``Changes(origin="remote")`` per call that changed something.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from clienteling.engine import report_totals, wire_rows
from clienteling.engine.changes import Changes, areas_of
from clienteling.engine.context import Context
from clienteling.engine.digest_keeper import keep
from clienteling.engine.entities import BY_NAME, ENTITIES, NAMES, parse
from clienteling.engine.errors import ValidationError
from clienteling.engine.fingerprints import Fingerprints
from clienteling.engine.key_lists import matching
from clienteling.engine.models import KeyValue, OutboxEntity, OutboxEntry
from clienteling.engine.services.outbox import UNCONFIRMED
from clienteling.engine.wire_in import Parsed, child_id, refusal
from clienteling.engine.wire_rows import Block, Checked, check_block

CURSOR_KEY = "sync.cursor"
# The SQL of indexes a first sync dropped while it loads (``apply(defer_indexes=True)``).
DEFERRED_INDEXES = "sync.deferred_indexes"
# Tables whose secondary indexes a first sync may build after loading (the registry's
# ``bulk`` types): not the child tables, whose indexes the door's own deletes use (by parent
# id).
_DEFERRABLE = tuple(kind.table.name for kind in ENTITIES if kind.bulk)

_OPS = ("upsert", "delete")
# (table, column) → the rows-v2 rule kind, to turn storage form into Python values.
_KINDS: dict[tuple[str, str], str] = {
    (BY_NAME[kind].table.name, name): rule.kind
    for kind, rules in wire_rows.RULES.items() for name, rule in rules.items()}
_KINDS.update({(child.table.name, name): rule.kind
               for kind, rules in wire_rows.CHILD_RULES.items()
               if (child := BY_NAME[kind].children) is not None
               for name, rule in rules.items()})


@dataclass(frozen=True)
class RemoteResult:
    """What one ``apply`` did: records upserted and deleted, and the (type, id) of those
    skipped because this till still has an unsent change to them."""

    upserted: int
    deleted: int
    skipped: tuple[tuple[str, str], ...]
    cursor: Any


def _insert(conn: Connection, table: Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


@dataclass(frozen=True)
class _Plan:
    """An INSERT compiled once for a table and a set of columns: its SQL and, in parameter
    order, each column's name and the bind processor SQLAlchemy would run on its values."""

    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]


_PLANS: dict[tuple[Any, ...], _Plan | None] = {}
# SQLite's page cache for a connection applying a big page, in KiB (negative: a size, not a
# page count). The default 2 MiB thrashes on random-UUID keys once the tables outgrow it: at
# 100,000 profiles a first sync's inserts took 70.6 s with it and 50.1 s with 64 MiB
# (docs/performance.md). A cache setting only: durability is unchanged. Held lazily, so
# only a till that syncs that much uses the memory.
_BIG_PAGE = 1000
_BIG_CACHE_KIB = 65536


def _plan(conn: Connection, table: Table, columns: tuple[str, ...], upsert: bool,
          keep: frozenset[str]) -> _Plan | None:
    """None where the driver does not take positional parameters (then the statement goes
    through ``Connection.execute``)."""
    key = (conn.dialect.name, table.name, columns, upsert, keep)
    if key in _PLANS:
        return _PLANS[key]
    stmt = _insert(conn, table)
    if upsert:
        stmt = stmt.on_conflict_do_update(
            index_elements=["id"],
            set_={c: stmt.excluded[c] for c in columns if c != "id" and c not in keep})
    compiled = stmt.compile(dialect=conn.dialect, column_keys=list(columns))
    names = compiled.positiontup
    plan = None
    # Only where the compiled statement takes exactly these columns: one with a Python-side
    # default the rows leave out gets it from Connection.execute.
    if conn.dialect.paramstyle == "qmark" and names is not None and set(names) == set(columns):
        bind = compiled._bind_processors  # the processors Connection.execute would apply
        plan = _Plan(compiled.string, tuple(names), tuple(bind.get(n) for n in names))
    _PLANS[key] = plan
    return plan


def _insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], *,
                 upsert: bool = False, keep: frozenset[str] = frozenset()) -> None:
    """``INSERT`` (``… ON CONFLICT (id) DO UPDATE`` with ``upsert``) of ``rows``, one
    executemany, all rows with the same keys.

    Why not ``conn.execute(stmt, rows)``: for each of a page's thousands of rows it
    re-derives the parameters from the compiled statement, which took longer than SQLite's
    inserting them (docs/performance.md). Here the statement is compiled once per table and
    columns, the same bind processors run column by column, and the driver gets tuples."""
    if not rows:
        return
    columns = tuple(rows[0])
    plan = _plan(conn, table, columns, upsert, keep)
    if plan is None:
        stmt = _insert(conn, table)
        if upsert:
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={c: stmt.excluded[c] for c in columns if c != "id" and c not in keep})
        conn.execute(stmt, rows)
        return
    values: list[list[Any]] = []
    for name, process in zip(plan.names, plan.processors, strict=True):
        column = [row[name] for row in rows]
        values.append([process(v) for v in column] if process is not None else column)
    conn.exec_driver_sql(plan.sql, list(zip(*values, strict=True)))


def _insert_columns(conn: Connection, table: Table, values: Mapping[str, Sequence[Any]], *,
                    upsert: bool = False, keep: frozenset[str] = frozenset()) -> None:
    """``_insert_rows`` for values given column by column in SQLite's storage form
    (``wire_rows``): only JSON values go through their type (serialised); instants, dates and
    cents go to the driver as they are."""
    names = tuple(values)
    plan = _plan(conn, table, names, upsert, keep)
    if plan is None:
        # A database that does not take SQLite's storage form (a till is always SQLite):
        # the model's Python values, through Connection.execute.
        python = {name: [wire_rows.python_value(_KINDS.get((table.name, name), "text"), v)
                         for v in column] for name, column in values.items()}
        stmt = _insert(conn, table)
        if upsert:
            stmt = stmt.on_conflict_do_update(
                index_elements=["id"],
                set_={c: stmt.excluded[c] for c in names if c != "id" and c not in keep})
        conn.execute(stmt, [dict(zip(names, row, strict=True))
                            for row in zip(*python.values(), strict=True)])
        return
    columns: list[Sequence[Any]] = []
    for name, process in zip(plan.names, plan.processors, strict=True):
        column = values[name]
        if process is not None and isinstance(table.c[name].type, JSON):
            # None is JSON null (the type's none_as_null is off): most meta columns are.
            column = [_JSON_NULL if v is None else process(v) for v in column]
        columns.append(column)
    conn.exec_driver_sql(plan.sql, list(zip(*columns, strict=True)))


_JSON_NULL = "null"


def _delete_where(conn: Connection, table: Table, names: tuple[str, ...],
                  rows: list[tuple[Any, ...]]) -> None:
    """``DELETE FROM table WHERE name = ? AND …`` once per row, as one executemany. On SQLite
    straight to the driver (SQLAlchemy's per-row parameter building cost more than the
    deletes, docs/performance.md); the SQL is built from our own table and column names."""
    if not rows:
        return
    if conn.dialect.paramstyle == "qmark":
        where = " AND ".join(f"{name} = ?" for name in names)
        conn.exec_driver_sql(f"DELETE FROM {table.name} WHERE {where}", rows)
        return
    stmt = delete(table).where(*(table.c[name] == bindparam(f"p_{name}") for name in names))
    conn.execute(stmt, [{f"p_{name}": v for name, v in zip(names, row, strict=True)}
                        for row in rows])


def _child_rows(columns: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _moved_from(conn: Connection, children: Mapping[str, list[dict[str, Any]]]
                ) -> dict[str, list[str]]:
    """Per type, the records that lose a child row to another record in this write (a card
    moved between profiles, ``ChildRows.moves_by``): their fingerprints change too, so the
    kept digests must hear of them. Read before the write moves them."""
    out: dict[str, list[str]] = {}
    for entity_type, rows in children.items():
        declared = BY_NAME[entity_type].children
        if declared is None or not declared.moves_by or not rows:
            continue
        keys = list({tuple(r[n] for n in declared.moves_by) for r in rows})
        out[entity_type] = [parent for (parent,) in matching(
            conn, declared.table.name, declared.moves_by, keys, f"d.{declared.parent_key}")]
    return out


class RemoteService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def cursor(self) -> Any:
        """The change feed position stored by the last ``apply`` (None before the first)."""
        with self.ctx.reading() as s:
            return s.scalar(select(KeyValue.value).where(KeyValue.key == CURSOR_KEY))

    def apply(self, entries: Sequence[Any], *, cursor: Any = None,
              sync_state: Mapping[str, Any] | None = None, defer_indexes: bool = False,
              build_indexes: bool = False) -> RemoteResult:
        """Apply change-feed entries and store ``cursor`` (when given) in one transaction.

        ``defer_indexes`` (a first sync's pages but its last): the secondary indexes of the
        big tables are dropped in this transaction, their SQL kept in ``sync.
        deferred_indexes``; ``build_indexes`` (its last page) creates them again after the
        page is written, in its transaction. Why: inserting a first sync's rows through
        indexes of random keys cost a third of the till's time at 100,000 profiles, and
        building an index from the loaded table is a sort (docs/performance.md). Only
        non-unique indexes the door's own statements do not use are deferred, so no
        constraint is ever off and a till between the two is correct, only slower to search.

        ``entries`` may instead be the blocks of a rows-v2 snapshot page (``wire_rows.Block``,
        each type's rows in the till's storage form): each column is checked at once
        (``wire_rows.check_block``) and written without per-value conversion, with the same
        transaction, skipping, refusals and notice as entries.

        ``sync_state`` are more of the till's sync-state keys (``cl.sync_state``'s, as
        ``sync.first_sync``) stored in that transaction (None removes one): a first
        sync keeps its resume point with each snapshot page, so a crash never leaves a page
        applied but not remembered, or remembered but not applied.

        A later entry for the same record wins over an earlier one in the same call."""
        if self.ctx.mode != "till":
            # The hub is where the feed comes from: a write here must go through the services,
            # which journal it for every till.
            raise RuntimeError("remote changes are applied on a till, not on the hub")
        if (isinstance(entries, Sequence) and not isinstance(entries, str | bytes)
                and any(isinstance(e, Block) for e in entries)):
            return self._apply_blocks(entries, cursor, sync_state, defer_indexes, build_indexes)
        parsed = self._read(entries)
        # Registry order: parents before children for upserts, the reverse for deletes.
        upserts: dict[str, list[Parsed]] = {t: [] for t in NAMES}
        deletes: dict[str, list[str]] = {t: [] for t in NAMES}
        with self.ctx.db.write() as s:
            conn = s.connection()
            if len(parsed) >= _BIG_PAGE and conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA cache_size=-{_BIG_CACHE_KIB}")
            busy = self._busy(conn)
            skipped: list[tuple[str, str]] = []
            for key, record in parsed.items():
                if key in busy:
                    skipped.append(key)
                elif record is None:
                    deletes[key[0]].append(key[1])
                else:
                    upserts[key[0]].append(record)
            profile_ids = {p.profile_id for rows in upserts.values() for p in rows
                           if p.profile_id is not None}

            def write() -> None:
                affected = {t: [*(p.row["id"] for p in upserts[t]), *deletes[t]] for t in NAMES}
                for t, parents in _moved_from(conn, {
                        t: [c for p in rows for c in p.children] for t, rows in upserts.items()
                        }).items():
                    affected[t].extend(parents)
                profile_ids.update(self._delete(conn, deletes))
                self._write(conn, upserts)
                keep(conn, affected)

            self._write_page(conn, write, cursor, sync_state, defer_indexes, build_indexes)
        upserted = sum(len(rows) for rows in upserts.values())
        deleted = sum(len(ids) for ids in deletes.values())
        if upserted or deleted:
            types = [t for t in NAMES if upserts[t] or deletes[t]]
            self.ctx.notify(Changes(areas_of(types), frozenset(profile_ids), "remote"))
        return RemoteResult(upserted, deleted, tuple(skipped), cursor)

    def _apply_blocks(self, blocks: Sequence[Any], cursor: Any,
                      sync_state: Mapping[str, Any] | None, defer_indexes: bool,
                      build_indexes: bool) -> RemoteResult:
        if not all(isinstance(b, Block) for b in blocks):
            raise ValidationError.field("records", "must be entries or rows-v2 blocks, not both")
        order = list(NAMES)
        # Every block checked before anything is written: a refusal changes nothing.
        checked = sorted((check_block(b) for b in blocks), key=lambda c: order.index(c.type))
        rows = sum(len(c.ids) for c in checked)
        skipped: list[tuple[str, str]] = []
        with self.ctx.db.write() as s:
            conn = s.connection()
            if rows >= _BIG_PAGE and conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA cache_size=-{_BIG_CACHE_KIB}")
            busy = self._busy(conn)
            if busy:
                checked = [self._without(c, busy, skipped) for c in checked]

            def write() -> None:
                affected = {c.type: list(c.ids) for c in checked}
                for t, parents in _moved_from(conn, {
                        c.type: _child_rows(c.children) for c in checked
                        if c.children is not None and c.ids}).items():
                    affected.setdefault(t, []).extend(parents)
                written = {c.type: Fingerprints(BY_NAME[c.type]).of_stored(c.values, c.children)
                           for c in checked if c.ids}
                for block in checked:
                    self._write_block(conn, block)
                keep(conn, affected, written)

            self._write_page(conn, write, cursor, sync_state, defer_indexes, build_indexes)
        written = [c for c in checked if c.ids]
        if written:
            profile_ids = {i for c in written if c.type == "profile" for i in c.ids}
            profile_ids.update(p for c in written for p in c.values.get("profile_id", ())
                               if p is not None)
            self.ctx.notify(Changes(areas_of([c.type for c in written]),
                                    frozenset(profile_ids), "remote"))
        return RemoteResult(sum(len(c.ids) for c in written), 0, tuple(skipped), cursor)

    def _write_page(self, conn: Connection, write: Callable[[], None], cursor: Any,
                    sync_state: Mapping[str, Any] | None, defer_indexes: bool,
                    build_indexes: bool) -> None:
        """What every page does in its transaction, entries or blocks: ``write`` the records
        between dropping and building the deferred indexes, then keep the cursor and
        ``sync_state``."""
        try:
            if defer_indexes:
                self._defer_indexes(conn)
            write()
            if build_indexes:
                self._build_indexes(conn)
            if cursor is not None:
                self._store_key(conn, CURSOR_KEY, cursor)
            for name, value in (sync_state or {}).items():
                self._store_key(conn, name, value)
        except IntegrityError as exc:
            # A record that clashes with this till's (a handle taken by another id, a
            # parent this till does not have): refused as a whole, like a bad field.
            raise ValidationError({"records": [str(exc.orig)]},
                                  f"synced records do not fit this till: {exc.orig}") from None

    @classmethod
    def _defer_indexes(cls, conn: Connection) -> None:
        if conn.dialect.name != "sqlite":
            return
        # The liability totals' triggers cost a first sync as much again as its own writes
        # (report_totals: two upserts per instance): off while it loads, recounted once after.
        if report_totals.installed(conn):
            report_totals.uninstall(conn)
            cls._store_key(conn, report_totals.DEFERRED_SETTING, True)
        tables = ", ".join(f"'{t}'" for t in _DEFERRABLE)
        found = [(str(n), str(q)) for n, q in conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({tables}) ORDER BY name")
            if not str(q).upper().startswith("CREATE UNIQUE")]
        if not found:
            return
        held = conn.scalar(select(KeyValue.value).where(KeyValue.key == DEFERRED_INDEXES)) or []
        known = {name for name, _ in held}
        cls._store_key(conn, DEFERRED_INDEXES,
                           [*held, *([n, q] for n, q in found if n not in known)])
        for name, _ in found:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')

    @classmethod
    def _build_indexes(cls, conn: Connection) -> None:
        if conn.scalar(select(KeyValue.value)
                       .where(KeyValue.key == report_totals.DEFERRED_SETTING)):
            report_totals.install(conn)
            cls._store_key(conn, report_totals.DEFERRED_SETTING, None)
        held = conn.scalar(select(KeyValue.value).where(KeyValue.key == DEFERRED_INDEXES))
        if not held:
            return
        present = {str(n) for (n,) in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index'")}
        for name, sql in held:
            if name not in present:
                conn.exec_driver_sql(sql)
        cls._store_key(conn, DEFERRED_INDEXES, None)

    @staticmethod
    def _busy(conn: Connection) -> set[tuple[str, str]]:
        """(type, id) of the records this till still has an unsent change to."""
        return {(t, i) for t, i in conn.execute(
            select(OutboxEntity.entity_type, OutboxEntity.entity_id)
            .join(OutboxEntry, OutboxEntry.seq == OutboxEntity.outbox_seq)
            .where(OutboxEntry.status.in_(UNCONFIRMED), OutboxEntity.role != "ref"))}

    @staticmethod
    def _without(block: Checked, busy: set[tuple[str, str]],
                 skipped: list[tuple[str, str]]) -> Checked:
        keep = [n for n, i in enumerate(block.ids) if (block.type, i) not in busy]
        if len(keep) == len(block.ids):
            return block
        kept = set(keep)
        skipped.extend((block.type, i) for n, i in enumerate(block.ids) if n not in kept)
        values: dict[str, Sequence[Any]] = {
            name: [column[n] for n in keep] for name, column in block.values.items()}
        children = block.children
        if children is not None:
            owners = set(values["id"])
            declared = BY_NAME[block.type].children
            assert declared is not None  # only a type with child rows has them
            key = declared.parent_key
            mine = [n for n, owner in enumerate(children[key]) if owner in owners]
            children = {name: [column[n] for n in mine] for name, column in children.items()}
        return Checked(block.type, list(values["id"]), values, children)

    @staticmethod
    def _write_block(conn: Connection, block: Checked) -> None:
        if not block.ids:
            return
        kind = BY_NAME[block.type]
        values = dict(block.values)
        count = len(block.ids)
        kept = kind.till.kept
        for name, default in kept.items():
            values[name] = [default] * count
        if kind.till.derive is not None:
            values.update(kind.till.derive(values))
        own = kind.refers_to_own
        if own is not None and any(v is not None for v in values[own]):
            referring = values[own]
            order = sorted(range(count), key=lambda n: referring[n] is not None)
            values = {name: [column[n] for n in order] for name, column in values.items()}
        _insert_columns(conn, kind.table, values, upsert=True, keep=frozenset(kept))
        children, declared = block.children, kind.children
        if children is None or declared is None:
            return
        key, table = declared.parent_key, declared.table
        # Children are replaced as a whole with their parent, as for a feed entry.
        _delete_where(conn, table, (key,), [(i,) for i in block.ids])
        if not children[key]:
            return
        children = dict(children)
        if declared.moves_by:
            _delete_where(conn, table, declared.moves_by,
                          list(zip(*(children[n] for n in declared.moves_by), strict=True)))
        # One map over whole columns: a first sync derives an id per identity.
        parts = [column if set(map(type, column)) <= {str} else list(map(str, column))
                 for column in (children[n] for n in declared.id_from)]
        children["id"] = list(map(child_id, children[key], *parts))
        _insert_columns(conn, table, children)

    @staticmethod
    def _read(entries: Sequence[Any]) -> dict[tuple[str, str], Parsed | None]:
        if not isinstance(entries, Sequence) or isinstance(entries, str | bytes):
            raise ValidationError.field("records", "must be a list of change-feed entries")
        out: dict[tuple[str, str], Parsed | None] = {}
        for n, entry in enumerate(entries):
            if not isinstance(entry, dict):
                raise ValidationError.field(f"records[{n}]", "must be an object")
            entity_type, ident, op = entry.get("type"), entry.get("id"), entry.get("op")
            if not isinstance(entity_type, str) or entity_type not in BY_NAME:
                raise refusal(str(entity_type)[:40], ident, "type", "is not a synced entity type")
            if not isinstance(ident, str) or not 1 <= len(ident) <= 36:
                raise refusal(entity_type, "?", "id", "must be an id of 1 to 36 characters")
            if op not in _OPS:
                raise refusal(entity_type, ident, "op", "must be upsert or delete")
            record = None
            if op == "upsert":
                data = entry.get("data")
                if isinstance(data, dict) and data.get("id") != ident:
                    raise refusal(entity_type, ident, "id", "differs from the entry's id")
                record = parse(entity_type, data)
            out.pop((entity_type, ident), None)  # the last entry for a record is its order
            out[(entity_type, ident)] = record
        return out

    @staticmethod
    def _write(conn: Connection, upserts: dict[str, list[Parsed]]) -> None:
        for kind in ENTITIES:
            records = upserts[kind.name]
            if not records:
                continue
            kept = kind.till.kept
            rows = [{**p.row, **kept} for p in records]
            if kind.till.derive is not None:
                derived = kind.till.derive({name: [r[name] for r in rows] for name in rows[0]})
                for name, column in derived.items():
                    for row, value in zip(rows, column, strict=True):
                        row[name] = value
            own = kind.refers_to_own
            if own is not None:
                rows.sort(key=lambda r: r[own] is not None)
            _insert_rows(conn, kind.table, rows, upsert=True, keep=frozenset(kept))
            declared = kind.children
            if declared is None:
                continue
            table = declared.table
            # Children are replaced as a whole with their parent.
            _delete_where(conn, table, (declared.parent_key,), [(p.row["id"],) for p in records])
            children = [c for p in records for c in p.children]
            if children:
                if declared.moves_by:
                    _delete_where(conn, table, declared.moves_by,
                                  [tuple(c[n] for n in declared.moves_by) for c in children])
                _insert_rows(conn, table, children)

    @staticmethod
    def _delete(conn: Connection, deletes: dict[str, list[str]]) -> set[str]:
        """Delete children first; returns the profiles whose records went."""
        profiles: set[str] = set(deletes["profile"])
        for kind in reversed(ENTITIES):
            ids = deletes[kind.name]
            if not ids:
                continue
            table = kind.table
            if "profile_id" in table.c:
                for start in range(0, len(ids), 500):
                    profiles.update(pid for pid in conn.scalars(
                        select(table.c.profile_id).where(table.c.id.in_(ids[start:start + 500])))
                        if pid is not None)
            rows = [(i,) for i in ids]
            if kind.children is not None:
                _delete_where(conn, kind.children.table, (kind.children.parent_key,), rows)
            _delete_where(conn, table, ("id",), rows)
        return profiles

    @staticmethod
    def _store_key(conn: Connection, key: str, value: Any) -> None:
        table: Table = KeyValue.__table__  # type: ignore[assignment]
        if value is None:
            conn.execute(delete(table).where(table.c.key == key))
            return
        stmt = _insert(conn, table)
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"],
                                                set_={"value": stmt.excluded.value}),
                     {"key": key, "value": value})
