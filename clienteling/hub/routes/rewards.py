"""Rewards: issue (R1, R2), extend (R6), a profile's rewards and balance (R3), redeem an
amount (R4)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine import rules, wire
from clienteling.engine.errors import RuleRefused
from clienteling.engine.form import Form
from clienteling.engine.permissions import Action
from clienteling.hub import schemas
from clienteling.hub.auth import Reader
from clienteling.hub.envelope import list_doc, list_query, listing, one
from clienteling.hub.idempotency import Call, writes
from clienteling.hub.routes.benefits import read_ids
from clienteling.hub.routes.profile_benefits import redemption_fields
from clienteling.hub.state import Hub

router = APIRouter(tags=["rewards"])


@router.post("/rewards", status_code=201, summary="Issue a reward (manager capped, admin; reason "
             "required)", openapi_extra=schemas.write_doc(schemas.ISSUE_REWARD))
def issue_reward(call: Annotated[Call, Depends(writes(Action.ISSUE_REWARD))]) -> Response:
    def work() -> tuple[int, Any]:
        reward = call.hub.cl.rewards.issue(call.actor, call.body)
        return 201, one(wire.reward(call.hub.listing.reward(reward.id), call.hub.now()))

    return call.run(work)


@router.post("/rewards/extend", summary="Extend rewards by their definition's extend_days (R6)",
             openapi_extra=schemas.write_doc(schemas.REWARD_EXTEND))
def extend_rewards(call: Annotated[Call, Depends(writes(Action.MANAGE_INSTANCE))]) -> Response:
    def work() -> tuple[int, Any]:
        form = Form(call.body)
        ids = read_ids(form)
        profile_id = form.text("profile_id", required=True, max_len=36)
        for name in ("extend_days", "extend_date"):
            if call.body.get(name) is not None:
                form.error(name, "rewards are extended by their definition's extend_days; "
                           "leave this out")
        form.done()
        rewards = [call.hub.listing.reward(i) for i in ids]
        for reward in rewards:
            if reward.profile_id != profile_id:
                raise RuleRefused(rules.WRONG_PROFILE, f"Reward {reward.id} belongs to another "
                                  "customer.")
        done = [call.hub.cl.rewards.extend(call.actor, i) for i in ids]
        now = call.hub.now()
        return 200, one([wire.reward(call.hub.listing.reward(r.id), now) for r in done])

    return call.run(work)


@router.get("/rewards/{reward_id}", summary="A reward")
def get_reward(reward_id: str, hub: Reader) -> JSONResponse:
    return JSONResponse(one(wire.reward(hub.listing.reward(reward_id), hub.now())))


@router.get("/profiles/{profile_id}/rewards", summary="A profile's rewards",
            openapi_extra=list_doc())
def profile_rewards(profile_id: str, request: Request, hub: Reader) -> JSONResponse:
    now = hub.now()
    page = hub.listing.profile_rewards(profile_id, list_query(request))
    return JSONResponse(listing(request, page, lambda r: wire.reward(r, now)))


def _balances(hub: Hub, profile_id: str) -> dict[str, Any]:
    balance = wire.money(hub.cl.rewards.balance(profile_id))
    return {"reward_balance": balance, "combined_balance_dollars": balance,
            "currency": hub.cl.policy.currency}


@router.get("/profiles/{profile_id}/balances", summary="A profile's reward balance (R3)")
def balances(profile_id: str, hub: Reader) -> JSONResponse:
    hub.cl.profiles.get(profile_id)
    return JSONResponse(one(_balances(hub, profile_id)))


@router.post("/profiles/{profile_id}/redeem", status_code=201,
             summary="Redeem an amount of reward dollars (R4); returns the Redemption with items",
             openapi_extra=schemas.write_doc(schemas.REDEEM_AMOUNT))
def redeem_amount(profile_id: str, call: Annotated[Call, Depends(writes(Action.REDEEM_REWARD))]) -> Response:
    def work() -> tuple[int, Any]:
        form = Form(call.body)
        strategies = call.body.get("strategies")
        if strategies is not None and (
            not isinstance(strategies, list) or not strategies
            or any(s != "rewards" for s in strategies)
        ):
            form.error("strategies", "only [\"rewards\"] is supported")
        currency = call.body.get("currency")
        policy = call.hub.cl.policy
        if currency is not None and currency != policy.currency:
            form.error("currency", f"must be {policy.currency}")
        if "amount" not in call.body or call.body["amount"] is None:
            form.error("amount", "is required")
        redemption_id, receipt = redemption_fields(call, form, check_id=False)
        # The engine refuses a used redemption_id (422) and an unknown profile (404), in
        # that order, inside the redemption's own transaction.
        redemption = call.hub.cl.rewards.redeem_amount(
            call.actor, profile_id, call.body["amount"], receipt=receipt,
            redemption_id=redemption_id)
        # Read in the same unit of work as the redemption: the balance it left.
        return 201, one({**wire.redemption(redemption), "balances": _balances(call.hub, profile_id)})

    return call.run(work, whole=True)
