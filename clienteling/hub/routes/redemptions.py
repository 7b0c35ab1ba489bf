"""Redemptions: history (all, or a profile's), one, and reversal (R5, void)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine import wire
from clienteling.engine.form import Form, opt
from clienteling.engine.permissions import Action
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import list_doc, list_query, listing, one
from clienteling.hub.idempotency import Call, writes

router = APIRouter(tags=["redemptions"])


@router.get("/redemptions", summary="Redemption history (filter[profile_id], filter[type], …)",
            openapi_extra=list_doc())
def list_redemptions(request: Request, hub: Reader) -> JSONResponse:
    page = hub.listing.redemptions(list_query(request))
    return JSONResponse(listing(request, page, wire.redemption))


@router.get("/redemptions/{redemption_id}", summary="A redemption")
def get_redemption(redemption_id: str, hub: Reader) -> JSONResponse:
    return JSONResponse(one(wire.redemption(hub.cl.rewards.redemption(redemption_id))))


@router.get("/profiles/{profile_id}/redemptions", summary="A profile's redemptions",
            openapi_extra=list_doc())
def profile_redemptions(profile_id: str, request: Request, hub: Reader) -> JSONResponse:
    page = hub.listing.redemptions(list_query(request), profile_id=profile_id)
    return JSONResponse(listing(request, page, wire.redemption))


@router.post("/redemptions/{redemption_id}/reversal", status_code=201,
             summary="Void a redemption (R5, manager/admin); returns the reversal",
             openapi_extra=schemas.write_doc(schemas.REVERSAL))
def reverse(redemption_id: str, call: Annotated[Call, Depends(writes(Action.VOID))]) -> Response:
    def work() -> tuple[int, Any]:
        form = Form(call.body)
        reversal_id = opt(form.text("reversal_id", max_len=36))
        form.done()
        reversal = call.hub.cl.rewards.void(call.actor, redemption_id, reversal_id=reversal_id)
        return 201, one(wire.redemption(reversal))

    return call.run(work)
