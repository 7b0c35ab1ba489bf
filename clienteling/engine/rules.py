"""Pure rule functions of SPEC §3: no session, no I/O, "now" always passed in.

Services call these to decide; views call them to show state at read time, so
``is_expired`` / ``is_redeemable`` are never stored stale (B2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from clienteling.engine.frozen import BenefitDefinitionRecord, BenefitRecord, RewardRecord
from clienteling.engine.models import Benefit, BenefitDefinition, Reward

# Reason codes (SPEC §3). The hub returns them as ``code`` on a 400.
EXPIRED = "expired"
EXHAUSTED = "exhausted"
GLOBAL_LIMIT = "global_limit_reached"
WINDOW_CLOSED = "window_closed"
NOT_FOUND = "not_found"
WRONG_PROFILE = "wrong_profile"
NOT_CLAIMABLE = "not_claimable"
CONDITION_FAILED = "condition_failed"
OUTSIDE_CLAIM_PERIOD = "outside_claim_period"
OUTSIDE_TIMEFRAME = "outside_timeframe"
ALREADY_CLAIMED = "already_claimed"
ALLOCATIONS_EXHAUSTED = "allocations_exhausted"
MAX_REDEMPTIONS_REACHED = "max_redemptions_reached"
NOT_ASSIGNABLE = "not_assignable"
ARCHIVED = "archived"
NOT_EXTENDABLE = "not_extendable"
NOT_REASSIGNABLE = "not_reassignable"
OVER_BALANCE = "over_balance"
ALREADY_REVERSED = "already_reversed"
NOT_REVERSIBLE = "not_reversible"
OVER_CAP = "over_cap"


def add_local_days(start: datetime, days: int, timezone: str) -> datetime:
    """``start`` + ``days`` on the local calendar of ``timezone``, returned in UTC (B1).

    Adding in local wall time keeps 09:00 at 09:00 across a DST change; a wall
    time that does not exist on the target day is resolved by zoneinfo's fold rules.
    """
    tz = ZoneInfo(timezone)
    local = start.astimezone(tz)
    naive = local.replace(tzinfo=None) + timedelta(days=days)
    return naive.replace(tzinfo=tz).astimezone(UTC)


def benefit_expiry(
    issued_at: datetime, timezone: str, period: int | None, end_at: datetime | None
) -> datetime | None:
    """B1: issued_at + period local days, capped by the definition's end_at."""
    expires = add_local_days(issued_at, period, timezone) if period is not None else None
    if end_at is not None and (expires is None or end_at < expires):
        expires = end_at
    return expires


def global_remaining(definition: BenefitDefinition | BenefitDefinitionRecord) -> int | None:
    if definition.max_global_redemptions is None:
        return None
    return max(definition.max_global_redemptions - definition.total_global_redemptions, 0)


@dataclass(frozen=True)
class BenefitState:
    """What B2 says about one instance at one instant."""

    is_expired: bool
    is_redeemable: bool
    reason: str | None  # why it is not redeemable
    total_global_redemptions_remaining: int | None


def benefit_state(benefit: Benefit | BenefitRecord, now: datetime) -> BenefitState:
    definition = benefit.definition
    expired = benefit.expires_at is not None and benefit.expires_at <= now
    reason: str | None = None
    if definition.end_at is not None and definition.end_at <= now:
        reason = WINDOW_CLOSED
    elif expired:
        reason = EXPIRED
    elif benefit.redemptions_remaining is not None and benefit.redemptions_remaining <= 0:
        reason = EXHAUSTED
    elif (
        definition.max_global_redemptions is not None
        and definition.total_global_redemptions >= definition.max_global_redemptions
    ):
        reason = GLOBAL_LIMIT
    return BenefitState(
        is_expired=expired,
        is_redeemable=reason is None,
        reason=reason,
        total_global_redemptions_remaining=global_remaining(definition),
    )


def reward_is_live(reward: Reward | RewardRecord, now: datetime) -> bool:
    """R3: a reward counts towards the balance while active, unexpired and not spent."""
    return (
        reward.is_active
        and (reward.expires_at is None or reward.expires_at > now)
        and reward.value_remaining > 0
    )


def reward_draw_order(reward: Reward | RewardRecord) -> tuple[bool, datetime, datetime, str]:
    """R4: nearest expiry first, no expiry last; ties by issued_at, then id."""
    far = datetime.max.replace(tzinfo=UTC)
    return (reward.expires_at is None, reward.expires_at or far, reward.issued_at, reward.id)


def age_on(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    years = today.year - birth_date.year
    if (today.month, today.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


MESSAGES = {
    EXPIRED: "This benefit has expired.",
    EXHAUSTED: "This benefit has no redemptions left.",
    GLOBAL_LIMIT: "This benefit has reached its overall redemption limit.",
    WINDOW_CLOSED: "The redemption window for this benefit has closed.",
    WRONG_PROFILE: "This benefit belongs to another customer.",
    NOT_CLAIMABLE: "This benefit cannot be claimed.",
    CONDITION_FAILED: "This customer does not meet the conditions.",
    OUTSIDE_CLAIM_PERIOD: "Outside the claim period.",
    OUTSIDE_TIMEFRAME: "Not claimable at this time of day.",
    ALREADY_CLAIMED: "This customer already holds this benefit.",
    ALLOCATIONS_EXHAUSTED: "All allocations of this benefit have been given out.",
    MAX_REDEMPTIONS_REACHED: "This customer has used this benefit the maximum number of times.",
    NOT_ASSIGNABLE: "This benefit cannot be issued to customers.",
    ARCHIVED: "This definition is archived.",
    NOT_EXTENDABLE: "This cannot be extended.",
    NOT_REASSIGNABLE: "This benefit cannot be moved to another customer.",
    OVER_BALANCE: "The amount is more than the customer's reward balance.",
    ALREADY_REVERSED: "This redemption has already been voided.",
    NOT_REVERSIBLE: "This transaction cannot be voided.",
}
