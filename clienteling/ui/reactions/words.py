"""Reactions in words for the editor's list and combos (SPEC RX1, RX2): a trigger's wire shape
read out ("On a purchase of $100.00 or more"), and the four limits. Pure data, no Qt."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

# The trigger in words is the engine's: History says it too. Re-exported for the editor.
from clienteling.engine.reaction_words import money_words
from clienteling.engine.reaction_words import trigger_words as trigger_words

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
        return f"{money_words(value)} {name}" if value not in (None, "") else name
    return "nothing"
