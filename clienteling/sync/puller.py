"""Pull the hub's change feed (``GET /sync/changes``) from this till's cursor (SPEC §7).

Each page and the new cursor commit in one transaction through the remote door
(``cl.remote.apply``), which never writes over a record this till still has a change for:
that change's answer re-reads the record from the hub (``pusher``), so skipping it here
loses nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from clienteling.engine.services import Clienteling
from clienteling.sync.client import Cancelled, HubClient
from clienteling.sync.progress import Progress
from clienteling.sync.wire import FeedPage

FEED_PAGE = 1000


def pull(cl: Clienteling, client: HubClient, *, cancel: threading.Event | None = None,
         progress: Callable[[Progress], None] | None = None, limit: int = FEED_PAGE) -> int:
    """Apply the feed up to its end; returns the records written (upserts and deletes)."""
    cursor = cl.remote.cursor() or 0
    applied = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        page = FeedPage.model_validate(client.get_json(
            "/sync/changes", {"after": cursor, "limit": limit}))
        if page.data or page.meta.next != cursor:
            result = cl.remote.apply([e.for_remote() for e in page.data], cursor=page.meta.next)
            applied += result.upserted + result.deleted
        cursor = page.meta.next
        if progress is not None:
            progress(Progress("pull", applied, None))
        if not page.meta.has_more or not page.data:
            return applied
