"""How values read on screen: money with its currency, times in the store's timezone,
expiry in words ("in 3 days")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clienteling.engine.money import format_money

ROLE_NAMES = {"associate": "Associate", "manager": "Manager", "admin": "Admin"}


def money(value: Decimal | None, currency: str = "AUD") -> str:
    return "—" if value is None else format_money(value, currency)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(at: datetime, tz: str) -> datetime:
    return at.astimezone(_zone(tz))


def day(at: datetime | None, tz: str) -> str:
    """``14 Mar 2026`` in the store's timezone."""
    if at is None:
        return "—"
    return local(at, tz).strftime("%d %b %Y").lstrip("0")


def day_time(at: datetime | None, tz: str) -> str:
    """``14 Mar 2026 09:30`` in the store's timezone."""
    if at is None:
        return "—"
    return local(at, tz).strftime("%d %b %Y %H:%M").lstrip("0")


def editable_time(iso_text: str | None, tz: str) -> str:
    """A wire time (ISO 8601 with offset) as ``YYYY-MM-DD HH:MM`` wall time in ``tz`` for a form."""
    if not iso_text:
        return ""
    try:
        at = datetime.fromisoformat(iso_text)
    except ValueError:
        return iso_text
    if at.tzinfo is None:
        return at.strftime("%Y-%m-%d %H:%M")
    return local(at, tz).strftime("%Y-%m-%d %H:%M")


def relative_days(at: datetime, now: datetime, tz: str) -> str:
    """``today``, ``tomorrow``, ``in 3 days``, ``yesterday``, ``5 days ago`` by local calendar."""
    days = (local(at, tz).date() - local(now, tz).date()).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def expiry(at: datetime | None, now: datetime, tz: str) -> str:
    """How an expiry reads in a list: ``14 Mar 2026``, or ``in 3 days`` when close."""
    if at is None:
        return "No expiry"
    days = (local(at, tz).date() - local(now, tz).date()).days
    if at <= now:
        return f"Expired {day(at, tz)}"
    if days <= 14:
        return f"{relative_days(at, now, tz).capitalize()} ({day(at, tz)})"
    return day(at, tz)


def role_name(role: str) -> str:
    return ROLE_NAMES.get(str(role), str(role).capitalize())


def tier_name(tier: str | None) -> str:
    return (tier or "").replace("-", " ").upper()

