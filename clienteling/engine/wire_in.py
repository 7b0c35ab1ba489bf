"""The inverse of ``wire``: a record received from the hub's change feed (SPEC §7) back into
column values, per entity type, checked field by field.

Why our own checks rather than ``form.Form``: these records come from the hub, not a person,
so the rules are the wire's (ISO instants with an offset, money as 2-place decimal strings,
the model's lengths), a refusal must name the record (type and id) as well as the field, and
a sync page of thousands of records must parse in milliseconds.

One parser per synced type (``store``, ``staff``, … named as ``wire``'s renderers) reads a
``Reader`` over the record into a ``Parsed``: the row of the entity's table plus, for a
profile its identities and for a redemption its items (replaced as a whole with their
parent). The registry (``engine.entities``) names each type's parser; its ``parse`` checks
the id, names the record in a refusal and derives the children's ids. Fields the wire adds
for readers (``is_expired``, an embedded ``definition``) are ignored; till-local columns
(staff lockout, profile search keys) are not the wire's: the remote door fills them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from hashlib import sha1
from typing import Any

from clienteling.engine import conditions, reaction_shapes
from clienteling.engine.errors import ValidationError
from clienteling.engine.form import MAX_INT, zone
from clienteling.engine.models import SOURCE_LENGTH
from clienteling.engine.permissions import Role
from clienteling.engine.wire import (
    BENEFIT_DEFINITION_FLAGS,
    BENEFIT_DEFINITION_INTS,
    BENEFIT_DEFINITION_TEXT,
)

# Child rows carry no id on the wire: theirs are derived from the parent, so applying the
# same record twice writes the same rows.
_CHILD_IDS = uuid.UUID("8f0c2a57-3b1e-4c55-9d5e-2b6b0e7f4a10")
_CHILD_PREFIX = _CHILD_IDS.bytes
_MAX_MONEY = Decimal("1e12")


def refusal(entity_type: str, ident: object, name: str, problem: str) -> ValidationError:
    """A synced record refused: the message names its type, id and field (here and in
    ``wire_rows``)."""
    return ValidationError({name: [problem]},
                           f"synced {entity_type} {ident}: {name} {problem}")


class Bad(ValueError):
    """One field's problem, before the record it belongs to is known."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(problem)
        self.name = name
        self.problem = problem


@dataclass
class Parsed:
    entity_type: str
    row: dict[str, Any]
    children: list[dict[str, Any]] = field(default_factory=list)

    @property
    def profile_id(self) -> str | None:
        if self.entity_type == "profile":
            return str(self.row["id"])
        value = self.row.get("profile_id")
        return value if isinstance(value, str) else None


