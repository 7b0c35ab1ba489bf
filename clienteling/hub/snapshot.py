"""``GET /sync/snapshot?next=<token>&limit=<n>``: a first sync (SPEC §7).

Answer::

    {"data": [{"seq": null, "type", "id", "op": "upsert", "at", "data": <wire record>}, …],
     "meta": {"cursor": <change-feed seq>, "next": <token or null>, "has_more": <bool>,
              "totals": {type: rows}, "limit": n}}

Entries have the change feed's shape (``hub.changes``: staff with ``pin_hash`` for those
who may act on the device, benefits and rewards without their embedded definition), so a
till applies both with the same code;
``seq`` is null (a snapshot row is not a change) and ``at`` is the record's ``updated_at``
(``created_at`` for a redemption). Types come in the registry's dependency order
(``engine.entities``: store, staff, benefit_definition, reward_definition, profile, benefit,
reward, redemption) and ids in order within a type. ``limit`` is 1–5000 (default 1000).

The till: ask without ``next``, keep that FIRST page's ``meta.cursor``, then ask with
``next=<meta.next>`` until ``has_more`` is false (store ``next`` to resume a cancelled first
sync), then read ``/sync/changes?after=<first cursor>``. Why the first page's cursor, and why
rows read on later pages being newer is harmless: ``engine.services.snapshot``.
``meta.totals`` counts each type's rows when the page was read, for a progress bar.

``format=rows-v2`` (``engine.wire_rows``, SPEC §8's first-sync speed) answers the same rows,
tokens and cursor as::

    {"format": "rows-v2",
     "data": [{"type", "columns": [names], "rows": [[values], …],
               "child_columns": [names] | null, "child_rows": [[values], …] | null}, …],
     "meta": <as above>}

one block per type on the page, values in the till's storage form, ``meta.totals`` on the
first page only (``{}`` on the others: a till reads them once). Without ``format`` (an
older till), or with one this hub does not know, the page is in the shape above: a till
tells them apart by ``format``.
"""

from __future__ import annotations

import orjson

from clienteling.engine import wire
from clienteling.engine.entities import BY_NAME, DeviceView
from clienteling.engine.services.devices import Device
from clienteling.engine.services.snapshot import RowsBlock
from clienteling.engine.wire_rows import FORMAT
from clienteling.hub.changes import renderers
from clienteling.hub.state import Hub


def snapshot(hub: Hub, dev: Device, token: str | None, limit: int) -> bytes:
    """The page as JSON bytes. orjson rather than the response class's ``json.dumps``: a page
    of 5,000 records is a few MB, and encoding it was a tenth of the hub's time."""
    page = hub.cl.snapshot_records(token, limit)
    render = renderers(hub.now(), dev)
    data = [{"seq": None, "type": kind, "id": record.id, "op": "upsert",
             "at": wire.iso(getattr(record, "updated_at", None) or record.created_at),
             "data": render[kind](record)} for kind, record in page.rows]
    return orjson.dumps({"data": data, "meta": {"cursor": page.cursor, "next": page.next,
                                                "has_more": page.next is not None,
                                                "totals": page.totals, "limit": limit}})


def _device_scope(block: RowsBlock, view: DeviceView | None, dev: Device) -> RowsBlock:
    """A block as ``dev`` receives it: the type's ``device_view`` column (staff PIN hashes)
    only for the records in the device's scope, as in the feed (``hub.changes.for_device``)."""
    if view is None:
        return block
    role, store, at = (block.columns.index(n) for n in (*view.scope, view.column))
    rows = [row if dev.may_act(row[role], row[store])
            else (*row[:at], view.withheld, *row[at + 1:]) for row in block.rows]
    return RowsBlock(block.type, block.columns, rows, block.child_columns, block.child_rows)


def snapshot_rows_body(hub: Hub, dev: Device, token: str | None, limit: int) -> bytes:
    """The page in the rows-v2 format (module docstring) as JSON bytes."""
    page = hub.cl.snapshot_rows(token, limit)
    data = [{"type": b.type, "columns": b.columns, "rows": b.rows,
             "child_columns": b.child_columns, "child_rows": b.child_rows}
            for b in (_device_scope(b, BY_NAME[b.type].device_view, dev) for b in page.blocks)]
    return orjson.dumps({"format": FORMAT, "data": data,
                         "meta": {"cursor": page.cursor, "next": page.next,
                                  "has_more": page.next is not None, "totals": page.totals,
                                  "limit": limit}})
