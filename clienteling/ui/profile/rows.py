"""The profile feature's rows: plain frozen values the operations read on the engine worker
(:mod:`clienteling.ui.operations.profile`) and the panel, its models and dialogs show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from clienteling.engine import rules
from clienteling.ui.common import formatting as fmt

CARD = "card"  # the identity handle of a loyalty card number

STATUS_WORDS = {
    rules.EXPIRED: "Expired",
    rules.EXHAUSTED: "Used up",
    rules.GLOBAL_LIMIT: "Limit reached",
    rules.WINDOW_CLOSED: "Closed",
}


@dataclass(frozen=True)
class Header:
    profile_id: str
    name: str
    tier: str | None
    email: str | None
    phone: str | None
    card: str | None
    balance: Decimal
    expiring: tuple[str, ...]  # "$10.00 expires in 3 days"
    pending: bool
    condition_data: dict[str, Any]


@dataclass(frozen=True)
class BenefitRow:
    id: str
    definition_id: str
    name: str
    description: str | None
    remaining: int | None
    max_redemptions: int | None
    issued_at: datetime
    expires_at: datetime | None
    source: str
    redeemable: bool
    reason: str | None
    reason_text: str | None
    code_pos: str | None
    code_online: str | None
    extendable: bool
    reassignable: bool
    pending: bool

    @property
    def left_text(self) -> str:
        return fmt.uses_left(self.remaining, self.max_redemptions)

    @property
    def status(self) -> str:
        return "Ready" if self.redeemable else STATUS_WORDS.get(self.reason or "", "Not usable")


@dataclass(frozen=True)
class ClaimRow:
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
    name: str
    initial: Decimal
    remaining: Decimal
    issued_at: datetime
    expires_at: datetime | None
    live: bool
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
class HistoryRow:
    at: datetime
    text: str
    staff: str
    amount: str
    redemption_id: str | None  # a redemption that can be voided from here
    voided: bool
    pending: bool


@dataclass(frozen=True)
class ProfileData:
    header: Header
    benefits: tuple[BenefitRow, ...]
    claimable: tuple[ClaimRow, ...]
    rewards: tuple[RewardRow, ...]
    now: datetime


@dataclass(frozen=True)
class ContactDetails:
    """A profile's editable details as the form shows them ("" for none), read on the worker."""

    profile_id: str
    first_name: str
    last_name: str
    email: str
    mobile_phone: str
    gender: str
    birth_date: str  # YYYY-MM-DD
    tier: str
    cards: tuple[str, ...]
    #: identities that are not card numbers (kept as they are when the cards change)
    other_identities: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def text(self, field: str) -> str:
        if field == "card":
            return ", ".join(self.cards)
        value = getattr(self, field)
        return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class IssuableRow:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class RewardDefinitionRow:
    id: str
    handle: str
    name: str
    type: str
    value: Decimal | None
    max_value: Decimal | None
