"""Staff (with PIN hashes, for offline sign-in at the till) and stores (``/locations``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from clienteling.engine import wire
from clienteling.engine.models import Staff
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import list_doc, list_query, listing

router = APIRouter(tags=["staff and stores"])


def staff_record(member: Staff) -> dict[str, object]:
    return wire.staff(member, with_pin_hash=True)


@router.get("/staff", summary="Staff, with PIN hashes for offline sign-in (inactive ones too, "
            "so a till locks them out)", openapi_extra=list_doc())
def list_staff(request: Request, hub: Reader) -> JSONResponse:
    return JSONResponse(listing(request, hub.listing.staff(list_query(request)), staff_record))


@router.get("/locations", summary="Stores", openapi_extra=list_doc())
def list_locations(request: Request, hub: Reader) -> JSONResponse:
    return JSONResponse(listing(request, hub.listing.stores(list_query(request)), wire.store))
