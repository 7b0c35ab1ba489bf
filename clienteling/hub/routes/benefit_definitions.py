"""Benefit definitions: ``/benefits/definitions`` (Omneo's route inventory) and the alias
``/benefit-definitions`` (the path Omneo's guides and seed 001 use)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine import wire
from clienteling.engine.errors import VersionConflict
from clienteling.engine.permissions import Action
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import list_doc, list_query, listing, one
from clienteling.hub.errors import ApiError, classify
from clienteling.hub.idempotency import Call, writes
from clienteling.hub.requests import etag, if_match

router = APIRouter(tags=["benefit definitions"])


def conflict(exc: VersionConflict, current: dict[str, Any]) -> ApiError:
    """409 with the hub's current version, so the editor can show both (SPEC §6)."""
    known = classify(exc)
    assert known is not None
    body = dict(known[1])
    message = body.pop("message")
    body.pop("code", None)
    return ApiError(409, message, code="version_conflict", extra={**body, "data": current})


def _mount(prefix: str, documented: bool) -> None:
    @router.get(prefix, summary="Browse benefit definitions", include_in_schema=documented,
                openapi_extra=list_doc(tags=True))
    def list_definitions(request: Request, hub: Reader) -> JSONResponse:
        page = hub.listing.benefit_definitions(list_query(request))
        return JSONResponse(listing(request, page, wire.benefit_definition))

    @router.post(prefix, status_code=201, summary="Create a benefit definition (admin)",
                 include_in_schema=documented,
                 openapi_extra=schemas.write_doc(schemas.BENEFIT_DEFINITION))
    def create_definition(call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        def work() -> tuple[int, Any, dict[str, str]]:
            d = call.hub.cl.definitions.create_benefit_definition(call.actor, call.body)
            return 201, one(wire.benefit_definition(d)), etag(d.version)

        return call.run(work)

    @router.get(prefix + "/handle/{handle}", summary="A benefit definition by handle",
                include_in_schema=documented)
    def get_by_handle(handle: str, hub: Reader) -> JSONResponse:
        d = hub.cl.definitions.benefit_definition(handle)
        return JSONResponse(one(wire.benefit_definition(d)), headers=etag(d.version))

    @router.get(prefix + "/{definition_id}", summary="A benefit definition",
                include_in_schema=documented)
    def get_definition(definition_id: str, hub: Reader) -> JSONResponse:
        d = hub.cl.definitions.benefit_definition(definition_id)
        return JSONResponse(one(wire.benefit_definition(d)), headers=etag(d.version))

    @router.put(prefix + "/{definition_id}", summary="Edit a benefit definition (admin; If-Match "
                "the version it is based on)", include_in_schema=documented,
                openapi_extra=schemas.write_doc(schemas.BENEFIT_DEFINITION_UPDATE, if_match=True))
    def update_definition(definition_id: str, request: Request,
                          call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        expected = if_match(request)

        def work() -> tuple[int, Any, dict[str, str]]:
            defs = call.hub.cl.definitions
            try:
                d = defs.update_benefit_definition(call.actor, definition_id, call.body,
                                                   expected_version=expected)
            except VersionConflict as exc:
                current = wire.benefit_definition(defs.benefit_definition(definition_id))
                raise conflict(exc, current) from exc
            return 200, one(wire.benefit_definition(d)), etag(d.version)

        return call.run(work)

    @router.delete(prefix + "/{definition_id}", status_code=204, include_in_schema=documented,
                   summary="Delete a benefit definition never issued (admin); otherwise archive it",
                   openapi_extra=schemas.write_doc(if_match=True))
    def delete_definition(definition_id: str, request: Request,
                          call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        expected = if_match(request)

        def work() -> tuple[int, Any]:
            defs = call.hub.cl.definitions
            try:
                defs.delete_benefit_definition(call.actor, definition_id, expected_version=expected)
            except VersionConflict as exc:
                current = wire.benefit_definition(defs.benefit_definition(definition_id))
                raise conflict(exc, current) from exc
            return 204, None

        return call.run(work)


_mount("/benefits/definitions", True)
_mount("/benefit-definitions", False)
