"""Benefit definitions: ``/benefits/definitions`` (Omneo's route inventory) and the alias
``/benefit-definitions`` (the path Omneo's guides and seed 001 use)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from clienteling.engine import wire
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import one
from clienteling.hub.requests import etag
from clienteling.hub.routes.definitions import DefinitionRoutes, mount

router = APIRouter(tags=["benefit definitions"])
BENEFIT = DefinitionRoutes("benefit", wire.benefit_definition, schemas.BENEFIT_DEFINITION,
                           schemas.BENEFIT_DEFINITION_UPDATE, tags_filter=True)

for prefix, documented in (("/benefits/definitions", True), ("/benefit-definitions", False)):
    # Before the generic routes, so that "handle" is not taken for a definition id.
    @router.get(prefix + "/handle/{handle}", summary="A benefit definition by handle",
                include_in_schema=documented)
    def get_by_handle(handle: str, hub: Reader) -> JSONResponse:
        d = hub.cl.definitions.benefit_definition(handle)
        return JSONResponse(one(wire.benefit_definition(d)), headers=etag(d.version))

    mount(router, prefix, BENEFIT, documented=documented)
