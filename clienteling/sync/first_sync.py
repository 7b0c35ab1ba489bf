"""A first sync: an empty till reads the hub's snapshot (``GET /sync/snapshot``) page by
page, then the change feed from the FIRST page's cursor (why that one: ``hub.snapshot``).

Each page is applied through the remote door (Core bulk inserts) in one transaction with
the resume point (``sync.first_sync``: the first cursor, the next page's token, rows done),
so a cancel, a crash or a lost connection resumes at the page after the last one applied.
The last page stores the feed cursor and drops the resume point in its transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clienteling.engine.services import Clienteling
from clienteling.sync import settings
from clienteling.sync.client import Cancelled, HubClient, HubFailed
from clienteling.sync.progress import Progress

SNAPSHOT_PAGE = 5000  # the hub's largest page: fewer round trips, ~1-2 MB each


@dataclass(frozen=True)
class Page:
    entries: list[dict[str, Any]]  # as the remote door takes them
    cursor: int
    next: str | None
    has_more: bool
    totals: dict[str, int]


def read_page(body: Any) -> Page:
    """A snapshot page's meta checked and its entries in the remote door's shape.

    Why not ``sync.wire.SnapshotPage``: validating 5,000 entries per page with pydantic, then
    copying each into the door's shape, took longer than inserting them. Each record is
    still checked field by field by the remote door (``engine.wire_in``), which refuses a
    bad one naming its type, id and field; here only the page's own shape is checked."""
    meta = body.get("meta") if isinstance(body, dict) else None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(meta, dict) or not isinstance(data, list):
        raise HubFailed("The hub's snapshot page has no data list and meta object.")
    cursor, token, more = meta.get("cursor"), meta.get("next"), meta.get("has_more")
    totals = meta.get("totals") or {}
    if (isinstance(cursor, bool) or not isinstance(cursor, int) or not isinstance(more, bool)
            or not (token is None or isinstance(token, str)) or not isinstance(totals, dict)
            or not all(isinstance(v, int) for v in totals.values())):
        raise HubFailed("The hub's snapshot page meta is not cursor (whole number), next "
                        "(text or null), has_more (true or false) and totals.")
    entries: list[dict[str, Any]] = []
    for entry in data:
        if not isinstance(entry, dict):
            raise HubFailed("The hub's snapshot page holds an entry that is not an object.")
        record = entry.get("data")
        if record is None or entry.get("op") == "delete":
            # A record that no longer exists (no data) is a delete, as in the feed.
            entries.append({"type": entry.get("type"), "id": entry.get("id"), "op": "delete"})
        else:
            entries.append({"type": entry.get("type"), "id": entry.get("id"), "op": "upsert",
                            "data": record})
    return Page(entries, cursor, token, more, totals)


def needed(cl: Clienteling) -> bool:
    """True until a first sync has completed (the till has no feed cursor yet)."""
    return cl.remote.cursor() is None


def first_sync(cl: Clienteling, client: HubClient, *, cancel: threading.Event | None = None,
               progress: Callable[[Progress], None] | None = None,
               limit: int | None = None) -> int:
    """Run (or resume) the first sync's snapshot; returns the rows applied in this call."""
    limit = limit or SNAPSHOT_PAGE
    state: dict[str, Any] = settings.get(cl, settings.FIRST_SYNC) or {}
    first_cursor = state.get("cursor")
    token = state.get("next")
    done = int(state.get("done", 0))
    total = state.get("total")
    applied = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        params: dict[str, Any] = {"limit": limit}
        if token:
            params["next"] = token
        page = read_page(client.get_json("/sync/snapshot", params))
        if first_cursor is None:
            first_cursor = page.cursor
            total = sum(page.totals.values()) or None
        entries = page.entries
        done += len(entries)
        if page.has_more and page.next:
            resume = {"cursor": first_cursor, "next": page.next, "done": done,
                      "total": total}
            result = cl.remote.apply(entries, settings={settings.FIRST_SYNC: resume})
        else:
            result = cl.remote.apply(entries, cursor=first_cursor,
                                     settings={settings.FIRST_SYNC: None})
        applied += result.upserted
        if progress is not None:
            progress(Progress("first_sync", done, max(total or 0, done) or None))
        if not (page.has_more and page.next):
            return applied
        token = page.next
