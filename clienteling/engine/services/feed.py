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

Two more savings for a chain, where every till reads every change (issue 19):

- **One entry per record per page** (``last_per_record``): a page carries only the last of
  its entries for each record (a definition's counter row changes with every redeem of it).
  A till applies a page in one transaction, a later entry for a record winning over an
  earlier one (``RemoteService.apply``), so the entries left out change nothing it ends
  with; the page's cursor is still its last seq, which is always kept.
- **The recent feed in memory** (``RecentFeed``): each process keeps the items it read
  last, so the tills polling after the first one are served without reading the change
  log again — only the rows after what it holds are read.
"""

from __future__ import annotations

import json
import logging
import threading
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, Protocol, TypeVar

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


class RecentFeed:
    """The feed items this process read last: every committed change with ``low < seq <=
    high``, in order, with no hole — so a page inside that run is a slice of a list.

    Why a run read once may be served again: the journal lock (``hub.changes``) makes a
    change visible only after every change with a lower seq is visible or rolled back, so
    once a read has seen seq ``h``, no change at or below ``h`` can appear later; and a
    change-log row is never changed after its entry is stored. A read of ``seq > a`` that
    returns rows up to ``h`` therefore holds every change of ``(a, h]``, for good. Items
    are kept as read (the stored entry, or a per-device type's frozen record, which is how
    it was at or after its change, as a stored entry is). Reads that do not touch or extend
    the run (a till far behind) are served and not kept, so they cannot push out the run
    the polling tills share.

    The run lives as long as the process: a database replaced under a running hub (a
    restore, a failover to a replica that lost its last commits) can reuse seqs, so the hub's
    processes are restarted with it (docs/operations.md).

    Our own, not a cache library's: what is kept is a seq-contiguous run, not keys with
    their own lifetimes, and what decides a hit is whether a cursor falls inside it.
    """

    def __init__(self, capacity: int, budget: int = 2**62) -> None:
        self.capacity = capacity   # items
        self.budget = budget       # characters of entries (a per-device item counts 1,000)
        self._lock = threading.Lock()
        self._items: list[FeedItem] = []
        self._size = 0
        self._low = 0   # the run is (low, high]; empty when there are no items
        self._high = 0

    def after(self, after: int, n: int) -> tuple[list[FeedItem], int] | None:
        """Up to ``n`` items with ``seq > after`` and the seq the run is complete up to, or
        None when ``after`` is outside the run."""
        with self._lock:
            if not self._items or not self._low <= after <= self._high:
                return None
            start = bisect_right(self._items, after, key=_seq)
            return self._items[start:start + n], self._high

    def keep(self, after: int, items: Sequence[FeedItem]) -> None:
        """Keep what a read of ``seq > after`` returned (every change up to its last)."""
        if not items:
            return
        with self._lock:
            if self._items and self._low <= after <= self._high:
                newer = [i for i in items if i.seq > self._high]
                self._items.extend(newer)
                self._size += sum(map(_size, newer))
            elif not self._items or items[-1].seq > self._high:
                self._items = list(items)
                self._size = sum(map(_size, items))
                self._low = after
            else:
                return
            self._high = self._items[-1].seq
            # The oldest go first, until the run is within both its count and its size.
            over = 0
            while over < len(self._items) and (len(self._items) - over > self.capacity
                                               or self._size > self.budget):
                self._size -= _size(self._items[over])
                over += 1
            if over:
                self._low = self._items[over - 1].seq
                del self._items[:over]


#: Items each process keeps (``RecentFeed``): at 1,000 tills each polling every 30 s, a poll
#: spans about 15,000 changes (10 redeems a minute a till, three rows each); and at most
#: 32 MiB of entries, whatever their size.
RECENT_ITEMS = 25_000
RECENT_CHARS = 32 * 2**20


_seq = attrgetter("seq")


def _size(item: FeedItem) -> int:
    return len(item.entry) if item.entry is not None else 1000


class FeedService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.recent = RecentFeed(RECENT_ITEMS, RECENT_CHARS)

    def anything_after(self, after: int) -> bool:
        """Whether any change follows ``after`` (one index probe: an idle till's poll)."""
        with self.ctx.db.single_read() as conn:
            return conn.execute(_FIRST_AFTER, {"after": after}).first() is not None

    def page(self, after: int, limit: int) -> tuple[list[FeedItem], bool]:
        """Up to ``limit`` changes with ``seq > after`` in order, the last entry of each
        record only (``last_per_record``), and whether more follow. Served from the recent
        run where it holds them (``RecentFeed``); the rest is one read of the change log."""
        hit = self.recent.after(after, limit + 1)
        if hit is None:
            items, has_more = self._read(after, limit)
        else:
            held, high = hit
            if len(held) > limit:
                return last_per_record(held[:limit]), True
            newer, has_more = self._read(high, limit - len(held)) if len(held) < limit else (
                [], self.anything_after(high))
            items = held + newer
        return last_per_record(items), has_more

    def _read(self, after: int, limit: int) -> tuple[list[FeedItem], bool]:
        """Rows with ``seq > after`` in order (one statement, so one snapshot: the journal
        lock's no-skip argument in ``hub.changes`` holds), each with its stored entry,
        rendering and storing the shared ones that had none. Returns the items and whether
        more follow, and keeps the items in the recent run when every shared entry was read
        as stored (so the run serves exactly the database's bytes)."""
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
            # Not kept: another reader may have stored its own render first, and the run
            # holds only what the database holds. The next read gets the stored entries.
            return items, has_more
        self.recent.keep(after, items)
        return items, has_more


class _Entry(Protocol):
    @property
    def entity_type(self) -> str: ...
    @property
    def entity_id(self) -> str: ...


E = TypeVar("E", bound=_Entry)


def last_per_record(entries: Sequence[E]) -> list[E]:
    """``entries`` without those a later one of the same record follows (a page as a till
    applies it: the last entry for a record wins, ``RemoteService.apply``)."""
    last = {(e.entity_type, e.entity_id): n for n, e in enumerate(entries)}
    if len(last) == len(entries):
        return list(entries)
    return [e for n, e in enumerate(entries) if last[(e.entity_type, e.entity_id)] == n]


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
