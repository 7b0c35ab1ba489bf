"""Benefit instances: issue (B1), read, update/expire/reassign (B5, B6), delete, extend."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from clienteling.engine import wire
from clienteling.engine.form import Form, opt, parse_instant
from clienteling.engine.frozen import BenefitRecord
from clienteling.engine.permissions import Action
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import one
from clienteling.hub.idempotency import Call, writes
from clienteling.hub.state import Hub

router = APIRouter(tags=["benefits"])


def read_time(form: Form, name: str, tz: str | None) -> datetime | None:
    """A time from the body, read in the body's ``timezone`` when it has no offset."""
    value = form.data.get(name)
    if value is None:
        return None
    try:
        return parse_instant(value, tz or "UTC")
    except ValueError as exc:
        form.error(name, str(exc))
        return None


def read_ids(form: Form) -> list[str]:
    ids = form.data.get("ids")
    if (not isinstance(ids, list) or not 1 <= len(ids) <= 100
            or not all(isinstance(i, str) and 1 <= len(i) <= 36 for i in ids)):
        form.error("ids", "must be a list of 1 to 100 ids")
        return []
    return list(dict.fromkeys(ids))


def benefit_view(hub: Hub, benefit: BenefitRecord) -> dict[str, Any]:
    return wire.benefit(benefit, hub.now())


@router.post("/benefits", status_code=201, summary="Issue a benefit to a profile (manager, admin)",
             openapi_extra=schemas.write_doc(schemas.ISSUE_BENEFIT))
def issue_benefit(call: Annotated[Call, Depends(writes(Action.ISSUE_BENEFIT))]) -> Response:
    def work() -> tuple[int, Any]:
        benefits = call.hub.cl.benefits
        benefit = benefits.issue(call.actor, call.body)  # one transaction, expires_at included
        return 201, one(benefit_view(call.hub, benefits.get(benefit.id).benefit))

    return call.run(work)


@router.post("/benefits/extend", summary="Extend benefits (B6): extend_days or extend_date",
             openapi_extra=schemas.write_doc(schemas.EXTEND))
def extend_benefits(call: Annotated[Call, Depends(writes(Action.MANAGE_INSTANCE))]) -> Response:
    def work() -> tuple[int, Any]:
        form = Form(call.body)
        ids = read_ids(form)
        profile_id = form.text("profile_id", required=True, max_len=36)
        days = opt(form.integer("extend_days", minimum=1, maximum=3650))
        tz = opt(form.timezone("timezone"))
        until = read_time(form, "extend_date", tz)
        if days is None and until is None and "extend_date" not in form.errors:
            form.error("extend_days", "give extend_days or extend_date")
        if days is not None and until is not None:
            form.error("extend_date", "give extend_days or extend_date, not both")
        form.done()
        # One transaction for the whole list: every benefit is extended, or none is. A wall
        # time without a timezone in the body is read in each benefit's own zone.
        done = call.hub.cl.benefits.extend_many(
            call.actor, ids, profile_id=profile_id, days=days,
            until=call.body["extend_date"] if until is not None and tz is None else until, tz=tz)
        return 200, one([benefit_view(call.hub, b) for b in done])

    return call.run(work)


@router.get("/benefits/{benefit_id}", summary="A benefit")
def get_benefit(benefit_id: str, hub: Reader) -> JSONResponse:
    return JSONResponse(one(benefit_view(hub, hub.cl.benefits.get(benefit_id).benefit)))


@router.put("/benefits/{benefit_id}", summary="Change expires_at (B5: a past time expires it) "
            "and/or reassign to profile_id (B6)", openapi_extra=schemas.write_doc(schemas.UPDATE_BENEFIT))
def update_benefit(
    benefit_id: str, call: Annotated[Call, Depends(writes(Action.MANAGE_INSTANCE))]
) -> Response:
    def work() -> tuple[int, Any]:
        form = Form(call.body)
        tz = opt(form.timezone("timezone"))
        to_profile = opt(form.text("profile_id", max_len=36))
        has_expiry = "expires_at" in call.body
        if not has_expiry and to_profile is None:
            form.error("body", "give expires_at and/or profile_id")
        form.done()
        benefits = call.hub.cl.benefits
        changes: dict[str, Any] = {"expires_at": call.body["expires_at"]} if has_expiry else {}
        benefits.update(call.actor, benefit_id, profile_id=to_profile, tz=tz, **changes)
        return 200, one(benefit_view(call.hub, benefits.get(benefit_id).benefit))

    return call.run(work)


@router.delete("/benefits/{benefit_id}", status_code=204, summary="Delete a benefit (admin; "
               "prefer expiring it)", openapi_extra=schemas.write_doc())
def delete_benefit(
    benefit_id: str, call: Annotated[Call, Depends(writes(Action.DELETE_BENEFIT))]
) -> Response:
    def work() -> tuple[int, Any]:
        call.hub.cl.benefits.delete(call.actor, benefit_id)
        return 204, None

    return call.run(work)
