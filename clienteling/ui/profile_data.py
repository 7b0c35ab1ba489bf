"""What the profile panel shows: the engine's frozen records (issue 7), read on the engine
worker, plus the header's words. The GUI thread only ever sees these records — never an ORM
object — so nothing it touches can lazy-load from the database."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from clienteling.engine.records import (
    BenefitRow,
    ClaimRow,
    ExpiringItem,
    ProfileOverview,
    RewardRow,
)
from clienteling.engine.records import TimelineRow as HistoryRow
from clienteling.engine.services import Clienteling
from clienteling.ui import formatting as fmt

__all__ = ["BenefitRow", "ClaimRow", "Header", "HistoryRow", "ProfileData", "RewardRow",
           "load_history", "load_profile", "refresh_profile"]

EXPIRING_SHOWN = 3


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


def load_history(cl: Clienteling, profile_id: str, tz: str) -> tuple[HistoryRow, ...]:
    """The customer's history, newest first, with the redemptions that can be voided."""
    return cl.timeline(profile_id, tz)
