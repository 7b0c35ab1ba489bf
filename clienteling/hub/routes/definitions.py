"""The routes benefit and reward definitions share: browse, create, get, edit (If-Match) and
delete. Each definition module mounts them for its own paths with a ``DefinitionRoutes``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine.errors import VersionConflict
from clienteling.engine.permissions import Action
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import list_doc, list_query, listing, one
from clienteling.hub.errors import ApiError, classify
from clienteling.hub.idempotency import Call, writes
from clienteling.hub.requests import etag, if_match


def conflict(exc: VersionConflict, current: dict[str, Any]) -> ApiError:
    """409 with the hub's current version, so the editor can show both (SPEC §6)."""
    known = classify(exc)
    assert known is not None
    body = dict(known[1])
    message = body.pop("message")
    body.pop("code", None)
    return ApiError(409, message, code="version_conflict", extra={**body, "data": current})


@dataclass(frozen=True)
class DefinitionRoutes:
    """What differs between the two kinds of definition, as the engine names it."""

    noun: str  # "benefit" or "reward": picks the engine's <noun>_definition(s) methods
    to_wire: Callable[[Any], dict[str, Any]]
    create_schema: dict[str, Any]
    update_schema: dict[str, Any]
    tags_filter: bool = False

    def engine(self, hub: Any, verb: str) -> Callable[..., Any]:
        name = f"{verb}_{self.noun}_definition" if verb else f"{self.noun}_definition"
        return cast(Callable[..., Any], getattr(hub.cl.definitions, name))

    def current(self, hub: Any, definition_id: str) -> dict[str, Any]:
        return self.to_wire(self.engine(hub, "")(definition_id))


def mount(router: APIRouter, prefix: str, kind: DefinitionRoutes, *, documented: bool) -> None:
    noun = kind.noun

    @router.get(prefix, summary=f"Browse {noun} definitions", include_in_schema=documented,
                openapi_extra=list_doc(tags=kind.tags_filter))
    def list_definitions(request: Request, hub: Reader) -> JSONResponse:
        page = getattr(hub.listing, f"{noun}_definitions")(list_query(request))
        return JSONResponse(listing(request, page, kind.to_wire))

    @router.post(prefix, status_code=201, summary=f"Create a {noun} definition (admin)",
                 include_in_schema=documented, openapi_extra=schemas.write_doc(kind.create_schema))
    def create_definition(call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        def work() -> tuple[int, Any, dict[str, str]]:
            d = kind.engine(call.hub, "create")(call.actor, call.body)
            return 201, one(kind.to_wire(d)), etag(d.version)

        return call.run(work)

    @router.get(prefix + "/{definition_id}", summary=f"A {noun} definition",
                include_in_schema=documented)
    def get_definition(definition_id: str, hub: Reader) -> JSONResponse:
        d = kind.engine(hub, "")(definition_id)
        return JSONResponse(one(kind.to_wire(d)), headers=etag(d.version))

    @router.put(prefix + "/{definition_id}", summary=f"Edit a {noun} definition (admin; If-Match "
                "the version it is based on)", include_in_schema=documented,
                openapi_extra=schemas.write_doc(kind.update_schema, if_match=True))
    def update_definition(definition_id: str, request: Request,
                          call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        expected = if_match(request)

        def work() -> tuple[int, Any, dict[str, str]]:
            try:
                d = kind.engine(call.hub, "update")(call.actor, definition_id, call.body,
                                                    expected_version=expected)
            except VersionConflict as exc:
                raise conflict(exc, kind.current(call.hub, definition_id)) from exc
            return 200, one(kind.to_wire(d)), etag(d.version)

        return call.run(work)

    @router.delete(prefix + "/{definition_id}", status_code=204, include_in_schema=documented,
                   summary=f"Delete a {noun} definition never issued (admin); otherwise archive it",
                   openapi_extra=schemas.write_doc(if_match=True))
    def delete_definition(definition_id: str, request: Request,
                          call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
        expected = if_match(request)

        def work() -> tuple[int, Any]:
            try:
                kind.engine(call.hub, "delete")(call.actor, definition_id, expected_version=expected)
            except VersionConflict as exc:
                raise conflict(exc, kind.current(call.hub, definition_id)) from exc
            return 204, None

        return call.run(work)
