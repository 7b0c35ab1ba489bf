"""``GET /health``: 200 without a token, for monitoring."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clienteling.engine import wire
from clienteling.hub.state import get_hub

router = APIRouter(tags=["health"])


@router.get("/health", summary="Is the hub up (no token needed)")
def health(request: Request) -> JSONResponse:
    hub = get_hub(request)
    return JSONResponse({"data": {"status": "ok", "database": hub.cl.dialect,
                                  "time": wire.iso(hub.now())}})
