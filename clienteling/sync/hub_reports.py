"""An admin's chain reports asked of the hub (SPEC §5, §7, issue 18): ``GET /api/v3/reports/...``
read back into the very frozen records the engine's report services return, so the desktop
draws the hub's answer with the same chart, table and CSV as a till's own. Qt-free, on the
network worker with its ``HubClient``.

One attempt only, as for the reaction dry run: the Reports window falls back to the till's own
copy at once when the hub does not answer. A malformed answer is ``HubFailed`` naming what was
wrong, never a traceback: the hub is another program, and its JSON is input like any other."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from clienteling.engine.errors import ValidationError
from clienteling.engine.services.reports import (
    BenefitUses,
    BucketLine,
    DefinitionLine,
    ExpiringCustomer,
    ExpiringReport,
    Figures,
    LiabilityCell,
    LiabilityReport,
    ReactionLine,
    ReactionsReport,
    RedemptionsReport,
    ReportScope,
    StaffLine,
)
from clienteling.sync.client import HubClient, HubFailed, error_message

Report = LiabilityReport | ExpiringReport | RedemptionsReport | ReactionsReport
KINDS = ("liability", "expiring", "redemptions", "reactions")
CENT = Decimal("0.01")
T = TypeVar("T")


class Malformed(Exception):
    """Where in the hub's answer the unexpected value is (``customers[3].reward_dollars``)."""


def report_at_hub(client: HubClient, staff_id: str, kind: str,
                  params: dict[str, str] | None = None) -> Report:
    """The hub's chain report ``kind`` (no ``filter[store_id]``: an admin's default is the
    chain). Bad parameters are the hub's ``ValidationError`` (422, each named); anything else
    the hub refuses is ``HubFailed`` in words; no answer at all is ``HubUnreachable``."""
    if kind not in KINDS:
        raise ValueError(f"unknown report {kind!r}")
    response = client.send("GET", f"/reports/{kind}", params=params or {},
                           headers={"X-Staff-Id": staff_id, "Accept": "application/json"},
                           attempts=1)
    if response.status_code == 422:
        try:
            errors = response.json().get("errors") or {}
        except (ValueError, AttributeError):
            errors = {}
        if isinstance(errors, dict) and errors:
            raise ValidationError(errors)
    if response.status_code != 200:
        raise HubFailed(f"The hub refused the {kind} report (HTTP {response.status_code}: "
                        f"{error_message(response)}).")
    try:
        body = response.json()
    except ValueError:
        raise HubFailed(f"The hub's answer to the {kind} report is not JSON.") from None
    return parse_report(kind, body)


def parse_report(kind: str, body: Any) -> Report:
    """``{"data": ...}`` as the hub's route wrote it, into the engine's record; ``HubFailed``
    naming the first value that is not what the route writes."""
    try:
        data = _field(body, "data", _dict)
        return _PARSERS[kind](data)
    except Malformed as problem:
        raise HubFailed(f"The hub's answer to the {kind} report is not the expected JSON "
                        f"({problem}).") from None


# -- values ---------------------------------------------------------------------------------
def _dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Malformed("not an object")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Malformed("not a list")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise Malformed("not text")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Malformed("not a whole number")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Malformed("not true or false")
    return value


def _money(value: Any) -> Decimal:
    # The routes write money as a decimal string to the cent; a float would not be exact.
    if not isinstance(value, str):
        raise Malformed("not an amount written as text")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise Malformed(f"not an amount: {value[:40]!r}") from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise Malformed(f"not an amount to the cent: {value[:40]!r}")
    return amount


def _instant(value: Any) -> datetime:
    text = _text(value)
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"not a time: {text[:40]!r}") from None
    if at.tzinfo is None:
        raise Malformed(f"a time without its offset: {text[:40]!r}")
    return at


def _day(value: Any) -> date:
    text = _text(value)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Malformed(f"not a date: {text[:40]!r}") from None


def _field(data: Any, name: str, read: Callable[[Any], T]) -> T:
    if not isinstance(data, dict):
        raise Malformed(f"{name}: its parent is not an object")
    if name not in data:
        raise Malformed(f"{name} is missing")
    try:
        return read(data[name])
    except Malformed as problem:
        raise Malformed(f"{name}: {problem}") from None


def _items(data: dict[str, Any], name: str, read: Callable[[dict[str, Any]], T]) -> tuple[T, ...]:
    out: list[T] = []
    for i, item in enumerate(_field(data, name, _list)):
        try:
            out.append(read(_dict(item)))
        except Malformed as problem:
            raise Malformed(f"{name}[{i}]: {problem}") from None
    return tuple(out)


