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
from typing import Any

from clienteling.engine.services import Clienteling
from clienteling.sync import settings
from clienteling.sync.client import Cancelled, HubClient
from clienteling.sync.progress import Progress
from clienteling.sync.wire import SnapshotPage

SNAPSHOT_PAGE = 5000  # the hub's largest page: fewer round trips, ~1-2 MB each


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
        page = SnapshotPage.model_validate(client.get_json("/sync/snapshot", params))
        if first_cursor is None:
            first_cursor = page.meta.cursor
            total = sum(page.meta.totals.values()) or None
        entries = [e.for_remote() for e in page.data]
        done += len(entries)
        if page.meta.has_more and page.meta.next:
            resume = {"cursor": first_cursor, "next": page.meta.next, "done": done,
                      "total": total}
            result = cl.remote.apply(entries, settings={settings.FIRST_SYNC: resume})
        else:
            result = cl.remote.apply(entries, cursor=first_cursor,
                                     settings={settings.FIRST_SYNC: None})
        applied += result.upserted
        if progress is not None:
            progress(Progress("first_sync", done, max(total or 0, done) or None))
        if not (page.meta.has_more and page.meta.next):
            return applied
        token = page.meta.next
