"""Purchases reported by other channels and by tills' outboxes (SPEC 3.8 P4, §7):
``POST/GET /profiles/{pid}/transactions``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from clienteling.engine import wire
from clienteling.engine.permissions import Action
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import one
from clienteling.hub.idempotency import Call, writes

router = APIRouter(tags=["purchases"])

SIGNED_MONEY: dict[str, Any] = {
    "type": ["string", "number"],
    "description": "decimal string, e.g. \"182.50\"; negative on a return"}
TRANSACTION = schemas.obj(
    ("receipt_ref", "total"),
    id=schemas.ID, receipt_ref={"type": "string", "maxLength": 128}, total=SIGNED_MONEY,
    eligible_spend=SIGNED_MONEY, occurred_at=schemas.TIME, store_id=schemas.ID,
    returns_purchase_id=schemas.ID, lines={"type": ["array", "null"]},
    source={"type": "string", "enum": ["counter", "api", "import"]},
)


@router.post("/profiles/{profile_id}/transactions", status_code=201,
             summary="Record a purchase or a return (P4); the same receipt_ref at the same "
             "store again answers the purchase already recorded (200)",
             openapi_extra=schemas.write_doc(TRANSACTION))
def record_transaction(profile_id: str,
                       call: Annotated[Call, Depends(writes(Action.RECORD_PURCHASE))]) -> Response:
    def work() -> tuple[int, Any]:
        body = call.body if isinstance(call.body, dict) else {}
        store_id = body.get("store_id") or call.actor.store_id
        ref = body.get("receipt_ref")
        known = (call.hub.cl.purchases.by_receipt(str(store_id), ref.strip())
                 if isinstance(ref, str) and ref.strip() else None)
        purchase = call.hub.cl.purchases.record(call.actor, profile_id, call.body, source="api")
        return (200 if known is not None else 201), one(wire.purchase(purchase))

    return call.run(work)


@router.get("/profiles/{profile_id}/transactions", summary="A profile's purchases and returns, "
            "newest first")
def list_transactions(profile_id: str, hub: Reader) -> JSONResponse:
    hub.cl.profiles.get(profile_id)  # an unknown profile is 404
    return JSONResponse(one([wire.purchase(p) for p in hub.cl.purchases.for_profile(profile_id)]))
