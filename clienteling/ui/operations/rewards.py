"""A customer's reward dollars on the engine worker: issue, redeem (with its preview), extend,
and voiding a redemption (of benefits or reward dollars). Plain values back, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.rewards import Allocation


@dataclass(frozen=True)
class RewardDefinitionRow:
    id: str
    handle: str
    name: str
    type: str
    value: Decimal | None
    max_value: Decimal | None


def load_reward_definitions(cl: Clienteling) -> tuple[list[RewardDefinitionRow], Decimal]:
    rows = [RewardDefinitionRow(d.id, d.handle, d.name, d.type, d.value, d.max_value)
            for d in cl.definitions.reward_definitions(include_archived=False)]
    return rows, cl.policy.manager_reward_cap


def issue_reward(cl: Clienteling, actor: Actor, data: dict[str, Any]) -> Decimal:
    # Only the amount crosses to the GUI thread, never the reward's ORM row.
    value: Decimal = cl.rewards.issue(actor, data).value_initial
    return value


def preview(cl: Clienteling, profile_id: str, amount: str) -> list[Allocation]:
    return cl.rewards.preview(profile_id, amount)


def redeem_amount(cl: Clienteling, actor: Actor, profile_id: str, amount: str) -> Decimal:
    redemption = cl.rewards.redeem_amount(actor, profile_id, amount)
    return redemption.total


def extend_reward(cl: Clienteling, actor: Actor, reward_id: str) -> None:
    cl.rewards.extend(actor, reward_id)


def void_redemption(cl: Clienteling, actor: Actor, redemption_id: str) -> None:
    cl.rewards.void(actor, redemption_id)
