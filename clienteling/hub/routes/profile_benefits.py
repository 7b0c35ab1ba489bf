"""A profile's benefits: instances, redeemable, claimable (C1), viewable (V1), claim (C2),
claim-and-redeem (C3), redeem an instance (B3)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine import wire
from clienteling.engine.errors import NotFound, ValidationError
from clienteling.engine.form import Form, opt, zone
from clienteling.engine.frozen import BenefitDefinitionRecord
from clienteling.engine.permissions import Action
from clienteling.engine.services import ClaimOption
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import list_doc, list_query, listing, listing_of, one
from clienteling.hub.idempotency import Call, writes
from clienteling.hub.state import Hub

router = APIRouter(tags=["profile benefits"])

P = "/profiles/{profile_id}"


def _tz(request: Request) -> str | None:
    raw = request.query_params.get("timezone")
    if raw is None or not raw.strip():
        return None
    if zone(raw.strip()) is None:
        raise ValidationError.field("timezone", f"unknown timezone '{raw[:64]}'")
    return raw.strip()


@router.get(P + "/benefits", summary="A profile's benefits (tags[], filter[benefit_definition_id], …)",
            openapi_extra=list_doc(tags=True))
def profile_benefits(profile_id: str, request: Request, hub: Reader) -> JSONResponse:
    now = hub.now()
    page = hub.listing.profile_benefits(profile_id, list_query(request), now=now)
    return JSONResponse(listing(request, page, lambda b: wire.benefit(b, now)))


@router.get(P + "/redeemable_benefits", summary="A profile's benefits redeemable now (B2)",
            openapi_extra=list_doc(tags=True))
def redeemable_benefits(profile_id: str, request: Request, hub: Reader) -> JSONResponse:
    now = hub.now()
    page = hub.listing.profile_benefits(profile_id, list_query(request), redeemable_only=True,
                                        now=now)
    return JSONResponse(listing(request, page, lambda b: wire.benefit(b, now)))


def _option(option: ClaimOption) -> dict[str, Any]:
    return {**wire.benefit_definition(option.definition), "claimable": option.claimable,
            "not_claimable_code": option.code, "not_claimable_reason": option.message}


@router.get(P + "/benefits/claimable", summary="Definitions this profile can claim now (C1); "
            "with_reasons=1 also lists visible ones it cannot, with why",
            openapi_extra=list_doc())
def claimable(profile_id: str, request: Request, hub: Reader) -> JSONResponse:
    q = list_query(request)
    options = hub.cl.benefits.claim_options(profile_id, _tz(request))
    if request.query_params.get("with_reasons", "").lower() not in ("1", "true"):
        options = [o for o in options if o.claimable]
    return JSONResponse(listing_of(request, q, options, _option))


def _viewable(profile_id: str, request: Request, hub: Hub) -> JSONResponse:
    q = list_query(request)
    definitions: list[BenefitDefinitionRecord] = hub.cl.benefits.visible(profile_id)
    return JSONResponse(listing_of(request, q, definitions, wire.benefit_definition))


@router.get(P + "/benefits/viewable", summary="Definitions visible to this profile (V1)",
            openapi_extra=list_doc())
def viewable(profile_id: str, request: Request, hub: Reader) -> JSONResponse:
    return _viewable(profile_id, request, hub)


@router.get(P + "/benefits/visibility", summary="Alias of /benefits/viewable",
            openapi_extra=list_doc())
def visibility(profile_id: str, request: Request, hub: Reader) -> JSONResponse:
    return _viewable(profile_id, request, hub)


def _claim_form(call: Call) -> tuple[str, str | None, str | None]:
    form = Form(call.body)
    definition = form.text("definition", max_len=100) if "definition" in call.body else None
    if definition is None:
        # Also accept the definition's id under Omneo's instance field name.
        definition = form.text("benefit_definition_id", max_len=100)
    if not isinstance(definition, str):
        form.error("definition", "is required: the benefit definition's handle")
    tz = opt(form.timezone("timezone"))
    benefit_id = opt(form.text("benefit_id", max_len=36))
    form.done()
    return str(definition), tz, benefit_id


@router.post(P + "/benefits/claim", status_code=201, summary="Claim a benefit for the profile (C2)",
             openapi_extra=schemas.write_doc(schemas.CLAIM))
def claim(profile_id: str, call: Annotated[Call, Depends(writes(Action.REDEEM))]) -> Response:
    def work() -> tuple[int, Any]:
        definition, tz, benefit_id = _claim_form(call)
        benefit = call.hub.cl.benefits.claim(call.actor, profile_id, definition, tz=tz,
                                             benefit_id=benefit_id)
        return 201, one(wire.benefit(call.hub.cl.benefits.get(benefit.id).benefit, call.hub.now()))

    return call.run(work)


def redemption_fields(call: Call, form: Form, *, check_id: bool = True) -> tuple[str | None,
                                                                              str | None]:
    """A redeem body's client-supplied ``redemption_id`` and ``transaction_receipt_ref``;
    ``location_id``, when sent, must name a known store (the redemption is recorded at the
    acting staff member's store, as on the till). ``check_id=False`` leaves refusing a
    ``redemption_id`` already used to the engine, which checks it first thing in its own
    transaction (B3, R4): the same 422, without a separate read."""
    redemption_id = opt(form.text("redemption_id", max_len=36))
    receipt = opt(form.text("transaction_receipt_ref", max_len=128))
    location = opt(form.text("location_id", max_len=36))
    form.done()
    if location is not None and not call.hub.is_store(location):
        raise ValidationError.field("location_id", f"no store with id {location}")
    if check_id and redemption_id is not None:
        try:
            call.hub.cl.rewards.redemption(redemption_id)
        except NotFound:
            pass
        else:
            raise ValidationError.field("redemption_id", "a redemption with this id already exists")
    return redemption_id, receipt


@router.post(P + "/benefits/claim-redeem", status_code=201,
             summary="Claim and redeem at once (C3); returns the Redemption",
             openapi_extra=schemas.write_doc(schemas.CLAIM_REDEEM))
def claim_redeem(profile_id: str, call: Annotated[Call, Depends(writes(Action.REDEEM))]) -> Response:
    def work() -> tuple[int, Any]:
        definition, tz, benefit_id = _claim_form(call)
        redemption_id, receipt = redemption_fields(call, Form(call.body))
        redemption = call.hub.cl.benefits.claim_and_redeem(
            call.actor, profile_id, definition, tz=tz, benefit_id=benefit_id,
            redemption_id=redemption_id, receipt=receipt)
        return 201, one(wire.redemption(redemption))

    return call.run(work)


@router.get(P + "/benefits/{benefit_id}", summary="One of the profile's benefits")
def profile_benefit(profile_id: str, benefit_id: str, hub: Reader) -> JSONResponse:
    item = hub.cl.benefits.get(benefit_id)
    if item.benefit.profile_id != profile_id:
        raise NotFound("benefit", benefit_id)
    return JSONResponse(one(wire.benefit(item.benefit, hub.now())))


@router.post(P + "/benefits/{benefit_id}/redeem", status_code=201,
             summary="Redeem one use of a benefit (B3); returns the Redemption",
             openapi_extra=schemas.write_doc(schemas.REDEEM_BENEFIT))
def redeem_benefit(profile_id: str, benefit_id: str,
                   call: Annotated[Call, Depends(writes(Action.REDEEM))]) -> Response:
    def work() -> tuple[int, Any]:
        form = Form(call.body)
        if call.body.get("count") not in (None, 1):
            form.error("count", "one use is redeemed per request: leave count out or send 1")
        redemption_id, receipt = redemption_fields(call, form, check_id=False)
        # The engine refuses an unknown profile (404) and a used redemption_id (422), in
        # that order, inside the redeem's own transaction.
        redemption = call.hub.cl.benefits.redeem(call.actor, profile_id, benefit_id,
                                                 receipt=receipt, redemption_id=redemption_id)
        return 201, one(wire.redemption(redemption))

    return call.run(work, whole=True)
