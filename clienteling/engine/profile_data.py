"""The JSON a JsonLogic condition reads about a profile (C4, P3), for claim and visibility
conditions and for reactions (RX1), in a module of its own so the reactions' firing (which
profile services call) and the profile service both import it without importing each other.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from clienteling.engine import rules, wire
from clienteling.engine.frozen import ProfileRecord
from clienteling.engine.models import Profile


def condition_data(profile: Profile | ProfileRecord, now: datetime) -> dict[str, Any]:
    """The JSON a claim or visibility condition is evaluated against (C4)."""
    return {
        "id": profile.id,
        "first_name": profile.first_name,
        "last_name": profile.last_name,
        "email": profile.email,
        "mobile_phone": profile.mobile_phone,
        "gender": profile.gender,
        "birth_date": wire.day(profile.birth_date),
        "age": rules.age_on(profile.birth_date, now.date()),
        "tier": profile.tier,
        "join_date": wire.day(profile.join_date),
        "home_store_id": profile.home_store_id,
        "attributes": profile.attributes or {},
        # P3. JsonLogic has only JavaScript numbers: the spend is handed over as one for
        # comparing ({">=": [{"var": "lifetime_spend"}, 500]}), never stored or summed.
        "lifetime_spend": _js_number(profile.lifetime_spend),
        "days_since_last_purchase": _days_since(profile.last_purchase_at, now),
        "days_since_joined": (now.date() - profile.join_date).days if profile.join_date
        else _days_since(profile.created_at, now),
    }


def _js_number(amount: Decimal | None) -> int | float:
    """Money as a JsonLogic condition reads it (P3): JsonLogic has only JavaScript numbers,
    so a condition compares ``lifetime_spend`` as one. Never stored, summed or shown so: the
    Decimal stays the amount everywhere else."""
    if amount is None:
        return 0
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _days_since(at: datetime | None, now: datetime) -> int | None:
    """Whole days from ``at`` to ``now`` (None when it never happened)."""
    return (now - at).days if at is not None else None
