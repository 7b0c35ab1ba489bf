"""A reaction's trigger read out in words (SPEC RX2): the editor's list says it, and so does
a customer's History, which is why it lives in the engine ("Issued Birthday gift automatically —
Birthday (in the birthday month)"). Pure data."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from clienteling.engine.money import format_money


def money_words(value: Any) -> str:
    """A wire amount as money ("$100.00"); text that is not one, as it is."""
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
        return f"On a purchase of {money_words(spend)} or more" if spend not in (None, "") \
            else "On every purchase"
    if kind == "spend_milestone":
        return f"When lifetime spend reaches {money_words(t.get('threshold'))}"
    if kind == "lapsed":
        days = t.get("days")
        return f"After {days} days without a purchase"
    return f"Unknown trigger {kind!r}" if kind else "No trigger"
