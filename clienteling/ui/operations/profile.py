"""Reading a customer's profile on the engine worker — the engine's frozen records (issue 7)
plus the header's words — and creating or changing the customer's details.

The GUI thread only ever sees frozen records, never an ORM object, so nothing it touches can
lazy-load from the database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from clienteling.engine.permissions import Actor
from clienteling.engine.records import ExpiringItem, ProfileOverview
from clienteling.engine.services import Clienteling
from clienteling.ui.common import formatting as fmt
from clienteling.ui.profile.rows import CARD, ContactDetails, Header, HistoryRow, ProfileData

EXPIRING_SHOWN = 3


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
