"""The engine calls the profile panel makes, run on the engine worker; each returns plain
values for the GUI thread (never an ORM object)."""

from __future__ import annotations

from dataclasses import dataclass

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling


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
    if b.redemptions_remaining is None:
        left = "unlimited"
    elif item.definition.max_redemptions:
        left = f"{b.redemptions_remaining} of {item.definition.max_redemptions} left"
    else:
        left = f"{b.redemptions_remaining} left"
    return Redeemed(redemption.id, item.definition.name, left, b.redemptions_remaining)


def claim(cl: Clienteling, actor: Actor, profile_id: str, handle: str, redeem: bool) -> str:
    if redeem:
        redemption = cl.benefits.claim_and_redeem(actor, profile_id, handle, tz=actor.timezone)
        return redemption.items[0].item_id
    return cl.benefits.claim(actor, profile_id, handle, tz=actor.timezone).id


def void_redemption(cl: Clienteling, actor: Actor, redemption_id: str) -> None:
    cl.rewards.void(actor, redemption_id)


def expire_benefit(cl: Clienteling, actor: Actor, benefit_id: str) -> None:
    cl.benefits.expire(actor, benefit_id)


def delete_benefit(cl: Clienteling, actor: Actor, benefit_id: str) -> None:
    cl.benefits.delete(actor, benefit_id)


def extend_reward(cl: Clienteling, actor: Actor, reward_id: str) -> None:
    cl.rewards.extend(actor, reward_id)
