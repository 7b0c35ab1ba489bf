"""Plain frozen records the engine hands to the desktop (issue 7): what a screen reads, copied
out of the ORM inside the read transaction, so nothing the GUI thread holds can lazy-load or
go stale behind its back. Money stays Decimal and times stay aware UTC; the UI formats them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from clienteling.engine import rules
from clienteling.engine.money import format_money

# The few words a state reads as in a list; a refused action shows ``rules.MESSAGES`` instead.
STATUS_WORDS = {
    rules.EXPIRED: "Expired",
    rules.EXHAUSTED: "Used up",
    rules.GLOBAL_LIMIT: "Limit reached",
    rules.WINDOW_CLOSED: "Closed",
}


def uses_left(remaining: int | None, max_redemptions: int | None) -> str:
    """A benefit's uses left: "2 of 3 left", "2 left" (no per-customer limit) or "Unlimited"."""
    if remaining is None:
        return "Unlimited"
    if max_redemptions:
        return f"{remaining} of {max_redemptions} left"
    return f"{remaining} left"


@dataclass(frozen=True)
class ProfileHeader:
    """Who the customer is: the fields the header and the details dialog show."""

    id: str
    first_name: str
    last_name: str
    email: str | None
    mobile_phone: str | None
    gender: str | None
    tier: str | None
    cards: tuple[str, ...]
    pending: bool  # a change to the profile is still waiting for the hub
    condition_data: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def card(self) -> str | None:
        return self.cards[0] if self.cards else None


@dataclass(frozen=True)
class BenefitRow:
    """One benefit instance with its B2 state at read time."""

    id: str
    definition_id: str
    name: str
    description: str | None
    remaining: int | None
    max_redemptions: int | None
    issued_at: datetime
    expires_at: datetime | None
    source: str
    state: rules.BenefitState
    code_pos: str | None
    code_online: str | None
    extendable: bool
    reassignable: bool
    pending: bool

    @property
    def redeemable(self) -> bool:
        return self.state.is_redeemable

    @property
    def reason(self) -> str | None:
        return self.state.reason

    @property
    def reason_text(self) -> str | None:
        return rules.MESSAGES.get(self.reason) if self.reason else None

    @property
    def left_text(self) -> str:
        return uses_left(self.remaining, self.max_redemptions)

    @property
    def status(self) -> str:
        return "Ready" if self.redeemable else STATUS_WORDS.get(self.reason or "", "Not usable")


@dataclass(frozen=True)
class ClaimRow:
    """A visible claimable definition and whether this customer can claim it now (C1)."""

    definition_id: str
    handle: str
    name: str
    description: str | None
    claimable: bool
    code: str | None
    message: str | None
    max_redemptions: int | None


@dataclass(frozen=True)
class RewardRow:
    id: str
    definition_id: str
    name: str
    initial: Decimal
    remaining: Decimal
    issued_at: datetime
    expires_at: datetime | None
    live: bool  # counts towards the balance now (R3)
    extendable: bool
    reason: str | None
    pending: bool

    @property
    def status(self) -> str:
        if self.live:
            return "Available"
        if self.remaining <= 0:
            return "Spent"
        return "Expired"


@dataclass(frozen=True)
class ExpiringItem:
    """Something usable that expires soon: a reward's remaining dollars or a benefit."""

    expires_at: datetime
    name: str
    amount: Decimal | None  # a reward's remaining value; None for a benefit

    @property
    def label(self) -> str:
        return format_money(self.amount) if self.amount is not None else self.name


@dataclass(frozen=True)
class ProfileOverview:
    """Everything the profile panel shows, read in one transaction."""

    profile: ProfileHeader
    benefits: tuple[BenefitRow, ...]
    rewards: tuple[RewardRow, ...]
    balance: Decimal
    claim_options: tuple[ClaimRow, ...]
    expiring: tuple[ExpiringItem, ...]  # soonest first
    now: datetime


class EventKind(StrEnum):
    """What a timeline row records, for the UI to pick an icon or filter by."""

    PROFILE_CREATE = "profile_create"
    EDIT = "edit"  # the customer's details changed
    ISSUE = "issue"
    CLAIM = "claim"
    REDEEM = "redeem"
    VOID = "void"
    EXTEND = "extend"
    SET_EXPIRY = "set_expiry"
    EXPIRE = "expire"  # an expiry set at or before the moment it was set (B5)
    MOVE = "move"
    DELETE = "delete"
    REWARD_ISSUE = "reward_issue"
    REWARD_EXTEND = "reward_extend"
    REWARD_REDEEM = "reward_redeem"
    PURCHASE = "purchase"  # SPEC 3.8: a sale
    RETURN = "return"  # a return of (part of) a sale
    OTHER = "other"


@dataclass(frozen=True)
class TimelineRow:
    """One thing that happened to a customer, in words staff can read out."""

    kind: EventKind
    at: datetime
    text: str
    staff: str  # who did it, and who authorised it when a manager overrode
    amount: Decimal | None
    entity_id: str
    redemption_id: str | None  # a redemption that can be voided from here
    voided: bool
    overridden_by: str | None  # the manager who authorised it, by name
    pending: bool

    @property
    def amount_text(self) -> str:
        return format_money(self.amount) if self.amount is not None else ""


@dataclass(frozen=True)
class RedemptionRecord:
    id: str
    type: str  # redeem | reversal
    total: Decimal
    redeem_at: datetime
