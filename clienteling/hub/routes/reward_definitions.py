"""Reward definitions: ``/rewards/definitions`` and the alias ``/reward-definitions``."""

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
from clienteling.hub.idempotency import Call, writes
from clienteling.hub.requests import etag, if_match
from clienteling.hub.routes.benefit_definitions import conflict

router = APIRouter(tags=["reward definitions"])


def _mount(prefix: str, documented: bool) -> None:
    @router.get(prefix, summary="Browse reward definitions", include_in_schema=documented,
                openapi_extra=list_doc())
    def list_definitions(request: Request, hub: Reader) -> JSONResponse:
        page = hub.listing.reward_definitions(list_query(request))
        return JSONResponse(listing(request, page, wire.reward_definition))

    @router.post(prefix, status_code=201, summary="Create a reward definition (admin)",
                 include_in_schema=documented,
                 openapi_extra=schemas.write_doc(schemas.REWARD_DEFINITION))
    def create_definition(call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        def work() -> tuple[int, Any, dict[str, str]]:
            d = call.hub.cl.definitions.create_reward_definition(call.actor, call.body)
            return 201, one(wire.reward_definition(d)), etag(d.version)

        return call.run(work)

    @router.get(prefix + "/{definition_id}", summary="A reward definition",
                include_in_schema=documented)
    def get_definition(definition_id: str, hub: Reader) -> JSONResponse:
        d = hub.cl.definitions.reward_definition(definition_id)
        return JSONResponse(one(wire.reward_definition(d)), headers=etag(d.version))

    @router.put(prefix + "/{definition_id}", summary="Edit a reward definition (admin; If-Match "
                "the version it is based on)", include_in_schema=documented,
                openapi_extra=schemas.write_doc(schemas.REWARD_DEFINITION_UPDATE, if_match=True))
    def update_definition(definition_id: str, request: Request,
                          call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        expected = if_match(request)

        def work() -> tuple[int, Any, dict[str, str]]:
            defs = call.hub.cl.definitions
            try:
                d = defs.update_reward_definition(call.actor, definition_id, call.body,
                                                  expected_version=expected)
            except VersionConflict as exc:
                current = wire.reward_definition(defs.reward_definition(definition_id))
                raise conflict(exc, current) from exc
            return 200, one(wire.reward_definition(d)), etag(d.version)

        return call.run(work)

    @router.delete(prefix + "/{definition_id}", status_code=204, include_in_schema=documented,
                   summary="Delete a reward definition never issued (admin); otherwise archive it",
                   openapi_extra=schemas.write_doc(if_match=True))
    def delete_definition(definition_id: str, request: Request,
                          call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        expected = if_match(request)

        def work() -> tuple[int, Any]:
            defs = call.hub.cl.definitions
            try:
                defs.delete_reward_definition(call.actor, definition_id, expected_version=expected)
            except VersionConflict as exc:
                current = wire.reward_definition(defs.reward_definition(definition_id))
                raise conflict(exc, current) from exc
            return 204, None

        return call.run(work)


_mount("/rewards/definitions", True)
_mount("/reward-definitions", False)
