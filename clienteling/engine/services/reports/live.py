"""B2 and R3 as SQL predicates: which benefits are redeemable and which rewards still owe
dollars at an instant. They mirror ``rules.benefit_state`` and ``rules.reward_is_live`` (the
reports' reference tests check the two agree)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, true

from clienteling.engine.models import Benefit, BenefitDefinition, Profile, Reward


def live_reward(now: datetime) -> Any:
    """R3: active, unexpired and not spent."""
    return and_(Reward.is_active.is_(True), Reward.value_remaining > 0,
                or_(Reward.expires_at.is_(None), Reward.expires_at > now))


def definition_redeemable(now: datetime) -> Any:
    """B2's part that is the definition's: window open, global limit not reached."""
    return and_(
        or_(BenefitDefinition.end_at.is_(None), BenefitDefinition.end_at > now),
        or_(BenefitDefinition.max_global_redemptions.is_(None),
            BenefitDefinition.total_global_redemptions < BenefitDefinition.max_global_redemptions),
    )


def redeemable_benefit(now: datetime) -> Any:
    """B2 (needs ``BenefitDefinition`` joined): window open, unexpired, uses left, global
    limit not reached."""
    return and_(
        definition_redeemable(now),
        or_(Benefit.expires_at.is_(None), Benefit.expires_at > now),
        or_(Benefit.redemptions_remaining.is_(None), Benefit.redemptions_remaining > 0),
    )


def home_store(store_id: str | None) -> Any:
    """A customer-side report's store filter (needs ``Profile`` joined); None = the chain."""
    return true() if store_id is None else Profile.home_store_id == store_id
