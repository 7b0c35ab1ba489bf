"""Reactions (SPEC 3.9, §7): ``/reactions`` browse and create, ``/reactions/{id}`` read, edit
(If-Match) and archive (DELETE, If-Match), the dry run of a saved reaction or an unsaved body
(RX6), and the door through which a till's outbox repeats what its own reaction issued at its
counter (``/reactions/{id}/issues``, RX4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine import wire
from clienteling.engine.errors import VersionConflict
from clienteling.engine.frozen import DryRunResult, ReactionRecord
from clienteling.engine.permissions import Action
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import list_doc, list_query, listing_of, one
from clienteling.hub.idempotency import Call, writes
from clienteling.hub.requests import etag, if_match
from clienteling.hub.routes.definitions import conflict

router = APIRouter(tags=["reactions"])

_TRIGGER = schemas.obj(("type",), type={"type": "string", "enum": [
    "joined", "tier_changed", "birthday", "join_anniversary", "purchase", "spend_milestone",
    "lapsed"]})
_EFFECT = schemas.obj(benefit_definition_id=schemas.ID, reward_definition_id=schemas.ID,
                      value=schemas.MONEY)
REACTION = schemas.obj(
    ("handle", "name", "trigger", "effect", "limit"),
    id=schemas.ID, handle={"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
    name={"type": "string"}, trigger=_TRIGGER, condition={"type": ["object", "null"]},
    effect=_EFFECT,
    limit={"type": "string", "enum": ["once", "once_per_year", "once_per_month", "every_time"]},
    active_from=schemas.TIME, active_to=schemas.TIME, enabled=schemas.FLAG)
REACTION_UPDATE = {**REACTION, "required": []}
ISSUED = schemas.obj(("id", "profile_id", "period"), id=schemas.ID, profile_id=schemas.ID,
                     period={"type": "string"}, issued_at=schemas.TIME, timezone=schemas.ZONE)


def dry_run_view(result: DryRunResult) -> dict[str, Any]:
    return {"count": result.count,
            "sample": [{"profile_id": pid, "name": name} for pid, name in result.sample],
            "as_of": wire.iso(result.as_of)}


def _current(call: Call, reaction_id: str) -> dict[str, Any]:
    return call.hub.cl.reactions.get(reaction_id).wire()


@router.get("/reactions", summary="Browse reactions (archived too; filter[archived]=false "
            "leaves them out)", openapi_extra=list_doc())
def list_reactions(request: Request, hub: Reader) -> JSONResponse:
    keep = request.query_params.get("filter[archived]") != "false"
    items = hub.cl.reactions.list(include_archived=keep)
    q = list_query(request)
    return JSONResponse(listing_of(request, q, items, ReactionRecord.wire))


@router.post("/reactions", status_code=201, summary="Create a reaction (admin)",
             openapi_extra=schemas.write_doc(REACTION))
def create_reaction(call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
    def work() -> tuple[int, Any, dict[str, str]]:
        r = call.hub.cl.reactions.create(call.actor, call.body)
        return 201, one(r.wire()), etag(r.version)

    return call.run(work)


@router.post("/reactions/dry-run", summary="Dry-run an unsaved reaction (admin, RX6): how "
             "many profiles it would fire for now, with a sample; nothing is issued",
             openapi_extra=schemas.write_doc(REACTION))
def dry_run_body(call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
    def work() -> tuple[int, Any]:
        return 200, one(dry_run_view(call.hub.cl.reactions.dry_run(call.actor, call.body)))

    return call.run(work)


@router.get("/reactions/{reaction_id}", summary="A reaction (by id or handle)")
def get_reaction(reaction_id: str, hub: Reader) -> JSONResponse:
    r = hub.cl.reactions.get(reaction_id)
    return JSONResponse(one(r.wire()), headers=etag(r.version))


@router.put("/reactions/{reaction_id}", summary="Edit a reaction (admin; If-Match the version "
            "it is based on)", openapi_extra=schemas.write_doc(REACTION_UPDATE, if_match=True))
def update_reaction(reaction_id: str, request: Request,
                    call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
    expected = if_match(request)

    def work() -> tuple[int, Any, dict[str, str]]:
        try:
            r = call.hub.cl.reactions.update(call.actor, reaction_id, call.body, expected)
        except VersionConflict as exc:
            raise conflict(exc, _current(call, reaction_id)) from exc
        return 200, one(r.wire()), etag(r.version)

    return call.run(work)


@router.delete("/reactions/{reaction_id}", summary="Archive a reaction (admin; If-Match): it "
               "never fires again, what it issued stays",
               openapi_extra=schemas.write_doc(if_match=True))
def archive_reaction(reaction_id: str, request: Request,
                     call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
    expected = if_match(request)

    def work() -> tuple[int, Any, dict[str, str]]:
        try:
            r = call.hub.cl.reactions.archive(call.actor, reaction_id, expected)
        except VersionConflict as exc:
            raise conflict(exc, _current(call, reaction_id)) from exc
        return 200, one(r.wire()), etag(r.version)

    return call.run(work)


@router.post("/reactions/{reaction_id}/dry-run", summary="Dry-run a saved reaction (admin, RX6)",
             openapi_extra=schemas.write_doc())
def dry_run_saved(reaction_id: str,
                  call: Annotated[Call, Depends(writes(Action.EDIT_DEFINITIONS))]) -> Response:
    def work() -> tuple[int, Any]:
        return 200, one(dry_run_view(call.hub.cl.reactions.dry_run(call.actor, reaction_id)))

    return call.run(work)


@router.post("/reactions/{reaction_id}/issues", status_code=201,
             summary="What this reaction issued at a till's counter (RX4): 201 issued here, "
             "200 when the hub already issued the same (derived) id",
             openapi_extra=schemas.write_doc(ISSUED))
def accept_issue(reaction_id: str,
                 call: Annotated[Call, Depends(writes(Action.SEND_REACTION_ISSUE))]) -> Response:
    def work() -> tuple[int, Any]:
        record, made = call.hub.cl.reactions.accept_issue(call.actor, reaction_id, call.body)
        return (201 if made else 200), one(record)

    return call.run(work)
