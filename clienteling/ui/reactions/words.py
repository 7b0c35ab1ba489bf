"""Reactions in words for the editor's list and combos (SPEC RX1, RX2): a trigger's wire shape
read out ("On a purchase of $100.00 or more"), and the four limits. Pure data, no Qt."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from clienteling.engine.money import format_money

#: (wire type, what the type combo says), in the order the combo lists them
TRIGGER_TYPES: tuple[tuple[str, str], ...] = (
    ("joined", "Joins"),
    ("tier_changed", "Tier changes"),
    ("birthday", "Birthday"),
    ("join_anniversary", "Join anniversary"),
    ("purchase", "Purchase"),
    ("spend_milestone", "Spend milestone"),
    ("lapsed", "Lapsed"),
)

#: the trigger's own fields beside ``type``, per type (SPEC RX2's wire shapes)
TRIGGER_FIELDS: dict[str, tuple[str, ...]] = {
    "joined": (),
    "tier_changed": ("from", "to"),
    "birthday": ("when",),
    "join_anniversary": (),
    "purchase": ("min_spend",),
    "spend_milestone": ("threshold",),
    "lapsed": ("days",),
}

BIRTHDAY_WHEN: tuple[tuple[str, str], ...] = (("day", "On the day"), ("month", "In the month"))

#: (wire word, what the limit combo says)
LIMITS: tuple[tuple[str, str], ...] = (
    ("once", "Once per customer"),
    ("once_per_year", "Once a year per customer"),
    ("once_per_month", "Once a month per customer"),
    ("every_time", "Every time it happens"),
)


def _money(value: Any) -> str:
    try:
        return format_money(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return str(value)


def trigger_words(trigger: dict[str, Any] | None) -> str:
    """``{"type": "purchase", "min_spend": "100.00"}`` -> "On a purchase of $100.00 or more"."""
    t = trigger or {}
    kind = t.get("type")
    if kind == "joined":
        return "When a customer joins"
    if kind == "tier_changed":
        start, end = t.get("from"), t.get("to")
        if start and end:
            return f"When the tier changes from {start} to {end}"
        if end:
            return f"When the tier changes to {end}"
        if start:
            return f"When the tier changes from {start}"
        return "When the tier changes"
    if kind == "birthday":
        return "In the birthday month" if t.get("when") == "month" else "On the birthday"
    if kind == "join_anniversary":
        return "On the join anniversary"
    if kind == "purchase":
        spend = t.get("min_spend")
        return f"On a purchase of {_money(spend)} or more" if spend not in (None, "") \
            else "On every purchase"
    if kind == "spend_milestone":
        return f"When lifetime spend reaches {_money(t.get('threshold'))}"
    if kind == "lapsed":
        days = t.get("days")
        return f"After {days} days without a purchase"
    return f"Unknown trigger {kind!r}" if kind else "No trigger"


def limit_words(limit: str | None) -> str:
    return dict(LIMITS).get(limit or "", limit or "—")


class _Named(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...


def effect_words(effect: dict[str, Any] | None, choices: Sequence[_Named] = ()) -> str:
    """``{"reward_definition_id": …, "value": "10.00"}`` -> "$10.00 Spend reward"."""
    e = effect or {}
    names = {(c.kind, c.id): c.name for c in choices}
    if e.get("benefit_definition_id"):
        return names.get(("benefit", str(e["benefit_definition_id"])), "a benefit")
    if e.get("reward_definition_id"):
        name = names.get(("reward", str(e["reward_definition_id"])), "a reward")
        value = e.get("value")
        return f"{_money(value)} {name}" if value not in (None, "") else name
    return "nothing"
