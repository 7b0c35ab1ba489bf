"""A first sync: an empty till reads the hub's snapshot (``GET /sync/snapshot``) page by
page, then the change feed from the FIRST page's cursor (why that one: ``hub.snapshot``).

Each page is applied through the remote door (Core bulk inserts) in one transaction with
the resume point (``sync.first_sync``: the first cursor, the next page's token, rows done),
so a cancel, a crash or a lost connection resumes at the page after the last one applied.
The last page stores the feed cursor and drops the resume point in its transaction.

Pages are asked for in the rows-v2 format (``engine.wire_rows``: each type's column names
once, then one list per record in the till's storage form), which the remote door checks
column by column and writes without converting each value (SPEC §8's first-sync speed). A hub
that does not know the format answers with entries (no ``format`` in the page), and those
are applied as before, so a new till syncs from an older hub.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

from clienteling.engine.services import Clienteling
from clienteling.engine.wire_rows import FORMAT, Block
from clienteling.sync import state as sync_state
from clienteling.sync.client import Cancelled, HubClient, HubFailed
from clienteling.sync.progress import Progress

SNAPSHOT_PAGE = 5000  # the hub's largest page: fewer round trips, ~1-2 MB each


@dataclass(frozen=True)
class Page:
    entries: list[Any]  # as the remote door takes them: entries, or rows-v2 blocks
    cursor: int
    next: str | None
    has_more: bool
    totals: dict[str, int]

    @property
    def rows(self) -> int:
        """Records on the page (a rows-v2 block holds many)."""
        return sum(len(e.rows) if isinstance(e, Block) else 1 for e in self.entries)


def _meta(body: dict[str, Any]) -> tuple[int, str | None, bool, dict[str, int]]:
    meta = body.get("meta")
    if not isinstance(meta, dict):
        raise HubFailed("The hub's snapshot page has no data list and meta object.")
    cursor, token, more = meta.get("cursor"), meta.get("next"), meta.get("has_more")
    totals = meta.get("totals") or {}
    if (isinstance(cursor, bool) or not isinstance(cursor, int) or not isinstance(more, bool)
            or not (token is None or isinstance(token, str)) or not isinstance(totals, dict)
            or not all(isinstance(v, int) for v in totals.values())):
        raise HubFailed("The hub's snapshot page meta is not cursor (whole number), next "
                        "(text or null), has_more (true or false) and totals.")
    return cursor, token, more, totals


def _rows_of(value: Any) -> bool:
    return isinstance(value, list) and set(map(type, value)) <= {list}


def read_rows_page(body: dict[str, Any]) -> Page:
    """A rows-v2 page (``hub.snapshot``): its meta checked and its blocks in the remote
    door's shape. Only the page's shape is checked here; every column of every block is
    checked by the remote door (``engine.wire_rows.check_block``), which refuses a bad
    record naming its type, id and field."""
    cursor, token, more, totals = _meta(body)
    data = body.get("data")
    if not isinstance(data, list):
        raise HubFailed("The hub's snapshot page has no data list and meta object.")
    blocks: list[Any] = []
    for item in data:
        if not isinstance(item, dict):
            raise HubFailed("The hub's snapshot page holds a block that is not an object.")
        kind, names, rows = item.get("type"), item.get("columns"), item.get("rows")
        child_names, child_rows = item.get("child_columns"), item.get("child_rows")
        if (not isinstance(kind, str) or not isinstance(names, list)
                or not all(isinstance(n, str) for n in names) or not _rows_of(rows)
                or not (child_names is None or (isinstance(child_names, list) and all(
                    isinstance(n, str) for n in child_names)))
                or not (child_rows is None or _rows_of(child_rows))):
            raise HubFailed("The hub's snapshot page holds a block that is not type, columns "
                            "(names), rows (lists) and child columns and rows.")
        blocks.append(Block(kind, names, cast(list[list[Any]], rows), child_names, child_rows))
    return Page(blocks, cursor, token, more, totals)


def read_page(body: Any) -> Page:
    """A snapshot page's meta checked and its entries in the remote door's shape.

    Why not ``sync.wire.SnapshotPage``: validating 5,000 entries per page with pydantic, then
    copying each into the door's shape, took longer than inserting them. Each record is
    still checked field by field by the remote door (``engine.wire_in``), which refuses a
    bad one naming its type, id and field; here only the page's own shape is checked.

    A page in the rows-v2 format (``format``) is read by ``read_rows_page``."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise HubFailed("The hub's snapshot page has no data list and meta object.")
    if body.get("format") == FORMAT:
        return read_rows_page(body)
    cursor, token, more, totals = _meta(body)
    data = body["data"]
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
    """Run (or resume) the first sync's snapshot; returns the rows applied in this call.

    The next page is read (on one worker thread) while this one is applied, so the hub
    builds a page while the till writes one. None is read once a cancel has been asked for:
    a page already on its way when the cancel comes is applied, then the sync stops, so a
    cancelled first sync never reads a page it does not apply.

    The big tables' secondary indexes are built once, with the last page (``remote.apply``'s
    ``defer_indexes``/``build_indexes``): until then a till searches correctly but slowly."""
    limit = limit or SNAPSHOT_PAGE
    state: dict[str, Any] = sync_state.get(cl, sync_state.FIRST_SYNC) or {}
    first_cursor = state.get("cursor")
    token = state.get("next")
    done = int(state.get("done", 0))
    total = state.get("total")
    applied = 0

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    def fetch(after: str | None) -> Page:
        params: dict[str, Any] = {"limit": limit, "format": FORMAT}
        if after:
            params["next"] = after
        return read_page(client.get_json("/sync/snapshot", params))

    if cancelled():
        raise Cancelled()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="first-sync") as pool:
        page = fetch(token)
        while True:
            more = bool(page.has_more and page.next)
            coming: Future[Page] | None = None
            if more and not cancelled():
                coming = pool.submit(fetch, page.next)
            if first_cursor is None:
                first_cursor = page.cursor
                total = sum(page.totals.values()) or None
            done += page.rows
            if more:
                resume = {"cursor": first_cursor, "next": page.next, "done": done,
                          "total": total}
                result = cl.remote.apply(page.entries, sync_state={sync_state.FIRST_SYNC: resume},
                                         defer_indexes=True)
            else:
                result = cl.remote.apply(page.entries, cursor=first_cursor,
                                         sync_state={sync_state.FIRST_SYNC: None},
                                         build_indexes=True)
            applied += result.upserted
            if progress is not None:
                progress(Progress("first_sync", done, max(total or 0, done) or None))
            if not more:
                return applied
            if coming is None:
                raise Cancelled()
            # A failed read raises here (the pool waits for nothing more on the way out).
            page = coming.result()