class Reader:
    """Reads fields of one wire record; each problem raises ``Bad`` naming the field."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def _get(self, name: str, required: bool) -> Any:
        value = self.data.get(name)
        if value is None and required:
            raise Bad(name, "is required")
        return value

    def text(self, name: str, max_len: int, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        # The common case first, with no further calls: a sync page has ~10 texts a record.
        if type(value) is str and len(value) <= max_len and (not required or value.strip()):
            return value
        if value is None:
            if required:
                raise Bad(name, "is required")
            return None
        if not isinstance(value, str):
            raise Bad(name, "must be text")
        if required and not value.strip():
            raise Bad(name, "must not be empty")
        if len(value) > max_len:
            raise Bad(name, f"must be at most {max_len} characters")
        return value

    def req_text(self, name: str, max_len: int) -> str:
        value = self.text(name, max_len, required=True)
        assert value is not None
        return value

    def ident(self, name: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if type(value) is str and 0 < len(value) <= 36 and (not required or value.strip()):
            return value
        return self.text(name, 36, required=required)

    def integer(self, name: str, *, required: bool = False, minimum: int = 0) -> int | None:
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise Bad(name, "must be a whole number")
        if not minimum <= value <= MAX_INT:
            raise Bad(name, f"must be from {minimum} to {MAX_INT}")
        return value

    def flag(self, name: str, *, default: bool | None = None) -> bool | None:
        value = self.data.get(name)
        if value is None:
            if default is None:
                return None
            return default
        if not isinstance(value, bool):
            raise Bad(name, "must be true or false")
        return value

    def instant(self, name: str, *, required: bool = False) -> datetime | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise Bad(name, "is required")
            return None
        if not isinstance(value, str):
            raise Bad(name, "must be an ISO 8601 time")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise Bad(name, f"'{value[:40]}' is not an ISO 8601 time") from None
        tz = parsed.tzinfo
        if tz is UTC:  # what the hub sends: nothing to convert
            return parsed
        if tz is None:
            raise Bad(name, "must have a UTC offset")
        return parsed.astimezone(UTC)

    def day(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value) if isinstance(value, str) else _no_day()
        except ValueError:
            raise Bad(name, "must be a date (YYYY-MM-DD)") from None

    def money(self, name: str, *, required: bool = False,
              signed: bool = False) -> Decimal | None:
        """``signed``: may be negative (a return's amounts, SPEC P1)."""
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            raise Bad(name, "must be an amount as a decimal string")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise Bad(name, f"'{value[:40]}' is not an amount") from None
        if not amount.is_finite() or amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise Bad(name, "must be an amount with at most 2 decimal places")
        if signed and -_MAX_MONEY < amount < _MAX_MONEY:
            return amount
        if not Decimal(0) <= amount < _MAX_MONEY:
            raise Bad(name, "must be zero or more")
        return amount

    def timezone(self, name: str) -> str:
        value = self._get(name, True)
        if zone(value) is None:
            raise Bad(name, f"unknown timezone '{str(value)[:64]}'")
        return str(value)

    def choice(self, name: str, options: tuple[str, ...]) -> str:
        value = self._get(name, True)
        if value not in options:
            raise Bad(name, f"must be one of {', '.join(options)}")
        return str(value)

    def json(self, name: str) -> Any:
        return self.data.get(name)

    def json_list(self, name: str) -> list[Any]:
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise Bad(name, "must be a list")
        return value

    def json_object(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise Bad(name, "must be an object")
        return value

    def stamps(self) -> dict[str, Any]:
        return {"created_at": self.instant("created_at", required=True),
                "updated_at": self.instant("updated_at", required=True)}


def _no_day() -> date:
    raise ValueError


def store(r: Reader) -> Parsed:
    return Parsed("store", {"name": r.req_text("name", 200), "timezone": r.timezone("timezone"),
                            **r.stamps()})


_ROLES = tuple(role.value for role in Role)


def staff(r: Reader) -> Parsed:
    return Parsed("staff", {
        "username": r.req_text("username", 64), "display_name": r.req_text("display_name", 200),
        "role": r.choice("role", _ROLES), "store_id": r.ident("store_id", required=True),
        "pin_hash": r.req_text("pin_hash", 256), "is_active": r.flag("is_active", default=True),
        **r.stamps(),
    })


def profile(r: Reader) -> Parsed:
    first, last = r.req_text("first_name", 100), r.text("last_name", 100) or ""
    email, phone = r.text("email", 254), r.text("mobile_phone", 32)
    identities: list[dict[str, Any]] = []
    raw = r.json_list("identities")
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise Bad(f"identities[{n}]", "must be an object")
        sub = Reader(item)
        try:
            handle, identifier = sub.req_text("handle", 64), sub.req_text("identifier", 128)
        except Bad as bad:
            raise Bad(f"identities[{n}].{bad.name}", bad.problem) from None
        identities.append({"handle": handle, "identifier": identifier})
    return Parsed("profile", {
        "first_name": first, "last_name": last, "email": email, "mobile_phone": phone,
        "gender": r.text("gender", 32), "birth_date": r.day("birth_date"),
        "tier": r.text("tier", 64), "join_date": r.day("join_date"),
        "home_store_id": r.ident("home_store_id"), "attributes": r.json_object("attributes"),
        # A record from before purchases (SPEC P3) has neither: no spend yet.
        "lifetime_spend": r.money("lifetime_spend") or Decimal("0.00"),
        "last_purchase_at": r.instant("last_purchase_at"),
        **r.stamps(),
    }, identities)


PURCHASE_SOURCES = ("counter", "api", "import")


def purchase(r: Reader) -> Parsed:
    total = r.money("total", required=True, signed=True)
    eligible = r.money("eligible_spend", required=True, signed=True)
    returns = r.ident("returns_purchase_id")
    assert total is not None and eligible is not None
    # A sale's amounts are never negative, a return's never positive (SPEC P1).
    for name, amount in (("total", total), ("eligible_spend", eligible)):
        if returns is None and amount < 0:
            raise Bad(name, "must be zero or more on a sale")
        if returns is not None and amount > 0:
            raise Bad(name, "must be zero or less on a return")
    lines = r.json("lines")
    if lines is not None and not isinstance(lines, list):
        raise Bad("lines", "must be a list")
    return Parsed("purchase", {
        "profile_id": r.ident("profile_id", required=True),
        "store_id": r.ident("store_id", required=True),
        "staff_id": r.ident("staff_id"),
        "occurred_at": r.instant("occurred_at", required=True),
        "receipt_ref": r.req_text("receipt_ref", 128),
        "total": total, "eligible_spend": eligible, "returns_purchase_id": returns,
        "lines": lines, "source": r.choice("source", PURCHASE_SOURCES),
        **r.stamps(),
    })


_TEXT_LENGTHS = {
    "name": 200, "handle": 100, "redeem_code_pos": 64, "redeem_code_online": 64, "icon": 500,
    "image_url": 1000, "remind_target_id": 64, "extend_target_id": 64, "issue_target_id": 64,
    "category": 32,
}


def benefit_definition(r: Reader) -> Parsed:
    row: dict[str, Any] = {}
    for name in BENEFIT_DEFINITION_TEXT:
        row[name] = r.text(name, _TEXT_LENGTHS.get(name, 100_000),
                           required=name in ("name", "handle", "category"))
    for name in BENEFIT_DEFINITION_INTS:
        # Offsets may point back in time; counts and periods may not be negative.
        row[name] = r.integer(name, minimum=-MAX_INT if "offset" in name else 0)
    for name in BENEFIT_DEFINITION_FLAGS:
        row[name] = r.flag(name, default=False)
    row["is_reclaimable"] = r.flag("is_reclaimable")
    for name in ("claim_period_start_at", "claim_period_end_at", "end_at"):
        row[name] = r.instant(name)
    for name in ("claim_condition", "visibility_condition", "claim_timeframe", "discount"):
        row[name] = r.json(name)
    row["tags"] = r.json_list("tags")
    row["total_global_redemptions"] = r.integer("total_global_redemptions") or 0
    row["total_issued"] = r.integer("total_issued") or 0
    row["version"] = r.integer("version", required=True, minimum=1)
    return Parsed("benefit_definition", {**row, **r.stamps()})


def benefit(r: Reader) -> Parsed:
    return Parsed("benefit", {
        "profile_id": r.ident("profile_id", required=True),
        "benefit_definition_id": r.ident("benefit_definition_id", required=True),
        "external_id": r.text("external_id", 128),
        "issued_at": r.instant("issued_at", required=True),
        "expires_at": r.instant("expires_at"),
        "timezone": r.timezone("timezone"),
        "claimed_at": r.instant("claimed_at"),
        "redemptions_remaining": r.integer("redemptions_remaining"),
        "meta": r.json("meta"),
        "redeem_code_pos": r.text("redeem_code_pos", 64),
        "redeem_code_online": r.text("redeem_code_online", 64),
        "source": r.req_text("source", SOURCE_LENGTH),
        "issued_by_staff_id": r.ident("issued_by"),
        **r.stamps(),
    })


def reward_definition(r: Reader) -> Parsed:
    return Parsed("reward_definition", {
        "name": r.req_text("name", 200), "handle": r.req_text("handle", 100),
        "type": r.req_text("type", 32), "description": r.text("description", 100_000),
        "value": r.money("value"), "max_value": r.money("max_value"),
        "period": r.integer("period"), "is_extendable": r.flag("is_extendable", default=False),
        "extend_days": r.integer("extend_days"),
        "excluded_categories": r.json_list("excluded_categories"),
        "is_published": r.flag("is_published", default=True),
        "is_archived": r.flag("is_archived", default=False),
        "version": r.integer("version", required=True, minimum=1),
        **r.stamps(),
    })


def reward(r: Reader) -> Parsed:
    return Parsed("reward", {
        "profile_id": r.ident("profile_id", required=True),
        "reward_definition_id": r.ident("reward_definition_id", required=True),
        "external_id": r.text("external_id", 128),
        "value_initial": r.money("value_initial", required=True),
        "value_remaining": r.money("value_remaining", required=True),
        "issued_at": r.instant("issued_at", required=True),
        "expires_at": r.instant("expires_at"),
        "timezone": r.timezone("timezone"),
        "is_active": r.flag("is_active", default=True),
        "extended_at": r.instant("extended_at"),
        "issued_by_staff_id": r.ident("issued_by"),
        "reason": r.text("reason", 100_000),
        "meta": r.json("meta"),
        # A reward from before reactions (0011) carries none: it was issued (RX5).
        "source": r.text("source", SOURCE_LENGTH) or "issued",
        **r.stamps(),
    })


def reaction(r: Reader) -> Parsed:
    """A synced reaction, its trigger, effect and limit checked as the API checks them."""
    try:
        trigger = reaction_shapes.trigger(r.data.get("trigger"))
        effect = reaction_shapes.effect(r.data.get("effect"))
        limit = reaction_shapes.limit(r.data.get("limit"))
    except reaction_shapes.ShapeError as bad:
        raise Bad(bad.field, bad.problem) from None
    condition = r.json("condition")
    if condition is not None:
        try:
            conditions.validate(condition)
        except conditions.InvalidRule as exc:
            raise Bad("condition", f"invalid JsonLogic rule: {exc}") from None
    active_from, active_to = r.instant("active_from"), r.instant("active_to")
    if active_from is not None and active_to is not None and active_to <= active_from:
        raise Bad("active_to", "must be after active_from")
    return Parsed("reaction", {
        "handle": r.req_text("handle", 100), "name": r.req_text("name", 200),
        "trigger": trigger, "condition": condition, "effect": effect, "limit": limit,
        "active_from": active_from, "active_to": active_to,
        "enabled": r.flag("enabled", default=True), "archived": r.flag("archived", default=False),
        "version": r.integer("version", required=True, minimum=1),
        **r.stamps(),
    })


def redemption(r: Reader) -> Parsed:
    items: list[dict[str, Any]] = []
    for n, item in enumerate(r.json_list("items")):
        if not isinstance(item, dict):
            raise Bad(f"items[{n}]", "must be an object")
        sub = Reader(item)
        try:
            items.append({
                "position": n, "type": sub.choice("type", ("benefit", "reward")),
                "item_id": sub.ident("id", required=True),
                "value": sub.money("value", required=True),
                "count": sub.integer("count", required=True, minimum=1),
            })
        except Bad as bad:
            raise Bad(f"items[{n}].{bad.name}", bad.problem) from None
    return Parsed("redemption", {
        "profile_id": r.ident("profile_id", required=True),
        "type": r.choice("type", ("redeem", "reversal")),
        "total": r.money("total", required=True),
        "location_id": r.ident("location_id"),
        "staff_id": r.ident("staff_id"),
        "transaction_receipt_ref": r.text("transaction_receipt_ref", 128),
        "redeem_at": r.instant("redeem_at", required=True),
        "reversal_of_id": r.ident("reversal_of_id"),
        "reversed_by_id": r.ident("reversed_by_id"),
        "meta": r.json("meta"),
        "created_at": r.instant("created_at", required=True),
    }, items)


def child_id(*parts: str) -> str:
    """``uuid.uuid5(_CHILD_IDS, "/".join(parts))`` as text, computed without building UUID
    objects: a first sync derives one per identity (docs/performance.md)."""
    digest = bytearray(sha1(_CHILD_PREFIX + "/".join(parts).encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
