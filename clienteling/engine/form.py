"""Reading untrusted input (a UI form, a hub request body, a synced record).

``Form`` collects every problem, each against its field, and ``done()`` raises
one ``ValidationError`` naming them all; nothing is written before that, so bad
input changes nothing (SPEC §4).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clienteling.engine import conditions, timeframe
from clienteling.engine.errors import ValidationError
from clienteling.engine.money import MoneyError, parse_amount

HANDLE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,98}[A-Za-z0-9])?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
MAX_INT = 2_147_483_647
_MISSING = object()


def zone(name: Any) -> ZoneInfo | None:
    if not isinstance(name, str) or not name or len(name) > 64 or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def parse_instant(value: Any, tz: str) -> datetime:
    """A datetime from input; one without an offset is wall time in ``tz`` (SPEC §7).

    Raises ValueError with a message for the user.
    """
    if isinstance(value, datetime):
        result = value if value.tzinfo else value.replace(tzinfo=ZoneInfo(tz))
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day, tzinfo=ZoneInfo(tz))
    elif isinstance(value, str):
        result = _instant_from_text(value, tz)
    else:
        raise ValueError("must be a date and time string such as '2025-06-15 09:00:00'")
    if not 1900 <= result.year <= 2200:
        raise ValueError("must be a year between 1900 and 2200")
    return result.astimezone(UTC)


def _instant_from_text(value: str, tz: str) -> datetime:
    raw = value.strip()
    if len(raw) == 10:
        try:
            d = date.fromisoformat(raw)
        except ValueError:
            pass
        else:
            return datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz))
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(raw, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise ValueError(
            f"'{value[:40]}' is not a date and time: use 'YYYY-MM-DD HH:MM:SS' or ISO 8601"
        )
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(tz))


def _money_problem(exc: MoneyError, name: str) -> str:
    message = str(exc)
    prefix = f"{name}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def read_amount(value: Any, *, field: str = "amount", currency: str = "AUD") -> Decimal:
    """An amount given directly to a service (not in a body): a bad one is a
    ``ValidationError`` naming ``field``, like every other bad input (SPEC §4)."""
    try:
        return parse_amount(value, currency=currency, field=field)
    except MoneyError as exc:
        raise ValidationError({field: [_money_problem(exc, field)]}) from None


def read_ref(value: Any, *, field: str, max_len: int = 36) -> str | None:
    """An optional short text given directly to a service (a receipt number, a client-made
    id): not text or too long is a ``ValidationError`` naming ``field`` (SPEC §4)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError({field: ["must be text"]})
    value = value.strip()
    if len(value) > max_len:
        raise ValidationError({field: [f"must be at most {max_len} characters"]})
    return value or None


