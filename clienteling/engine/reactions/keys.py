"""Exactly once (SPEC 3.9 RX3): each firing has a key — the reaction, the profile and the
period — and what it issues has the id derived from that key (UUID v5). The hub and a till,
running the same reaction for the same event, derive the same id; inserting an instance whose
id already exists does nothing, so nothing is issued twice whoever fires first.

The period is the limit's: ``once`` → ``once``; ``once_per_year`` → the year (``2026``);
``once_per_month`` → the month (``2026-03``), each in the profile's home store's timezone at
the time of the event; ``every_time`` → the event itself (``event_period``).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

# Never change: every instance a reaction issued has its id under it.
NAMESPACE = uuid.UUID("5b0f6a1e-7c3d-5e2f-9a41-0c2d7e5f3a17")


def key(reaction_id: str, profile_id: str, period: str) -> str:
    return f"{reaction_id}/{profile_id}/{period}"


def instance_id(reaction_id: str, profile_id: str, period: str) -> str:
    return str(uuid.uuid5(NAMESPACE, key(reaction_id, profile_id, period)))


def local_day(at: datetime, tz: str | None) -> date:
    """The calendar day ``at`` falls on in ``tz`` (UTC when the profile has no store)."""
    try:
        zone = ZoneInfo(tz) if tz else ZoneInfo("UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).date()


def period(limit: str, on: date, every: str) -> str:
    """The key's period for ``limit`` on local day ``on``; ``every`` is the event's own
    period, used by ``every_time`` (a purchase's id, a crossing, a year's birthday)."""
    if limit == "once":
        return "once"
    if limit == "once_per_year":
        return f"{on.year:04d}"
    if limit == "once_per_month":
        return f"{on.year:04d}-{on.month:02d}"
    return every
