"""Sync: ``GET /sync/changes`` (the change feed tills pull from, see ``hub.changes``),
``POST /sync/push`` (a till's outbox in batches, see ``hub.push``), ``GET /sync/snapshot``
(a first sync, see ``hub.snapshot``) and ``GET /sync/digest`` (do a till and the hub agree,
see ``engine.services.digest``); ``GET /sync/records`` (named records in the feed's shape,
for a till correcting its optimistic copy after a push); ``GET /sync/whoami`` (which device
and store a token is, for connecting a till)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from clienteling import __version__
from clienteling.engine.errors import ValidationError
from clienteling.engine.services.listing import MAX_FEED_PAGE
from clienteling.engine.services.snapshot import (
    DEFAULT_SNAPSHOT_PAGE,
    MAX_SNAPSHOT_PAGE,
    SYNC_TYPES,
)
from clienteling.engine.wire_rows import FORMAT as ROWS_FORMAT
from clienteling.hub.auth import Reader, device
from clienteling.hub.changes import DEFAULT_LIMIT, empty_body, feed_body, renderers
from clienteling.hub.push import MAX_ENTRIES, answer, apply, parse_batch
from clienteling.hub.requests import parse_json, raw_body
from clienteling.hub.snapshot import snapshot as snapshot_body
from clienteling.hub.snapshot import snapshot_rows_body
from clienteling.sync.wire import API_PREFIX, MAX_RECORD_IDS

router = APIRouter(tags=["sync"])


@router.get("/sync/changes", summary="Changes after a cursor, in commit order")
def changes(
    request: Request,
    hub: Reader,
    after: Annotated[int, Query(ge=0, le=2**62, description="the last seq already applied")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_PAGE)] = DEFAULT_LIMIT,
) -> Response:
    # An idle till's poll (nothing after its cursor) is one index probe, and with the ETag of
    # its last empty page a 304 with no body (issue 19: at a thousand tills most polls are
    # idle). Only an empty page has an ETag: a page with entries is read once per cursor.
    if not hub.cl.feed.anything_after(after):
        tag = f'"feed-{after}-{limit}"'
        if tag in _tags(request.headers.get("if-none-match")):
            return Response(status_code=304, headers={"ETag": tag})
        return Response(empty_body(after, limit), media_type="application/json",
                        headers={"ETag": tag})
    return Response(feed_body(hub, request.state.device, after, limit),
                    media_type="application/json")


def _tags(header: str | None) -> set[str]:
    if not header:
        return set()
    return {t.strip().removeprefix("W/") for t in header.split(",")}


PUSH_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["entries"], "properties": {"entries": {
        "type": "array", "maxItems": MAX_ENTRIES, "items": {
            "type": "object", "required": ["key", "method", "path"], "properties": {
                "key": {"type": "string"}, "method": {"type": "string"},
                "path": {"type": "string"}, "body": {},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}}}}}


@router.post("/sync/push", summary="Apply a till's outbox entries, each on its own (status per "
             "entry)", openapi_extra=PUSH_DOC)
async def push(request: Request, raw: Annotated[bytes, Depends(raw_body)]) -> Response:
    # The batch needs a valid token before anything is parsed; each entry then passes the
    # single call's own checks (staff, role, store) as a sub-request.
    dev = await run_in_threadpool(device, request)
    entries = parse_batch(parse_json(raw))
    return Response(answer(await apply(request, dev, entries)), media_type="application/json")


@router.get("/sync/snapshot", summary="Every synced record, paged by (type, id), for a first "
            "sync")
def snapshot(
    request: Request,
    hub: Reader,
    next: Annotated[str | None, Query(max_length=300, description="meta.next of the previous "
                                      "page; leave out to start")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SNAPSHOT_PAGE)] = DEFAULT_SNAPSHOT_PAGE,
    format: Annotated[str | None, Query(max_length=40, description=f"'{ROWS_FORMAT}' for "
                                        "column-ordered rows in the till's storage form; any "
                                        "other value (or none) gets entries")] = None,
) -> Response:
    # A format this hub does not know gets the entries every till reads, not a 422: a newer
    # till then falls back to them.
    body = snapshot_rows_body if format == ROWS_FORMAT else snapshot_body
    return Response(body(hub, request.state.device, next, limit), media_type="application/json")


@router.get("/sync/digest", summary="Counts and hashes per synced type, drillable by id-hash "
            "prefix")
def digest(
    request: Request,
    hub: Reader,
    type: Annotated[str | None, Query(max_length=40, description="drill into one type")] = None,
    prefix: Annotated[str, Query(max_length=63, description="hex digits of the id hash")] = "",
) -> JSONResponse:
    # Over what this device receives (staff PIN hashes withheld as in the feed and snapshot),
    # so a till that applied all of it has an equal digest.
    view = hub.cl.digest_for(request.state.device.may_act)
    if type is None:
        if prefix:
            raise ValidationError.field("prefix", "needs type")
        return JSONResponse({"data": view.summary()})
    return JSONResponse({"data": view.drill(type, prefix)})


@router.get("/sync/records", summary="The current state of named records, in the feed's shape")
def records(
    request: Request,
    hub: Reader,
    type: Annotated[str, Query(max_length=40, description="an entity type of the feed")],
    id: Annotated[list[str], Query(description="record ids (repeat the parameter)")],
) -> JSONResponse:
    """Each id as a feed entry: ``upsert`` with the current record, or ``delete`` when the
    hub has no such record (a till then drops the copy it made optimistically)."""
    if type not in SYNC_TYPES:
        raise ValidationError.field("type", f"must be one of {', '.join(SYNC_TYPES)}")
    if not 1 <= len(id) <= MAX_RECORD_IDS or any(not 1 <= len(i) <= 36 for i in id):
        raise ValidationError.field("id", f"1 to {MAX_RECORD_IDS} ids of 1 to 36 characters")
    # Staff records as this device receives them in the feed (PIN hashes in its scope only).
    render = renderers(hub.now(), request.state.device)[type]
    out: list[dict[str, Any]] = [
        {"seq": None, "type": type, "id": ident, "op": "delete" if data is None else "upsert",
         "data": data}
        for ident, data in hub.cl.render_current(SYNC_TYPES[type], list(dict.fromkeys(id)), render)]
    return JSONResponse({"data": out})


@router.get("/sync/whoami", summary="The device behind this token and the store it belongs "
            "to (how a till proves its URL and token before saving them)")
def whoami(request: Request, hub: Reader) -> JSONResponse:
    # One call that proves the token (the Reader dependency: 401/429 as for any read) and
    # names the store, so `clienteling connect` and the Connect form can say "this is the
    # Melbourne Central hub" before they save anything (SPEC §6 "Connecting a till").
    dev = request.state.device
    store = next((s for s in hub.cl.staff.stores() if s.id == dev.store_id), None)
    return JSONResponse({"data": {
        "device": {"id": dev.token_id, "name": dev.name, "kind": dev.kind},
        "store": ({"id": store.id, "name": store.name, "timezone": store.timezone}
                  if store is not None else {"id": dev.store_id, "name": "", "timezone": ""}),
        "hub": {"name": "clienteling", "version": __version__, "api": API_PREFIX},
    }})