def _scope(data: dict[str, Any]) -> ReportScope:
    return ReportScope(_field(data, "store_id", _optional_text), _field(data, "label", _text),
                       _field(data, "timezone", _text))


def _scope_of(data: dict[str, Any]) -> ReportScope:
    return _field(data, "scope", lambda v: _scope(_dict(v)))


# -- the four reports ---------------------------------------------------------------------------
def _liability(data: dict[str, Any]) -> LiabilityReport:
    cells = _items(data, "rewards", lambda c: LiabilityCell(
        _field(c, "expiry_month", _text), _field(c, "reward_type", _text),
        _field(c, "reward_dollars", _money)))
    benefits = _items(data, "benefits", lambda b: BenefitUses(
        _field(b, "definition_id", _text), _field(b, "handle", _text), _field(b, "name", _text),
        _field(b, "instances", _count), _field(b, "uses_outstanding", _count),
        _field(b, "unlimited_instances", _count)))
    total = _field(data, "total", _money)
    if total != sum((c.amount for c in cells), Decimal("0.00")):
        raise Malformed("total is not the sum of the rewards' reward_dollars")
    return LiabilityReport(_scope_of(data), _field(data, "as_of", _instant), cells, total,
                           benefits)


def _expiring(data: dict[str, Any]) -> ExpiringReport:
    customers = _items(data, "customers", lambda c: ExpiringCustomer(
        _field(c, "profile_id", _text), _field(c, "first_name", _text),
        _field(c, "last_name", _text), _field(c, "email", _optional_text),
        _field(c, "mobile_phone", _optional_text), _field(c, "reward_dollars", _money),
        _field(c, "rewards", _count), _field(c, "benefits", _count),
        _field(c, "first_expiry", _instant), _field(c, "opted_out", _flag)))
    return ExpiringReport(_scope_of(data), _field(data, "as_of", _instant),
                          _field(data, "days", _count), _field(data, "until", _instant),
                          customers, _field(data, "total_customers", _count),
                          _field(data, "total_reward_dollars", _money),
                          _field(data, "total_benefits", _count))


def _figures(f: dict[str, Any]) -> Figures:
    figures = Figures(benefit_uses=_field(f, "benefit_uses", _count),
                      reward_dollars=_field(f, "reward_dollars", _money),
                      voided_uses=_field(f, "voided_uses", _count),
                      voided_dollars=_field(f, "voided_dollars", _money))
    # net_* are derived here as in the engine; an answer whose own nets disagree is not the hub's.
    if "net_uses" in f and _field(f, "net_uses", _count) != figures.net_uses:
        raise Malformed("net_uses is not benefit_uses less voided_uses")
    if "net_dollars" in f and _field(f, "net_dollars", _money) != figures.net_dollars:
        raise Malformed("net_dollars is not reward_dollars less voided_dollars")
    return figures


def _redemptions(data: dict[str, Any]) -> RedemptionsReport:
    buckets = _items(data, "buckets", lambda b: BucketLine(_field(b, "start", _day), _figures(b)))
    staff = _items(data, "staff", lambda s: StaffLine(
        _field(s, "staff_id", _optional_text), _field(s, "name", _text), _figures(s)))
    definitions = _items(data, "definitions", lambda d: DefinitionLine(
        _field(d, "kind", _text), _field(d, "definition_id", _optional_text),
        _field(d, "name", _text), _figures(d)))
    by = _field(data, "by", _text)
    if by not in ("day", "week", "month"):
        raise Malformed(f"by: not day, week or month: {by[:20]!r}")
    return RedemptionsReport(_scope_of(data), _field(data, "as_of", _instant),
                             _field(data, "from", _day), _field(data, "to", _day), by, buckets,
                             staff, definitions, _field(data, "total", lambda v: _figures(_dict(v))))


def _line(handle: str, name: str, r: dict[str, Any]) -> ReactionLine:
    return ReactionLine(handle, name, _field(r, "issued", _count), _field(r, "redeemed", _count),
                        _field(r, "expired_unused", _count), _field(r, "reward_dollars", _money))


def _reactions(data: dict[str, Any]) -> ReactionsReport:
    lines = _items(data, "reactions", lambda r: _line(_field(r, "handle", _text),
                                                      _field(r, "name", _text), r))
    # The engine's total line has no handle and is named "Total" (reports/reactions.py).
    total = _field(data, "total", lambda v: _line("", "Total", _dict(v)))
    return ReactionsReport(_scope_of(data), _field(data, "as_of", _instant), lines, total)


_PARSERS: dict[str, Callable[[dict[str, Any]], Report]] = {
    "liability": _liability, "expiring": _expiring, "redemptions": _redemptions,
    "reactions": _reactions,
}
