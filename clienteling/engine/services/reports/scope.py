"""Who may see which report, for which store, and the time buckets a report groups by.

Scope (docs/reports.md): a store's liability and expiring lists are its *customers'* (the
profile's home store), its redemptions are those made *at* the store (the redemption's
location). Chain-wide (no store) is for admins only (SPEC §3.7).

Buckets are local calendar days, weeks or months in the scope's timezone. SQLite has no time
zones, so a bucket is never computed in SQL from a local time: its bounds are computed here
(local midnight → UTC, correct across DST) and SQL compares the stored UTC instant with them
in a ``CASE`` — exact on both backends and still one aggregate query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from clienteling.engine.errors import ValidationError
from clienteling.engine.models import Store
from clienteling.engine.permissions import Action, Actor, require

BUCKETS = ("day", "week", "month")
MAX_BUCKETS = 400


@dataclass(frozen=True)
class ReportScope:
    """One store (``store_id``) or the chain (``store_id`` None), and the zone dates are read in."""

    store_id: str | None
    label: str
    timezone: str


def resolve_scope(s: Session, actor: Actor, store_id: str | None) -> ReportScope:
    """The scope ``actor`` asked for, after the role checks: no store named means the actor's
    own store for a manager and the chain for an admin; an unknown store is bad input."""
    require(actor, Action.VIEW_REPORTS)
    if store_id is not None:
        store_id = store_id.strip()
        if not store_id:
            raise ValidationError.field("store_id", "must name a store")
    if store_id is None:
        if actor.may(Action.VIEW_CHAIN_REPORTS):
            return ReportScope(None, "All stores", actor.timezone)
        store_id = actor.store_id
    store = s.execute(select(Store.id, Store.name, Store.timezone)
                      .where(Store.id == store_id)).first()
    if store is None:
        raise ValidationError.field("store_id", f"no store with id {store_id[:40]}")
    if store.id != actor.store_id:
        require(actor, Action.VIEW_CHAIN_REPORTS)
    return ReportScope(store.id, store.name, store.timezone)


def local_midnight(day: date, timezone: str) -> datetime:
    """The instant (UTC) a local calendar day starts in ``timezone``."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local_date(instant: datetime, timezone: str) -> date:
    return instant.astimezone(ZoneInfo(timezone)).date()


def bucket_start(day: date, by: str) -> date:
    """The first day of the bucket ``day`` falls in (weeks start on Monday, ISO 8601)."""
    if by == "day":
        return day
    if by == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: date, by: str) -> date:
    if by == "day":
        return start + timedelta(days=1)
    if by == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def bucket_starts(first: date, last: date, by: str, *, limit: int = MAX_BUCKETS) -> list[date]:
    """The starts of the buckets from the one holding ``first`` to the one holding ``last``,
    at most ``limit`` of them."""
    out: list[date] = []
    current = bucket_start(first, by)
    while current <= last and len(out) < limit:
        out.append(current)
        current = next_bucket(current, by)
    return out


def bucket_case(column: Any, bounds: Sequence[datetime], labels: Sequence[str], *,
                before: str, after: str) -> Any:
    """``CASE`` giving ``labels[i]`` where ``bounds[i] <= column < bounds[i+1]``; ``before`` below
    the first bound, ``after`` from the last. ``len(bounds) == len(labels) + 1``."""
    whens = [(column < bounds[0], before)]
    whens += [(column < upper, label) for upper, label in zip(bounds[1:], labels, strict=True)]
    return case(*whens, else_=after)