class Form:
    """Typed, field-named reading of a mapping of untrusted values."""

    def __init__(self, data: Any, *, partial: bool = False) -> None:
        if not isinstance(data, Mapping):
            raise ValidationError({"body": ["must be a JSON object"]})
        self.data: Mapping[str, Any] = data
        self.partial = partial
        self.errors: dict[str, list[str]] = {}

    # -- plumbing -------------------------------------------------------
    def has(self, name: str) -> bool:
        return name in self.data

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def _raw(self, name: str, required: bool) -> Any:
        if name not in self.data:
            if required and not self.partial:
                self.error(name, "is required")
            return _MISSING
        value = self.data[name]
        if value is None and required:
            self.error(name, "is required")
            return _MISSING
        return value

    def done(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)

    # -- readers: each returns the parsed value, None, or _MISSING when absent
    def text(self, name: str, *, required: bool = False, max_len: int = 500) -> Any:
        value = self._raw(name, required)
        if value is _MISSING or value is None:
            return value
        if not isinstance(value, str):
            self.error(name, "must be text")
            return _MISSING
        value = value.strip()
        if required and not value:
            self.error(name, "must not be empty")
            return _MISSING
        if len(value) > max_len:
            self.error(name, f"must be at most {max_len} characters")
            return _MISSING
        return value or None

    def integer(
        self, name: str, *, required: bool = False, minimum: int = 0, maximum: int = MAX_INT
    ) -> Any:
        value = self._raw(name, required)
        if value is _MISSING or value is None:
            return value
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,10}", value.strip()):
            value = int(value.strip())
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, "must be a whole number")
            return _MISSING
        if not minimum <= value <= maximum:
            self.error(name, f"must be between {minimum} and {maximum}")
            return _MISSING
        return value

    def flag(self, name: str, *, required: bool = False) -> Any:
        value = self._raw(name, required)
        if value is _MISSING or value is None:
            return value
        if isinstance(value, bool):
            return value
        if value in (0, 1) and not isinstance(value, float):
            return bool(value)
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        self.error(name, "must be true or false")
        return _MISSING

    def handle(self, name: str, *, required: bool = False) -> Any:
        value = self.text(name, required=required, max_len=100)
        if isinstance(value, str) and not HANDLE.match(value):
            self.error(
                name,
                "must be URL-safe: letters, digits, '-' and '_', starting and ending with a "
                "letter or digit",
            )
            return _MISSING
        return value

    def timezone(self, name: str, *, required: bool = False) -> Any:
        value = self._raw(name, required)
        if value is _MISSING or value is None:
            return value
        if zone(value) is None:
            self.error(name, f"unknown timezone '{str(value)[:64]}': use an IANA name such as "
                       "'Australia/Melbourne'")
            return _MISSING
        return value

    def instant(self, name: str, tz: str, *, required: bool = False) -> Any:
        value = self._raw(name, required)
        if value is _MISSING or value is None:
            return value
        try:
            return parse_instant(value, tz)
        except ValueError as exc:
            self.error(name, str(exc))
            return _MISSING

    def day(self, name: str, *, required: bool = False) -> Any:
        value = self._raw(name, required)
        if value is _MISSING or value is None or value == "":
            return None if value == "" else value
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            raw = value.strip()
            try:
                # A date, or a whole valid date-time of which the date is taken.
                result = (date.fromisoformat(raw) if len(raw) <= 10
                          else datetime.fromisoformat(raw.replace("Z", "+00:00")).date())
                if not 1900 <= result.year <= 2200:
                    raise ValueError
                return result
            except ValueError:
                pass
        self.error(name, f"'{str(value)[:40]}' is not a date: use YYYY-MM-DD")
        return _MISSING

    def amount(self, name: str, *, required: bool = False, currency: str = "AUD") -> Any:
        value = self._raw(name, required)
        if value is _MISSING or value is None:
            return value
        try:
            return parse_amount(value, currency=currency, field=name)
        except MoneyError as exc:
            self.error(name, _money_problem(exc, name))
            return _MISSING

    def condition(self, name: str) -> Any:
        value = self._raw(name, False)
        if value is _MISSING or value is None:
            return value
        try:
            conditions.validate(value)
        except conditions.InvalidRule as exc:
            self.error(name, f"invalid JsonLogic rule: {exc}")
            return _MISSING
        return value

    def claim_timeframe(self, name: str) -> Any:
        value = self._raw(name, False)
        if value is _MISSING or value is None:
            return value
        try:
            timeframe.validate(value)
        except timeframe.TimeframeError as exc:
            self.error(name, str(exc))
            return _MISSING
        return value

    def string_list(self, name: str, *, max_items: int = 100) -> Any:
        value = self._raw(name, False)
        if value is _MISSING or value is None:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) and len(v) <= 100 for v in value):
            self.error(name, "must be a list of short text values")
            return _MISSING
        if len(value) > max_items:
            self.error(name, f"must have at most {max_items} entries")
            return _MISSING
        return [v.strip() for v in value if v.strip()]

    def json_object(self, name: str) -> Any:
        value = self._raw(name, False)
        if value is _MISSING or value is None:
            return value
        if not isinstance(value, dict):
            self.error(name, "must be a JSON object")
            return _MISSING
        return value

    def choice(self, name: str, options: tuple[str, ...], *, required: bool = False) -> Any:
        value = self._raw(name, required)
        if value is _MISSING or value is None:
            return value
        if value not in options:
            self.error(name, f"must be one of: {', '.join(options)}")
            return _MISSING
        return value


def present(value: Any) -> bool:
    """True when a reader returned a value (possibly None = cleared) rather than nothing."""
    return value is not _MISSING


def opt(value: Any) -> Any:
    """A reader's value with "absent" folded into None, for fields that are simply optional."""
    return None if value is _MISSING else value
