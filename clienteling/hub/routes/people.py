"""Staff (with PIN hashes, for offline sign-in, only of those who may act on the asking
device: ``hub.changes.staff_view``) and stores (``/locations``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clienteling.engine import wire
from clienteling.engine.frozen import StaffRecord
from clienteling.hub.auth import Reader
from clienteling.hub.changes import staff_view
from clienteling.hub.envelope import list_doc, list_query, listing

router = APIRouter(tags=["staff and stores"])


@router.get("/staff", summary="Staff, with PIN hashes for offline sign-in for those who may act "
            "on this device (inactive ones too, so a till locks them out)",
            openapi_extra=list_doc())
def list_staff(request: Request, hub: Reader) -> JSONResponse:
    dev = request.state.device

    def record(member: StaffRecord) -> dict[str, object]:
        return staff_view(member, dev)

    return JSONResponse(listing(request, hub.listing.staff(list_query(request)), record))


@router.get("/locations", summary="Stores", openapi_extra=list_doc())
def list_locations(request: Request, hub: Reader) -> JSONResponse:
    return JSONResponse(listing(request, hub.listing.stores(list_query(request)), wire.store))
