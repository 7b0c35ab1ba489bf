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

from sqlalchemy import Table, and_, bindparam, delete, insert, select, tuple_, update

from clienteling.engine.entities import BY_NAME, NAMES
from clienteling.engine.fingerprints import (
    BUCKETS,
    MASK,
    Fingerprints,
    Reader,
    bucket_of,
    signed,
)
from clienteling.engine.models import DigestBucket, DigestRow

_ROWS: Table = DigestRow.__table__  # type: ignore[assignment]
_BUCKETS: Table = DigestBucket.__table__  # type: ignore[assignment]
_SLICE = 500
_BATCH = 5000

_INSERT_ROW = insert(_ROWS)
_UPDATE_ROW = (update(_ROWS).where(_ROWS.c.entity_type == bindparam("t"),
                                   _ROWS.c.bucket == bindparam("b"), _ROWS.c.id == bindparam("i"))
               .values(hash=bindparam("h")))
_DELETE_ROW = delete(_ROWS).where(_ROWS.c.entity_type == bindparam("t"),
                                  _ROWS.c.bucket == bindparam("b"), _ROWS.c.id == bindparam("i"))
_INSERT_BUCKET = insert(_BUCKETS)
_UPDATE_BUCKET = (update(_BUCKETS).where(_BUCKETS.c.entity_type == bindparam("t"),
                                         _BUCKETS.c.bucket == bindparam("b"))
                  .values(count=bindparam("c"), hash=bindparam("h")))
_DELETE_BUCKET = delete(_BUCKETS).where(_BUCKETS.c.entity_type == bindparam("t"),
                                        _BUCKETS.c.bucket == bindparam("b"))

Buckets = dict[int, tuple[int, int]]
"""bucket -> (count, sum of fingerprints mod 2**64)."""


def keep(s: Reader, affected: Mapping[str, Iterable[str]]) -> None:
    """Bring the kept digests of these records up to date with the rows as they now are in
    this transaction (a record that is gone leaves its bucket). Types that are not synced
    (a child row's, the outbox) are ignored: a child changes with its parent, which the
    writer names."""
    deltas: dict[tuple[str, int], list[int]] = {}
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deletes: list[dict[str, Any]] = []
    for entity_type, given in affected.items():
        kind = BY_NAME.get(entity_type)
        if kind is None:
            continue
        ids = list(dict.fromkeys(given))
        if not ids:
            continue
        new = Fingerprints(kind).of_ids(s, ids)
        old = _kept(s, entity_type, ids)
        for record_id in ids:
            before, after = old.get(record_id), new.get(record_id)
            if before == after:
                continue
            bucket = bucket_of(record_id)
            delta = deltas.setdefault((entity_type, bucket), [0, 0])
            key = {"t": entity_type, "b": bucket, "i": record_id}
            if before is not None:
                delta[0] -= 1
                delta[1] -= before
            if after is not None:
                delta[0] += 1
                delta[1] += after
                if before is None:
                    inserts.append({"entity_type": entity_type, "bucket": bucket,
                                    "id": record_id, "hash": signed(after)})
                else:
                    updates.append({**key, "h": signed(after)})
            else:
                deletes.append(key)
    if not deltas:
        return
    if deletes:
        s.execute(_DELETE_ROW, deletes)
    if updates:
        s.execute(_UPDATE_ROW, updates)
    if inserts:
        s.execute(_INSERT_ROW, inserts)
    _add(s, deltas)


def _kept(s: Reader, entity_type: str, ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for start in range(0, len(ids), _SLICE):
        pairs = [(bucket_of(i), i) for i in ids[start:start + _SLICE]]
        out.update((i, h & MASK) for i, h in s.execute(
            select(_ROWS.c.id, _ROWS.c.hash).where(
                _ROWS.c.entity_type == entity_type,
                tuple_(_ROWS.c.bucket, _ROWS.c.id).in_(pairs))))
    return out


def _add(s: Reader, deltas: Mapping[tuple[str, int], list[int]]) -> None:
    """Add (count, hash) deltas to their buckets: read, added in Python mod 2**64 (a SQL
    addition would overflow a BIGINT), written back."""
    keys = list(deltas)
    current: dict[tuple[str, int], tuple[int, int]] = {}
    for start in range(0, len(keys), _SLICE):
        part = keys[start:start + _SLICE]
        current.update(((t, b), (c, h & MASK)) for t, b, c, h in s.execute(
            select(_BUCKETS.c.entity_type, _BUCKETS.c.bucket, _BUCKETS.c.count, _BUCKETS.c.hash)
            .where(tuple_(_BUCKETS.c.entity_type, _BUCKETS.c.bucket).in_(part))
            .with_for_update()))
    inserts, updates, deletes = [], [], []
    for (entity_type, bucket), (dc, dh) in deltas.items():
        was = current.get((entity_type, bucket))
        count, value = was if was is not None else (0, 0)
        count, value = count + dc, (value + dh) & MASK
        key = {"t": entity_type, "b": bucket}
        if count == 0:
            if was is not None:
                deletes.append(key)
        elif was is None:
            inserts.append({"entity_type": entity_type, "bucket": bucket, "count": count,
                            "hash": signed(value)})
        else:
            updates.append({**key, "c": count, "h": signed(value)})
    if deletes:
        s.execute(_DELETE_BUCKET, deletes)
    if updates:
        s.execute(_UPDATE_BUCKET, updates)
    if inserts:
        s.execute(_INSERT_BUCKET, inserts)


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
        batch: list[dict[str, Any]] = []
        for record_id, value in Fingerprints(kind).all(s):
            bucket = bucket_of(record_id)
            sums[bucket] += value
            counts[bucket] += 1
            batch.append({"entity_type": entity_type, "bucket": bucket, "id": record_id,
                          "hash": signed(value)})
            if len(batch) >= _BATCH:
                s.execute(_INSERT_ROW, batch)
                batch = []
        if batch:
            s.execute(_INSERT_ROW, batch)
        rows = [{"entity_type": entity_type, "bucket": b, "count": counts[b],
                 "hash": signed(sums[b] & MASK)} for b in range(BUCKETS) if counts[b]]
        if rows:
            s.execute(_INSERT_BUCKET, rows)


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
