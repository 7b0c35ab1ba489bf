"""Working a customer's benefits on the engine worker: redeem, claim, expire, delete, extend,
move and issue. Each returns plain values for the GUI thread (never an ORM object)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clienteling.engine.permissions import Actor
from clienteling.engine.records import uses_left
from clienteling.engine.services import Clienteling


@dataclass(frozen=True)
class IssuableRow:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Redeemed:
    redemption_id: str
    name: str
    left: str
    remaining: int | None


def redeem_benefit(cl: Clienteling, actor: Actor, profile_id: str, benefit_id: str) -> Redeemed:
    redemption = cl.benefits.redeem(actor, profile_id, benefit_id)
    item = cl.benefits.get(benefit_id)
    b = item.benefit
    left = uses_left(b.redemptions_remaining, item.definition.max_redemptions)
    return Redeemed(redemption.id, item.definition.name, left, b.redemptions_remaining)


def claim(cl: Clienteling, actor: Actor, profile_id: str, handle: str, redeem: bool) -> str:
    if redeem:
        redemption = cl.benefits.claim_and_redeem(actor, profile_id, handle, tz=actor.timezone)
        return redemption.items[0].item_id
    return cl.benefits.claim(actor, profile_id, handle, tz=actor.timezone).id


def expire_benefit(cl: Clienteling, actor: Actor, benefit_id: str) -> None:
    cl.benefits.expire(actor, benefit_id)


def delete_benefit(cl: Clienteling, actor: Actor, benefit_id: str) -> None:
    cl.benefits.delete(actor, benefit_id)


def extend_benefit(cl: Clienteling, actor: Actor, benefit_id: str, days: int) -> datetime | None:
    return cl.benefits.extend(actor, benefit_id, days=days).expires_at


def reassign(cl: Clienteling, actor: Actor, benefit_id: str, to_profile_id: str) -> None:
    cl.benefits.reassign(actor, benefit_id, to_profile_id)


def load_issuable(cl: Clienteling) -> list[IssuableRow]:
    rows = []
    for d in cl.definitions.benefit_definitions(include_archived=False):
        if not d.is_assignable:
            continue
        bits = []
        if d.max_redemptions:
            bits.append(f"{d.max_redemptions} use{'s' if d.max_redemptions != 1 else ''}")
        if d.period:
            bits.append(f"valid {d.period} days")
        rows.append(IssuableRow(d.id, d.name, " · ".join(bits) or (d.short_description or "")))
    return rows


def issue_benefit(cl: Clienteling, actor: Actor, profile_id: str, definition_id: str) -> str:
    benefit = cl.benefits.issue(actor, {"benefit_definition_id": definition_id,
                                        "profile_id": profile_id})
    return benefit.id
