"""Sync: ``GET /sync/changes`` (the change feed tills pull from, see ``hub.changes``),
``POST /sync/push`` (a till's outbox in batches, see ``hub.push``), ``GET /sync/snapshot``
(a first sync, see ``hub.snapshot``) and ``GET /sync/digest`` (do a till and the hub agree,
see ``engine.services.digest``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from clienteling.engine.services.listing import MAX_FEED_PAGE
from clienteling.hub.auth import Reader, device
from clienteling.hub.changes import DEFAULT_LIMIT, feed_page
from clienteling.hub.push import MAX_ENTRIES, dispatch, parse_batch
from clienteling.hub.requests import parse_json, raw_body

router = APIRouter(tags=["sync"])


@router.get("/sync/changes", summary="Changes after a cursor, in commit order")
def changes(
    hub: Reader,
    after: Annotated[int, Query(ge=0, le=2**62, description="the last seq already applied")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_PAGE)] = DEFAULT_LIMIT,
) -> JSONResponse:
    return JSONResponse(feed_page(hub, after, limit))


PUSH_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"type": "object", "required": ["entries"], "properties": {"entries": {
        "type": "array", "maxItems": MAX_ENTRIES, "items": {
            "type": "object", "required": ["key", "method", "path"], "properties": {
                "key": {"type": "string"}, "method": {"type": "string"},
                "path": {"type": "string"}, "body": {},
                "headers": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}}}}}


@router.post("/sync/push", summary="Apply a till's outbox entries, each on its own (status per "
             "entry)", openapi_extra=PUSH_DOC)
async def push(request: Request, raw: Annotated[bytes, Depends(raw_body)]) -> JSONResponse:
    # The batch needs a valid token before anything is parsed; each entry then passes the
    # single call's own checks (staff, role, store) as a sub-request.
    await run_in_threadpool(device, request)
    entries = parse_batch(parse_json(raw))
    app = request.scope["app"]
    authorization = request.headers.get("authorization")
    results = [await dispatch(app, request.scope, authorization, entry) for entry in entries]
    return JSONResponse({"data": results})
