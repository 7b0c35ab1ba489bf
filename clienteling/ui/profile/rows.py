"""The profile feature's rows: the engine's frozen records (benefits, claim options, rewards,
history: :mod:`clienteling.engine.records`) and the few the panel composes from them, read on
the engine worker (:mod:`clienteling.ui.operations.profile`) and shown by the panel, its models
and dialogs. None of them is an ORM object, so nothing the GUI thread touches can lazy-load."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from clienteling.engine.records import BenefitRow, ClaimRow, RewardRow
from clienteling.engine.records import TimelineRow as HistoryRow

__all__ = ["CARD", "BenefitRow", "ClaimRow", "ContactDetails", "Header", "HistoryRow",
           "IssuableRow", "ProfileData", "RewardDefinitionRow", "RewardRow"]

CARD = "card"  # the identity handle of a loyalty card number


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
