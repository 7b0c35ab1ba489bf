"""The shapes of a reaction's trigger, effect and limit on the wire (SPEC 3.9 RX2), checked in
one place for every door: the engine's service (the API, the editor, the import) and the
parser of a synced record (``wire_in.reaction``).

Each check answers the value in its stored form or raises ``ShapeError`` naming the field the
way a 422 names it (``trigger.threshold``). Nothing here reads the database: whether an
effect's definition exists, is archived, or caps the value is the service's question.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

TRIGGER_TYPES = ("joined", "tier_changed", "birthday", "join_anniversary", "purchase",
                 "spend_milestone", "lapsed")
# Triggers a till runs itself at its counter (RX4); the hub runs every one.
TILL_TRIGGERS = frozenset({"joined", "purchase", "spend_milestone"})
# Triggers the daily run finds profiles for (RX4).
TIME_TRIGGERS = frozenset({"birthday", "join_anniversary", "lapsed"})
LIMITS = ("once", "once_per_year", "once_per_month", "every_time")
BIRTHDAY_WHEN = ("month", "day")
_MAX_AMOUNT = Decimal("1e12")
_MAX_DAYS = 36_500
_HANDLE_LEN = 64  # a tier handle (Profile.tier)

# The keys each trigger type takes besides ``type``, and whether each is required.
_KEYS: dict[str, dict[str, bool]] = {
    "joined": {},
    "tier_changed": {"from": False, "to": False},
    "birthday": {"when": True},
    "join_anniversary": {},
    "purchase": {"min_spend": False},
    "spend_milestone": {"threshold": True},
    "lapsed": {"days": True},
}


class ShapeError(ValueError):
    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field} {problem}")
        self.field = field
        self.problem = problem


def amount(value: Any, field: str, *, positive: bool = False) -> str:
    """A threshold as its decimal string: not negative (above zero when ``positive``), at most
    2 decimal places. A JSON number is taken as the API takes money (SPEC §7)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ShapeError(field, "must be an amount such as \"100.00\"")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ShapeError(field, "must be an amount such as \"100.00\"") from None
    if not number.is_finite() or number.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ShapeError(field, "must be an amount with at most 2 decimal places")
    if number < 0:
        raise ShapeError(field, "must not be negative")
    if positive and number == 0:
        raise ShapeError(field, "must be more than zero")
    if number >= _MAX_AMOUNT:
        raise ShapeError(field, "is too large")
    return f"{number:.2f}"


def trigger(value: Any) -> dict[str, Any]:
    """RX2: ``{"type": ..., ...}`` with exactly the keys that type takes."""
    if not isinstance(value, dict):
        raise ShapeError("trigger", "must be an object such as {\"type\": \"joined\"}")
    kind = value.get("type")
    if kind is None:
        raise ShapeError("trigger.type", "is required")
    if kind not in _KEYS:
        raise ShapeError("trigger.type", f"must be one of {', '.join(TRIGGER_TYPES)}")
    keys = _KEYS[kind]
    for key in value:
        if key != "type" and key not in keys:
            raise ShapeError(f"trigger.{key}", f"is not part of a {kind} trigger")
    for key, required in keys.items():
        if required and value.get(key) is None:
            raise ShapeError(f"trigger.{key}", f"is required for a {kind} trigger")
    out: dict[str, Any] = {"type": kind}
    if kind == "tier_changed":
        for key in ("from", "to"):
            handle = value.get(key)
            if handle is None:
                continue
            if not isinstance(handle, str) or not handle.strip() or len(handle) > _HANDLE_LEN:
                raise ShapeError(f"trigger.{key}", "must be a tier handle such as \"gold\"")
            out[key] = handle.strip()
    elif kind == "birthday":
        if value["when"] not in BIRTHDAY_WHEN:
            raise ShapeError("trigger.when", "must be month or day")
        out["when"] = value["when"]
    elif kind == "purchase":
        if value.get("min_spend") is not None:
            out["min_spend"] = amount(value["min_spend"], "trigger.min_spend")
    elif kind == "spend_milestone":
        out["threshold"] = amount(value["threshold"], "trigger.threshold", positive=True)
    elif kind == "lapsed":
        days = value["days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= _MAX_DAYS:
            raise ShapeError("trigger.days", f"must be a whole number of days from 1 to {_MAX_DAYS}")
        out["days"] = days
    return out


def effect(value: Any) -> dict[str, Any]:
    """``{"benefit_definition_id": id}`` or ``{"reward_definition_id": id, "value": "10.00"}``
    (a reward's value may be left out: its definition's default value)."""
    if not isinstance(value, dict):
        raise ShapeError("effect", "must be an object naming benefit_definition_id or "
                         "reward_definition_id")
    benefit, reward = value.get("benefit_definition_id"), value.get("reward_definition_id")
    if (benefit is None) == (reward is None):
        raise ShapeError("effect", "must name exactly one of benefit_definition_id and "
                         "reward_definition_id")
    name = "benefit_definition_id" if benefit is not None else "reward_definition_id"
    ident = benefit if benefit is not None else reward
    allowed = {name} if benefit is not None else {name, "value"}
    for key in value:
        if key not in allowed:
            raise ShapeError(f"effect.{key}", "is not part of this effect")
    if not isinstance(ident, str) or not 1 <= len(ident.strip()) <= 100:
        raise ShapeError(f"effect.{name}", "must be a definition's id")
    out: dict[str, Any] = {name: ident.strip()}
    if reward is not None and value.get("value") is not None:
        out["value"] = amount(value["value"], "effect.value", positive=True)
    return out


def limit(value: Any) -> str:
    if value not in LIMITS:
        raise ShapeError("limit", f"must be one of {', '.join(LIMITS)}")
    return str(value)
