"""Profiles: list/search, read, create, update, find by card (SPEC §7)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine import wire
from clienteling.engine.errors import ValidationError
from clienteling.engine.form import Form, opt
from clienteling.engine.permissions import Action
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import list_doc, list_query, listing, one
from clienteling.hub.idempotency import Call, writes
from clienteling.hub.requests import as_object, parse_json, raw_body

router = APIRouter(tags=["profiles"])


@router.get("/profiles", summary="Browse or search profiles (filter[search]=name, email, phone "
            "or card)", openapi_extra=list_doc())
def list_profiles(request: Request, hub: Reader) -> JSONResponse:
    page = hub.listing.profiles(list_query(request, search=True))
    return JSONResponse(listing(request, page, wire.profile))


@router.post("/profiles/search-id", summary="Find a profile by id or identity (card)",
             openapi_extra=schemas.write_doc(schemas.SEARCH_ID) | {"parameters": []})
def search_id(hub: Reader, raw: Annotated[bytes, Depends(raw_body)]) -> JSONResponse:
    body = as_object(parse_json(raw))
    form = Form(body)
    kind = form.text("type", required=True, max_len=64)
    value = body.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > 128:
        form.error("id", "is required: the profile id or the identity (card number) to find")
    form.done()
    ident = str(value).strip()
    if kind == "profile_id":
        profile = hub.cl.profiles.get(ident)
    else:
        profile = hub.cl.profiles.find_identity(ident, handle=opt(kind))
    return JSONResponse(one(wire.profile(profile)))


@router.get("/profiles/{profile_id}", summary="A profile")
def get_profile(profile_id: str, hub: Reader) -> JSONResponse:
    return JSONResponse(one(wire.profile(hub.cl.profiles.get(profile_id))))


@router.post("/profiles", status_code=201, summary="Create a profile (body may carry the "
             "till's id)", openapi_extra=schemas.write_doc(schemas.PROFILE))
def create_profile(call: Annotated[Call, Depends(writes(Action.EDIT_PROFILE))]) -> Response:
    def work() -> tuple[int, Any]:
        return 201, one(wire.profile(call.hub.cl.profiles.create(call.actor, call.body)))

    # One commit for the key, the profile and the stored answer (a till's outbox pushes many).
    return call.run(work, whole=True)


@router.put("/profiles/{profile_id}", summary="Update a profile (partial)",
            openapi_extra=schemas.write_doc(schemas.PROFILE_UPDATE))
def update_profile(profile_id: str, call: Annotated[Call, Depends(writes(Action.EDIT_PROFILE))]) -> Response:
    def work() -> tuple[int, Any]:
        if "id" in call.body and call.body["id"] != profile_id:
            raise ValidationError.field("id", "does not match the profile in the path")
        profile = call.hub.cl.profiles.update(call.actor, profile_id, call.body)
        return 200, one(wire.profile(profile))

    return call.run(work)
