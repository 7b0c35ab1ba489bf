"""``GET /sync/changes``: the change feed tills pull from (see ``hub.changes``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from clienteling.engine.services.listing import MAX_FEED_PAGE
from clienteling.hub.auth import Reader
from clienteling.hub.changes import DEFAULT_LIMIT, feed_page

router = APIRouter(tags=["sync"])


@router.get("/sync/changes", summary="Changes after a cursor, in commit order")
def changes(
    hub: Reader,
    after: Annotated[int, Query(ge=0, le=2**62, description="the last seq already applied")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_FEED_PAGE)] = DEFAULT_LIMIT,
) -> JSONResponse:
    return JSONResponse(feed_page(hub, after, limit))
