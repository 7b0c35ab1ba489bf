"""The digests kept up to date as rows change: per synced type and per id bucket (256, by the
first byte of the SHA-256 of the id) the count of records and the sum of their fingerprints
mod 2**64 (``engine.fingerprints``), as PowerSync keeps checksums per bucket (issue 19).

Why kept, not computed when asked: computing them read every synced row, and at a million
customers the hub's ``GET /sync/digest`` did not answer before the till gave up (344 s, a
till at 2.2 GB). Kept, a summary is a read of a few hundred numbers and a drill-down reads
only the rows of a bucket that differs.

Why in the engine and not in SQL triggers: the fingerprint is the canonical JSON of the
record's values through the column types, which neither SQLite nor PostgreSQL computes. So
every place synced rows are written calls ``keep`` in its own transaction with the records it
wrote: the unit of work (every service, on a till and on the hub: ``UnitOfWork.touched``),
the remote door (the change feed and a first sync's snapshot pages), and the bulk loaders
that write behind the services (the demo's and the bench's data sets, which ``rebuild``).

``DigestRow`` keeps each record's last fingerprint: a change takes it out of its bucket and
adds the new one, whatever wrote the row (a conditional ``UPDATE`` moving a counter, a
cascade), because the new value is read back from the table. Concurrent writers on the hub
take the journal lock first (``UnitOfWork.write_journal``), so buckets are read and written
by one transaction at a time; ``FOR UPDATE`` guards the read anyway.

A type needs nothing but its registry entry (``engine.entities``): rows and buckets are keyed
by the type's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clienteling.engine.entities import BY_NAME, NAMES
from clienteling.engine.fingerprints import (
    BUCKETS,
    MASK,
    Fingerprints,
    Reader,
    bucket_of,
    signed,
)
from clienteling.engine.key_lists import matching
from clienteling.engine.models import DigestBucket, DigestRow

_ROWS: Table = DigestRow.__table__  # type: ignore[assignment]
_BUCKETS: Table = DigestBucket.__table__  # type: ignore[assignment]
_BATCH = 5000

_INSERT_ROW = insert(_ROWS)
_DELETE_ROW = delete(_ROWS).where(_ROWS.c.entity_type == bindparam("t"),
                                  _ROWS.c.bucket == bindparam("b"), _ROWS.c.id == bindparam("i"))
_INSERT_BUCKET = insert(_BUCKETS)
_DELETE_BUCKET = delete(_BUCKETS).where(_BUCKETS.c.entity_type == bindparam("t"),
                                        _BUCKETS.c.bucket == bindparam("b"))

Buckets = dict[int, tuple[int, int]]
"""bucket -> (count, sum of fingerprints mod 2**64)."""


def keep(s: Reader, affected: Mapping[str, Iterable[str]],
         known: Mapping[str, Mapping[str, int]] | None = None) -> None:
    """Bring the kept digests of these records up to date with the rows as they now are in
    this transaction (a record that is gone leaves its bucket). Types that are not synced
    (a child row's, the outbox) are ignored: a child changes with its parent, which the
    writer names. ``known``: fingerprints the writer computed from exactly what it wrote
    (``Fingerprints.of_stored``); the others are read back."""
    wanted: dict[str, list[str]] = {}
    for entity_type, given in affected.items():
        if entity_type in BY_NAME:
            ids = list(dict.fromkeys(given))
            if ids:
                wanted[entity_type] = ids
    if not wanted:
        return
    # The session's connection: Core statements through the ORM session cost twice as much.
    s = s.connection() if isinstance(s, Session) else s
    given = known or {}
    new: dict[str, dict[str, int]] = {}
    for t, ids in wanted.items():
        have = given.get(t, {})
        missing = [i for i in ids if i not in have]
        new[t] = {**have, **(Fingerprints(BY_NAME[t]).of_ids(s, missing) if missing else {})}
    keys = [(t, bucket_of(i), i) for t, ids in wanted.items() for i in ids]
    if s.dialect.name == "postgresql" and all(
            i in new[t] for t, _, i in keys):  # nothing gone: the one-statement path
        _keep_in_one(s, [(t, b, i, signed(new[t][i])) for t, b, i in keys])
        return
    old = _kept(s, keys, wanted)
    deltas: dict[tuple[str, int], list[int]] = {}
    writes: list[tuple[str, int, str, int]] = []
    deletes: list[dict[str, Any]] = []
    for entity_type, bucket, record_id in keys:
        before, after = old.get((entity_type, record_id)), new[entity_type].get(record_id)
        if before == after:
            continue
        delta = deltas.setdefault((entity_type, bucket), [0, 0])
        if before is not None:
            delta[0] -= 1
            delta[1] -= before
        if after is None:
            deletes.append({"t": entity_type, "b": bucket, "i": record_id})
            continue
        delta[0] += 1
        delta[1] += after
        writes.append((entity_type, bucket, record_id, signed(after)))
    if not deltas:
        return
    if deletes:
        s.execute(_DELETE_ROW, deletes)
    if writes:
        if s.dialect.paramstyle == "qmark":  # a first sync's pages: tuples to the driver
            s.exec_driver_sql(_UPSERT_ROWS_SQL, writes)
        else:
            s.execute(_upsert(s, _ROWS, ("entity_type", "bucket", "id"), ("hash",)),
                      [{"entity_type": t, "bucket": b, "id": i, "hash": h}
                       for t, b, i, h in writes])
    _add(s, deltas)


_UPSERT_ROWS_SQL = ("INSERT INTO digest_rows (entity_type, bucket, id, hash) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (entity_type, bucket, id) DO UPDATE SET hash = excluded.hash")


_UPSERTS: dict[tuple[str, str], Any] = {}


# PostgreSQL: reading the kept fingerprints, writing the changed ones and adding the
# differences into their buckets is one statement (a redeem's digests were eight statements
# in the journal lock, 31 % of its CPU on the hub). Every part of a statement sees the same
# snapshot, so ``o`` holds the fingerprints as they were before ``r`` writes; the buckets'
# upsert adds in ``numeric`` and wraps mod 2**64 into a signed BIGINT, as ``signed`` does, so
# no sum overflows. A record that is gone (a delete) takes the general path below.
_TWO_64, _TWO_63 = 1 << 64, 1 << 63
_ONE_SLICE = 1000  # rows per statement (4 parameters each: far under psycopg's 65,535)


def _wrapped(x: str) -> str:
    # mod() takes the sign of its dividend: the second one makes the remainder non-negative.
    return (f"(mod(mod({x} + {_TWO_63}, {_TWO_64}) + {_TWO_64}, {_TWO_64}) - {_TWO_63})"
            "::bigint")


def _one_statement(rows: int) -> str:
    values = ", ".join(["(%s, %s::integer, %s, %s::bigint)"] * rows)
    same = "o.entity_type = {a}.entity_type AND o.bucket = {a}.bucket AND o.id = {a}.id"
    return (
        f"WITH n(entity_type, bucket, id, hash) AS (VALUES {values}), "
        "o AS (SELECT d.entity_type, d.bucket, d.id, d.hash FROM n JOIN digest_rows d "
        "ON d.entity_type = n.entity_type AND d.bucket = n.bucket AND d.id = n.id), "
        f"c AS (SELECT n.* FROM n LEFT JOIN o ON {same.format(a='n')} "
        "WHERE o.hash IS DISTINCT FROM n.hash), "
        "r AS (INSERT INTO digest_rows (entity_type, bucket, id, hash) "
        "SELECT entity_type, bucket, id, hash FROM c "
        "ON CONFLICT (entity_type, bucket, id) DO UPDATE SET hash = excluded.hash), "
        "g AS (SELECT c.entity_type, c.bucket, count(*) - count(o.id) AS dc, "
        "sum(c.hash::numeric) - coalesce(sum(o.hash::numeric), 0) AS dh "
        f"FROM c LEFT JOIN o ON {same.format(a='c')} GROUP BY c.entity_type, c.bucket) "
        "INSERT INTO digest_buckets (entity_type, bucket, count, hash) "
        f"SELECT entity_type, bucket, dc, {_wrapped('dh')} FROM g "
        "ON CONFLICT (entity_type, bucket) DO UPDATE SET "
        "count = digest_buckets.count + excluded.count, "
        f"hash = {_wrapped('digest_buckets.hash::numeric + excluded.hash::numeric')}")


def _keep_in_one(s: Connection, rows: list[tuple[str, int, str, int]]) -> None:
    """(type, bucket, id, signed fingerprint) of records that all exist, on PostgreSQL."""
    for start in range(0, len(rows), _ONE_SLICE):
        part = rows[start:start + _ONE_SLICE]
        s.exec_driver_sql(_one_statement(len(part)),
                          tuple(value for row in part for value in row))


def _upsert(s: Connection, table: Table, key: tuple[str, ...], values: tuple[str, ...]) -> Any:
    """``INSERT … ON CONFLICT (key) DO UPDATE`` (both backends have it), built once: one
    statement where an insert and an update were two."""
    name = s.dialect.name
    found = _UPSERTS.get((name, table.name))
    if found is None:
        stmt = (postgresql.insert(table) if name == "postgresql" else sqlite.insert(table))
        found = _UPSERTS[(name, table.name)] = stmt.on_conflict_do_update(
            index_elements=list(key), set_={c: stmt.excluded[c] for c in values})
    return found


def _kept(s: Connection, keys: list[tuple[str, int, str]],
          wanted: Mapping[str, list[str]]) -> dict[tuple[str, str], int]:
    """(type, id) -> kept fingerprint of those records that have one."""
    out: dict[tuple[str, str], int] = {}
    ranged: set[str] = set()
    if s.dialect.name == "sqlite":
        for entity_type, ids in wanted.items():
            if len(ids) >= _RANGE_FROM:
                found = _kept_in_range(s, entity_type, ids)
                if found is not None:
                    out.update(found)
                    ranged.add(entity_type)
    rest = [k for k in keys if k[0] not in ranged] if ranged else keys
    out.update({(t, i): h & MASK for t, i, h in matching(
        s, "digest_rows", ("entity_type", "bucket", "id"), rest, "d.entity_type, d.id, d.hash")})
    return out


# A first sync's page brings thousands of ids of a type from a narrow stretch of ids (the
# snapshot goes in id order), where the till holds none or few: one read of that stretch in
# each bucket (256 seeks of the primary key) instead of one seek per id (at 100,000
# profiles the per-id lookups were a sixth of keeping a first sync's digests).
_RANGE_FROM = 1000
_RANGE_SQL = ("SELECT id, hash FROM digest_rows WHERE entity_type = ? AND bucket IN ("
              + ", ".join(map(str, range(BUCKETS))) + ") AND id BETWEEN ? AND ? LIMIT ?")


def _kept_in_range(s: Connection, entity_type: str,
                   ids: list[str]) -> dict[tuple[str, str], int] | None:
    """The kept fingerprints of ``ids`` read as the stretch from the least id to the greatest
    (SQLite compares text bytewise, which orders as Python's ``min`` and ``max`` do); None
    when the stretch holds more than twice as many records as asked for (ids spread over
    the whole type, as a feed page's are), which the per-id seeks read for less."""
    most = 2 * len(ids)
    rows = s.exec_driver_sql(_RANGE_SQL, (entity_type, min(ids), max(ids), most + 1)).all()
    if len(rows) > most:
        return None
    asked = set(ids)
    return {(entity_type, i): h & MASK for i, h in rows if i in asked}


def _add(s: Connection, deltas: Mapping[tuple[str, int], list[int]]) -> None:
    """Add (count, hash) deltas to their buckets: read, added in Python mod 2**64 (a SQL
    addition would overflow a BIGINT), written back."""
    current = {(t, b): (c, h & MASK) for t, b, c, h in matching(
        s, "digest_buckets", ("entity_type", "bucket"), list(deltas),
        "d.entity_type, d.bucket, d.count, d.hash", lock=True)}
    writes, deletes = [], []
    for (entity_type, bucket), (dc, dh) in deltas.items():
        was = current.get((entity_type, bucket))
        count, value = was if was is not None else (0, 0)
        count, value = count + dc, (value + dh) & MASK
        if count == 0:
            if was is not None:
                deletes.append({"t": entity_type, "b": bucket})
        else:
            writes.append({"entity_type": entity_type, "bucket": bucket, "count": count,
                           "hash": signed(value)})
    if deletes:
        s.execute(_DELETE_BUCKET, deletes)
    if writes:
        s.execute(_upsert(s, _BUCKETS, ("entity_type", "bucket"), ("count", "hash")), writes)


def rebuild(s: Reader, types: Iterable[str] = NAMES) -> None:
    """Compute the kept digests of ``types`` from their rows, replacing what was kept: for
    data written behind the services (a bulk load) and for a migration over existing data.
    Reads a page of records at a time, so memory stays flat at any size."""
    for entity_type in types:
        kind = BY_NAME[entity_type]
        s.execute(delete(_ROWS).where(_ROWS.c.entity_type == entity_type))
        s.execute(delete(_BUCKETS).where(_BUCKETS.c.entity_type == entity_type))
        sums = [0] * BUCKETS
        counts = [0] * BUCKETS
        batch: list[tuple[str, int, str, int]] = []
        for record_id, value in Fingerprints(kind).all(s):
            bucket = bucket_of(record_id)
            sums[bucket] += value
            counts[bucket] += 1
            batch.append((entity_type, bucket, record_id, signed(value)))
            if len(batch) >= _BATCH:
                _insert_rows(s, batch)
                batch = []
        _insert_rows(s, batch)
        rows = [{"entity_type": entity_type, "bucket": b, "count": counts[b],
                 "hash": signed(sums[b] & MASK)} for b in range(BUCKETS) if counts[b]]
        if rows:
            s.execute(_INSERT_BUCKET, rows)


def _insert_rows(s: Reader, rows: list[tuple[str, int, str, int]]) -> None:
    """Many kept fingerprints at once: tuples straight to SQLite's driver (building a
    parameter dict per row cost more than the insert), Core elsewhere."""
    if not rows:
        return
    conn = s.connection() if isinstance(s, Session) else s
    if conn.dialect.paramstyle == "qmark":
        conn.exec_driver_sql(_INSERT_ROWS_SQL, rows)
        return
    conn.execute(_INSERT_ROW, [{"entity_type": t, "bucket": b, "id": i, "hash": h}
                               for t, b, i, h in rows])


_INSERT_ROWS_SQL = "INSERT INTO digest_rows (entity_type, bucket, id, hash) VALUES (?, ?, ?, ?)"


def buckets(s: Reader, entity_type: str) -> Buckets:
    """The kept buckets of a type (those holding records)."""
    return {b: (c, h & MASK) for b, c, h in s.execute(
        select(_BUCKETS.c.bucket, _BUCKETS.c.count, _BUCKETS.c.hash)
        .where(_BUCKETS.c.entity_type == entity_type))}


def all_buckets(s: Reader) -> dict[str, Buckets]:
    """Every type's kept buckets, in one read."""
    out: dict[str, Buckets] = {name: {} for name in NAMES}
    for t, b, c, h in s.execute(select(_BUCKETS.c.entity_type, _BUCKETS.c.bucket,
                                       _BUCKETS.c.count, _BUCKETS.c.hash)):
        if t in out:
            out[t][b] = (c, h & MASK)
    return out


def kept_rows(s: Reader, entity_type: str, first: int, last: int) -> list[tuple[str, int]]:
    """(id, fingerprint) kept for the records in buckets ``first`` to ``last``."""
    return [(i, h & MASK) for i, h in s.execute(
        select(_ROWS.c.id, _ROWS.c.hash).where(and_(
            _ROWS.c.entity_type == entity_type, _ROWS.c.bucket >= first,
            _ROWS.c.bucket <= last)))]


def recomputed(s: Reader, entity_type: str) -> Buckets:
    """The reference: a type's buckets computed from its rows now, nothing kept read."""
    sums: dict[int, list[int]] = {}
    for record_id, value in Fingerprints(BY_NAME[entity_type]).all(s):
        entry = sums.setdefault(bucket_of(record_id), [0, 0])
        entry[0] += 1
        entry[1] += value
    return {b: (c, h & MASK) for b, (c, h) in sums.items()}
