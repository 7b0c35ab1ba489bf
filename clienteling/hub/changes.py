"""The change feed (SPEC §7): ``GET /sync/changes?after=<seq>&limit=<n>``.

Answer: ``{"data": [{seq, type, id, op, at, data}], "meta": {"next", "has_more", "after",
"limit"}}`` where ``data`` is the entity's wire record as the registry of synced types
declares (``engine.entities``; staff with ``pin_hash``, withheld for staff who may not act
on the asking device: the type's ``device_view``, ``staff_view``), or ``null`` when it no
longer exists (deleted). A page holds one entry per record, its last (a till applies a page
as one, the last entry winning). Each entry is rendered once, by the first reader of its
page, and stored on its change-log row; every later reader gets those bytes
(``engine.services.feed``, issue 19). Staff entries are rendered per device on every read,
from the record as this process first read it (``RecentFeed``). A poll that nothing follows
is one index probe and carries an ETag; sent back in ``If-None-Match`` it gets a 304.

A till stores ``meta.next`` as its cursor and asks again with ``after=<next>`` until ``has_more`` is false.

Why the feed never skips a committed change, even with concurrent writers on
PostgreSQL (SPEC §7: "a sequence number taken before commit can become visible
after a higher one"):

1. Every engine write appends its change-log rows in ``UnitOfWork.write_journal``,
   the last step of the transaction, right after taking
   ``pg_advisory_xact_lock(JOURNAL_LOCK)``. The ``seq`` values (a sequence) are drawn
   by those INSERTs, i.e. only while the lock is held, and the lock is held until the
   transaction ends. So the transactions that draw seqs do it one at a time: if T1
   draws seq a and T2 draws seq b > a, T2 only got the lock after T1 ended.
2. PostgreSQL releases a transaction-level lock *after* the commit is recorded and
   made visible (``CommitTransaction``: ``RecordTransactionCommit`` and
   ``ProcArrayEndTransaction`` come before ``ResourceOwnerRelease`` of the locks). So
   by the time T2 holds the lock, T1 is visible to every new snapshot, or rolled back.
3. A feed page is one ``SELECT … WHERE seq > :after ORDER BY seq LIMIT :n`` — one
   statement, one snapshot. If that snapshot shows seq b (T2 committed), it also shows
   every committed seq a < b, since T1 was visible before T2 could even draw b.
   Seqs of rolled-back transactions are gaps that will never fill. Hence a reader that
   moves its cursor to the highest seq it has seen can never miss a later commit.

On SQLite, writers are serialised by ``BEGIN IMMEDIATE`` (one writer at a time,
from its first statement to commit), which gives the same order directly.
``tests/hub/test_change_feed.py`` checks this with concurrent writers and a polling
reader on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from clienteling.engine.entities import BY_NAME, ENTITIES, SyncedType
from clienteling.engine.errors import ValidationError
from clienteling.engine.frozen import StaffRecord
from clienteling.engine.services.devices import Device
from clienteling.engine.services.feed import dumps, entry_of, last_per_record
from clienteling.engine.services.listing import MAX_FEED_PAGE, Change
from clienteling.hub.state import Hub

DEFAULT_LIMIT = 100


Render = Callable[[Any], dict[str, Any]]


def for_device(kind: SyncedType, now: datetime, dev: Device) -> Render:
    """``kind``'s renderer at ``now`` as ``dev`` receives it: the registry's ``device_view``
    column withheld for records outside the device's scope (``Device.may_act``)."""
    render, view = kind.render, kind.device_view
    if view is None:
        return lambda record: render(record, now)
    column, withheld = view.column, view.withheld
    role, store = view.scope

    def viewed(record: Any) -> dict[str, Any]:
        out = render(record, now)
        if not dev.may_act(getattr(record, role), getattr(record, store)):
            out[column] = withheld
        return out

    return viewed


def staff_view(member: StaffRecord, dev: Device) -> dict[str, Any]:
    """A staff record as ``dev`` receives it: with the PIN hash only if they may act on it
    (``Device.may_act``). Others still come (rewards and redemptions name them), with
    ``security.WITHHELD_HASH``, which no PIN verifies against; the digest the device gets is
    computed over this same view (``DigestService(staff_scope=…)``)."""
    # A staff record does not depend on the time it is read at.
    return for_device(BY_NAME["staff"], datetime.now(UTC), dev)(member)


def renderers(now: datetime, dev: Device) -> dict[str, Render]:
    """Each synced type's renderer as the feed, the snapshot and ``/sync/records`` send it to
    ``dev`` at ``now`` (SPEC §7)."""
    return {kind.name: for_device(kind, now, dev) for kind in ENTITIES}


def entry(change: Change, render: dict[str, Render]) -> dict[str, Any]:
    data = None
    if change.record is not None and change.op != "delete" and change.entity_type in render:
        data = render[change.entity_type](change.record)
    return entry_of(change.seq, change.entity_type, change.entity_id, change.op, change.at, data)


def rendered_page(hub: Hub, dev: Device, after: int, limit: int) -> dict[str, Any]:
    """A page rendered for this device from the current records, every entry afresh: how the
    feed was served before entries were stored (``feed_body`` serves the same bytes from
    stored entries; tests compare the two)."""
    changes, has_more = hub.listing.changes(after, limit)
    render = renderers(hub.now(), dev)
    return {
        "data": [entry(c, render) for c in last_per_record(changes)],
        "meta": _meta(changes[-1].seq if changes else after, has_more, after, limit),
    }


def _meta(next_seq: int, has_more: bool, after: int, limit: int) -> dict[str, Any]:
    return {"next": next_seq, "has_more": has_more, "after": after, "limit": limit}


def empty_body(after: int, limit: int) -> bytes:
    """The page for a cursor nothing follows (an idle till's poll)."""
    return f'{{"data":[],"meta":{dumps(_meta(after, False, after, limit))}}}'.encode()


def feed_body(hub: Hub, dev: Device, after: int, limit: int) -> bytes:
    """One page of the feed as the device receives it (JSON bytes): stored entries joined as
    they are, per-device ones (staff) rendered for this device (``engine.services.feed``)."""
    if not 0 <= after <= 2**62:
        raise ValidationError.field("after", "must be a whole number of at least 0")
    if not 1 <= limit <= MAX_FEED_PAGE:
        raise ValidationError.field("limit", f"must be between 1 and {MAX_FEED_PAGE}")
    items, has_more = hub.cl.feed.page(after, limit)
    if not items:
        return empty_body(after, limit)
    parts: list[str] = []
    render: dict[str, Render] | None = None
    for item in items:
        text = item.entry
        if text is None:
            if render is None:
                render = renderers(hub.now(), dev)
            kind = render.get(item.entity_type)
            data = (kind(item.record) if kind is not None and item.record is not None
                    and item.op != "delete" else None)
            text = dumps(entry_of(item.seq, item.entity_type, item.entity_id, item.op, item.at,
                                  data))
        parts.append(text)
    meta = dumps(_meta(items[-1].seq, has_more, after, limit))
    return f'{{"data":[{",".join(parts)}],"meta":{meta}}}'.encode()


def feed_page(hub: Hub, dev: Device, after: int, limit: int) -> dict[str, Any]:
    """``feed_body`` parsed: the page as a till reads it."""
    page: dict[str, Any] = json.loads(feed_body(hub, dev, after, limit))
    return page
