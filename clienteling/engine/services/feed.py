"""The change feed's pages as stored bytes (SPEC §7, issue 19): each change's feed entry is
rendered once and kept on its change-log row (``change_log.entry``), so a page that a
thousand tills read costs one render per change, not one per till.

When the entry is rendered: by the first reader of a page that holds the row, which stores
it for everyone after (``UPDATE … WHERE entry IS NULL``: of two readers racing, the first
commit wins and the other's update finds nothing to do). Writes stay as cheap as before (no
render inside a redeem's transaction, none during a bulk import), and rows written before
this column existed are filled the same way.

What an entry holds: the record as it was when its page was first read, which is its state
at that change or later — never earlier, since the row is committed before it can be read.
A record changed again has a later row, rendered after that change, so a till applying the
feed in order ends on the record's latest state, as before. Fields computed from "now"
(a benefit's ``is_expired``) are those of the first read; tills ignore them (``wire_in``)
and compute their own (SPEC B2).

Not stored: entries of types with a per-device view (staff with PIN hashes only for those
who may act on the device, ``SyncedType.device_view``). Those rows come back with their
current record for the hub to render per device, as before.

Filling the cache is not a state change (the record and its change row are unchanged), so
it writes no audit event.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from clienteling.engine import wire
from clienteling.engine.context import Context
from clienteling.engine.db_errors import DatabaseBusy, DatabaseReadOnly, DiskFull
from clienteling.engine.entities import BY_NAME, ENTITIES
from clienteling.engine.models import ChangeLog

log = logging.getLogger(__name__)

# Types whose entry is the same for every device, and so can be stored.
SHARED_TYPES = frozenset(kind.name for kind in ENTITIES if kind.device_view is None)
_CHUNK = 500


def dumps(value: Any) -> str:
    """JSON exactly as Starlette's ``JSONResponse`` writes it (the feed's bytes from before
    entries were stored): no spaces, non-ASCII kept, no NaN."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":"))


def entry_of(seq: int, entity_type: str, entity_id: str, op: str, at: datetime,
             data: dict[str, Any] | None) -> dict[str, Any]:
    """One feed entry in the wire's key order."""
    return {"seq": seq, "type": entity_type, "id": entity_id, "op": op, "at": wire.iso(at),
            "data": data}


@dataclass(frozen=True)
class FeedItem:
    """One row of a page: its stored entry (JSON text), or — for a per-device type — the
    row and its current record as a frozen record (the registry's ``copy``; None when it no
    longer exists) to render per device."""

    seq: int
    entry: str | None
    entity_type: str
    entity_id: str
    op: str
    at: datetime
    record: Any = None


_PAGE = (select(ChangeLog.seq, ChangeLog.entity_type, ChangeLog.entity_id, ChangeLog.op,
                ChangeLog.at, ChangeLog.entry)
         .where(ChangeLog.seq > bindparam("after")).order_by(ChangeLog.seq)
         .limit(bindparam("n")))
_FIRST_AFTER = select(ChangeLog.seq).where(ChangeLog.seq > bindparam("after")).limit(1)
_STORE = (update(ChangeLog).where(ChangeLog.seq == bindparam("s"), ChangeLog.entry.is_(None))
          .values(entry=bindparam("e")))


class FeedService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def anything_after(self, after: int) -> bool:
        """Whether any change follows ``after`` (one index probe: an idle till's poll)."""
        with self.ctx.db.single_read() as conn:
            return conn.execute(_FIRST_AFTER, {"after": after}).first() is not None

    def page(self, after: int, limit: int) -> tuple[list[FeedItem], bool]:
        """Rows with ``seq > after`` in order (one statement, so one snapshot: the journal
        lock's no-skip argument in ``hub.changes`` holds), each with its stored entry,
        rendering and storing the shared ones that had none. Returns the items and whether
        more follow."""
        with self.ctx.reading() as s:
            rows = s.execute(_PAGE, {"after": after, "n": limit + 1}).all()
            has_more = len(rows) > limit
            rows = rows[:limit]
            missing = [r for r in rows if r.entry is None
                       and (r.entity_type not in SHARED_TYPES or r.op != "delete")]
            records = _current(s, missing) if missing else {}
            now = self.ctx.clock.now()
            items: list[FeedItem] = []
            fill: list[dict[str, Any]] = []
            for r in rows:
                entry = r.entry
                if entry is None and (r.entity_type in SHARED_TYPES or r.entity_type not in BY_NAME):
                    record = records.get((r.entity_type, r.entity_id))
                    data = (BY_NAME[r.entity_type].render(record, now)
                            if record is not None and r.op != "delete" else None)
                    entry = dumps(entry_of(r.seq, r.entity_type, r.entity_id, r.op, r.at, data))
                    fill.append({"s": r.seq, "e": entry})
                record = None if entry is not None else records.get((r.entity_type, r.entity_id))
                items.append(FeedItem(r.seq, entry, r.entity_type, r.entity_id, r.op, r.at,
                                      None if record is None
                                      else BY_NAME[r.entity_type].copy(record)))
        if fill:
            # After the read, in a transaction of its own: the page is served either way. A
            # database that cannot take the write now (busy, read-only, full) only means a
            # later reader stores them; a reader is never refused for it.
            try:
                with self.ctx.db.write() as w:
                    w.connection().execute(_STORE, fill)
            except (DatabaseBusy, DatabaseReadOnly, DiskFull) as exc:
                log.info("feed entries %s..%s not stored: %s", fill[0]["s"], fill[-1]["s"],
                         exc)
        return items, has_more


def _current(s: Any, rows: list[Any]) -> dict[tuple[str, str], Any]:
    """The current record of each row's entity (synced types only), a query per type."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row.entity_type in BY_NAME:
            wanted[row.entity_type].add(row.entity_id)
    found: dict[tuple[str, str], Any] = {}
    for entity_type, ids in wanted.items():
        for record_id, record in records_by_id(s, BY_NAME[entity_type].model,
                                               sorted(ids)).items():
            found[(entity_type, record_id)] = record
    return found


def records_by_id(s: Any, model: Any, ids: list[str]) -> dict[str, Any]:
    """id -> record of those of ``ids`` that exist, a query per few hundred ids (the feed's
    pages and the hub's ``/sync/records``: a query per id was a third of a push's work)."""
    found: dict[str, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for record in s.scalars(select(model).where(model.id.in_(chunk))).unique():
            found[record.id] = record
    return found
