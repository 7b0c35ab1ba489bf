"""Reading a customer's profile on the engine worker — the engine's frozen records (issue 7)
plus the header's words — and creating or changing the customer's details.

The records the panel shows are defined here, beside the reads that make them: the engine's
(:class:`BenefitRow`, :class:`ClaimRow`, :class:`RewardRow`, :class:`TimelineRow` from
:mod:`clienteling.engine.records`) composed into :class:`ProfileData`, and the form's
:class:`ContactDetails`. The GUI thread only ever sees frozen records, never an ORM object, so
nothing it touches can lazy-load from the database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from clienteling.engine.permissions import Actor
from clienteling.engine.records import (
    BenefitRow,
    ClaimRow,
    ExpiringItem,
    ProfileOverview,
    RewardRow,
    TimelineRow,
)
from clienteling.engine.services import Clienteling
from clienteling.ui.common import formatting as fmt

EXPIRING_SHOWN = 3
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


def _expiring_text(item: ExpiringItem, now: datetime, tz: str) -> str:
    return f"{item.label} expires {fmt.relative_days(item.expires_at, now, tz)}"


def profile_data(view: ProfileOverview, tz: str) -> ProfileData:
    p = view.profile
    header = Header(
        profile_id=p.id, name=p.name, tier=p.tier, email=p.email, phone=p.mobile_phone,
        card=p.card, balance=view.balance,
        expiring=tuple(_expiring_text(i, view.now, tz) for i in view.expiring[:EXPIRING_SHOWN]),
        pending=p.pending, condition_data=p.condition_data,
    )
    return ProfileData(header, view.benefits, view.claim_options, view.rewards, view.now)


def load_profile(cl: Clienteling, profile_id: str, tz: str) -> ProfileData:
    """Everything the panel shows for one profile (one trip to the worker, one read)."""
    return profile_data(cl.overview(profile_id, tz), tz)


def refresh_profile(cl: Clienteling, current: ProfileData, areas: frozenset[str],
                    tz: str) -> ProfileData:
    """Reload after a change (GUIDE principle 2): one overview read, leaving out the claim
    options unless ``areas`` can have changed them; the panel then re-shows only the lists
    whose records differ."""
    claims = bool(areas & {"claimable", "benefits", "definitions", "profile"})
    fresh = profile_data(cl.overview(current.header.profile_id, tz, claims=claims), tz)
    return fresh if claims else replace(fresh, claimable=current.claimable)


def load_history(cl: Clienteling, profile_id: str, tz: str) -> tuple[TimelineRow, ...]:
    """The customer's history, newest first, with the redemptions that can be voided."""
    return cl.timeline(profile_id, tz)


# -- the customer's details ------------------------------------------------------------

def load_contact_details(cl: Clienteling, profile_id: str) -> ContactDetails:
    p = cl.profiles.get(profile_id)
    identities = sorted((i.handle, i.identifier) for i in p.identities)
    return ContactDetails(
        profile_id=p.id, first_name=p.first_name, last_name=p.last_name, email=p.email or "",
        mobile_phone=p.mobile_phone or "", gender=p.gender or "",
        birth_date=p.birth_date.isoformat() if p.birth_date else "", tier=p.tier or "",
        cards=tuple(i for h, i in identities if h == CARD),
        other_identities=tuple((h, i) for h, i in identities if h != CARD),
    )


def create_profile(cl: Clienteling, actor: Actor, data: dict[str, Any]) -> tuple[str, str]:
    profile = cl.profiles.create(actor, data)
    return profile.id, f"{profile.first_name} {profile.last_name}".strip()


def update_profile(cl: Clienteling, actor: Actor, profile_id: str,
                   changes: dict[str, Any]) -> tuple[str, str]:
    profile = cl.profiles.update(actor, profile_id, changes)
    return profile.id, f"{profile.first_name} {profile.last_name}".strip()
