"""Firing a reaction for one profile inside a unit of work already open (SPEC 3.9 RX1-RX5).

The event triggers run here, in the transaction of the event that triggers them (RX4): a
profile's creation (``joined``), its tier changing (``tier_changed``, hub only), a purchase
(``purchase``) and the lifetime spend it moves (``spend_milestone``). A till runs the
``TILL_TRIGGERS`` itself, online or offline; the hub runs every trigger as it applies the
event, by the API or by sync, and derives the same ids (``keys``), so nothing is issued twice.

What is issued is inserted only if its id is absent (``INSERT … ON CONFLICT DO NOTHING``): the
insert decides, never a read before it, so two writers racing on one key issue one instance.
The instance, its audit event and its outbox entry (a till) or change-feed row (the hub) are
written in the triggering unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import Connection, Table, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from clienteling.engine import conditions, rules, wire
from clienteling.engine.context import HubCall, UnitOfWork
from clienteling.engine.frozen import EarnedRecord
from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    Profile,
    Reaction,
    Reward,
    RewardDefinition,
    Store,
)
from clienteling.engine.profile_data import condition_data
from clienteling.engine.reaction_shapes import TILL_TRIGGERS
from clienteling.engine.reactions import keys
from clienteling.engine.services.updates import rowcount

# A purchase that jumps over many multiples of an every_time milestone issues one instance
# per multiple, up to this many (a typo'd threshold of 0.01 must not issue a million).
MAX_CROSSINGS = 20


def source_of(handle: str) -> str:
    """RX5: what a reaction issued says so."""
    return f"reaction:{handle}"


def instance_path(reaction_id: str) -> str:
    """The hub's door for an instance a till's reaction issued (``POST``, RX4)."""
    return f"/reactions/{reaction_id}/issues"


def problem(s: Session, reaction: Reaction) -> str | None:
    """Why an enabled reaction does not fire although it is switched on, in words; None when
    it can fire (its effect's definition exists and is not archived)."""
    effect = reaction.effect or {}
    if "benefit_definition_id" in effect:
        d: Any = s.get(BenefitDefinition, effect["benefit_definition_id"])
        noun = "benefit definition"
    else:
        d = s.get(RewardDefinition, effect.get("reward_definition_id"))
        noun = "reward definition"
    if d is None:
        return f"Its {noun} no longer exists."
    if d.is_archived:
        return f"Its {noun} {d.name} is archived."
    return None


def is_active(reaction: Reaction, at: datetime) -> bool:
    """Switched on, not archived, and ``at`` inside its active window."""
    if not reaction.enabled or reaction.archived:
        return False
    if reaction.active_from is not None and at < reaction.active_from:
        return False
    return reaction.active_to is None or at < reaction.active_to


def live(s: Session, kinds: Iterable[str]) -> list[Reaction]:
    """The switched-on, unarchived reactions with one of these trigger types, by handle.

    Read once per transaction (kept in the session's ``info``): a checkout fires two kinds
    of trigger and pays for one read (SPEC §8, ``checkout_reactions_p95_ms``). A reaction
    edited in the same transaction as an event is none of a checkout's business."""
    wanted = set(kinds)
    rows = s.info.get(_LIVE)
    if rows is None:
        rows = s.info[_LIVE] = list(s.scalars(
            select(Reaction).where(Reaction.enabled.is_(True), Reaction.archived.is_(False))
            .order_by(Reaction.handle)))
    return [r for r in rows if (r.trigger or {}).get("type") in wanted]


_LIVE = "clienteling.reactions.live"


def home_zone(s: Session, profile: Profile) -> str:
    """The profile's home store's timezone (RX2: a birthday begins there), else UTC."""
    if profile.home_store_id:
        tz = s.scalar(select(Store.timezone).where(Store.id == profile.home_store_id))
        if tz:
            return str(tz)
    return "UTC"


def _profile_zone(s: Session, profile_id: str) -> str | None:
    """The timezone of the profile's home store (UTC without one), or None when there is no
    such profile: one light read, no profile object loaded unless a condition needs it."""
    zones: dict[str, str | None] = s.info.setdefault(_ZONES, {})
    if profile_id not in zones:  # a checkout fires two kinds of trigger for one customer
        row = s.connection().execute(
            select(Profile.id, Store.timezone).outerjoin(Store, Store.id == Profile.home_store_id)
            .where(Profile.id == profile_id)).first()
        zones[profile_id] = None if row is None else (str(row[1]) if row[1] else "UTC")
    return zones[profile_id]


_ZONES = "clienteling.reactions.zones"


def insert_absent(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert the rows whose id is not there yet; the ids actually inserted. The database
    decides (``ON CONFLICT (id) DO NOTHING``), so racing writers insert each id once."""
    if not rows:
        return set()
    key = (conn.dialect.name, table.name)
    statement = _ABSENT.get(key)
    if statement is None:  # built once per table, so its cache key is computed once
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = _ABSENT[key] = (dialect.insert(table)
                                    .on_conflict_do_nothing(index_elements=["id"])
                                    .returning(table.c.id))
    return {row[0] for row in conn.execute(statement, list(rows))}


_ABSENT: dict[tuple[str, str], Any] = {}


@dataclass(frozen=True)
class Target:
    """What one reaction issues (its effect, resolved against its definition)."""

    kind: str  # benefit | reward
    definition: Any  # BenefitDefinition | RewardDefinition
    value: Decimal | None  # reward dollars


def target(s: Session, reaction: Reaction) -> Target | None:
    """The reaction's effect, or None when it cannot be issued (``problem`` says why)."""
    effect = reaction.effect or {}
    if "benefit_definition_id" in effect:
        bd = s.get(BenefitDefinition, effect["benefit_definition_id"])
        if bd is None or bd.is_archived or not bd.is_assignable:
            return None
        return Target("benefit", bd, None)
    rd = s.get(RewardDefinition, effect.get("reward_definition_id"))
    if rd is None or rd.is_archived:
        return None
    value = Decimal(effect["value"]) if effect.get("value") is not None else rd.value
    if value is None or value <= 0 or (rd.max_value is not None and value > rd.max_value):
        return None
    return Target("reward", rd, value)


def instance_row(reaction: Reaction, tgt: Target, profile_id: str, period: str,
                 issued_at: datetime, tz: str, now: datetime) -> dict[str, Any]:
    """The row a firing inserts: everything derived from the key and the definition, so the
    hub and a till build the same record (the redeem code too)."""
    ident = keys.instance_id(reaction.id, profile_id, period)
    d = tgt.definition
    common = {"id": ident, "profile_id": profile_id, "issued_at": issued_at, "timezone": tz,
              "source": source_of(reaction.handle), "issued_by_staff_id": None,
              "meta": {"reaction_id": reaction.id, "period": period},
              "created_at": now, "updated_at": now}
    if tgt.kind == "benefit":
        stem = (d.redeem_code_pos or "BEN").upper()[:20]
        return {**common, "benefit_definition_id": d.id,
                "expires_at": rules.benefit_expiry(issued_at, tz, d.period, d.end_at),
                "claimed_at": None, "redemptions_remaining": d.max_redemptions,
                "redeem_code_pos": f"{stem}-{ident.replace('-', '')[:8].upper()}",
                "redeem_code_online": d.redeem_code_online, "external_id": None}
    value = tgt.value
    return {**common, "reward_definition_id": d.id, "value_initial": value,
            "value_remaining": value, "is_active": True, "extended_at": None,
            "external_id": None, "reason": f"Issued automatically by {reaction.name}",
            "expires_at": (rules.add_local_days(issued_at, d.period, tz)
                           if d.period is not None else None)}


def allocate(s: Session, definition: BenefitDefinition, count: int) -> bool:
    """Move the definition's issued count by ``count`` if its allocations allow (C1), by a
    conditional UPDATE whose row count decides."""
    won = rowcount(s.connection().execute(  # Core: no ORM bookkeeping on a checkout's path
        update(BenefitDefinition)
        .where(BenefitDefinition.id == definition.id,
               or_(BenefitDefinition.total_allocations.is_(None),
                   BenefitDefinition.total_issued + count <= BenefitDefinition.total_allocations))
        .values(total_issued=BenefitDefinition.total_issued + count)))
    return bool(won)


def issue(uow: UnitOfWork, reaction: Reaction, tgt: Target, profile_id: str, period: str,
          issued_at: datetime, tz: str) -> EarnedRecord | None:
    """Insert the instance of this key if it is absent, with its audit event and outbox entry
    or change-feed row; None when it was already there (or allocations ran out)."""
    s = uow.session
    row = instance_row(reaction, tgt, profile_id, period, issued_at, tz, uow.now)
    model: Any = Benefit if tgt.kind == "benefit" else Reward
    table: Table = model.__table__
    if not insert_absent(s.connection(), table, [row]):
        return None
    if tgt.kind == "benefit":
        if not allocate(s, tgt.definition, 1):
            s.execute(delete(Benefit).where(Benefit.id == row["id"]))
            return None
        uow.touch("benefit_definition", tgt.definition.id)
    instance = model(**row)
    after = (wire.benefit_record(instance) if tgt.kind == "benefit"
             else wire.reward(instance, embed_definition=False))
    uow.record(f"{tgt.kind}.issue", tgt.kind, row["id"], profile_id=profile_id, after=after,
               meta={"reaction": reaction.handle, "key": keys.key(reaction.id, profile_id, period)},
               call=HubCall("POST", instance_path(reaction.id), {
                   "id": row["id"], "profile_id": profile_id, "period": period,
                   "issued_at": wire.iso(issued_at), "timezone": tz}))
    return EarnedRecord(tgt.kind, row["id"], tgt.definition.name, tgt.value, row["expires_at"],
                        reaction.name)


def js_number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _multiples(amount: Decimal, threshold: Decimal) -> int:
    return int((amount / threshold).to_integral_value(rounding=ROUND_FLOOR))


def _periods(reaction: Reaction, event: Mapping[str, Any], on: Any, every: str) -> list[str]:
    """The periods this event fires ``reaction`` for (none when its trigger's filter says no)."""
    trigger = reaction.trigger or {}
    kind = trigger.get("type")
    if kind == "purchase":
        least = trigger.get("min_spend")
        if least is not None and Decimal(str(event["eligible_spend"])) < Decimal(least):
            return []
    elif kind == "tier_changed":
        if trigger.get("from") is not None and trigger["from"] != event.get("from"):
            return []
        if trigger.get("to") is not None and trigger["to"] != event.get("to"):
            return []
    elif kind == "spend_milestone":
        # Once per crossing of a multiple of the threshold upwards (RX2); a return that
        # drops below and a purchase that crosses again meet the same key.
        threshold = Decimal(trigger["threshold"])
        before = _multiples(Decimal(str(event["lifetime_spend_before"])), threshold)
        after = _multiples(Decimal(str(event["lifetime_spend"])), threshold)
        if after <= before:
            return []
        if reaction.limit == "every_time":
            return [f"crossing:{k}" for k in range(before + 1, min(after, before + MAX_CROSSINGS) + 1)]
        return [keys.period(reaction.limit, on, "")]
    return [keys.period(reaction.limit, on, every)]


def fire(uow: UnitOfWork, kind: str, profile_id: str, event: Mapping[str, Any], *,
         at: datetime, every: str, on: Any = None) -> list[EarnedRecord]:
    """Fire every live reaction with trigger ``kind`` for this profile and event.

    ``at``: when the event happened (the active window and the condition are judged then);
    ``every``: the event's own period for ``every_time`` (RX3); ``on``: the local day the
    limit's period is read from (default: ``at`` in the profile's home store's timezone).
    A till fires only the triggers it runs (RX4)."""
    if uow.mode == "till" and kind not in TILL_TRIGGERS:
        return []
    s = uow.session
    reactions = live(s, [kind])
    if not reactions:
        return []
    tz = _profile_zone(s, profile_id)
    if tz is None:
        return []
    day = on if on is not None else keys.local_day(at, tz)
    data: dict[str, Any] | None = None
    earned: list[EarnedRecord] = []
    for reaction in reactions:
        if not is_active(reaction, at):
            continue
        periods = _periods(reaction, event, day, every)
        if not periods:
            continue
        if reaction.condition is not None:
            if data is None:
                profile = s.get(Profile, profile_id)
                assert profile is not None
                data = {**condition_data(profile, at), "event": dict(event)}
            if not conditions.check(reaction.condition, data):
                continue
        tgt = target(s, reaction)
        if tgt is None:
            continue
        for period in periods:
            got = issue(uow, reaction, tgt, profile_id, period, at, tz)
            if got is not None:
                earned.append(got)
    return earned


def spend_event(purchase_id: str, before: Decimal, after: Decimal) -> dict[str, Any]:
    """The event a spend milestone's condition reads (``event`` in JsonLogic)."""
    return {"type": "spend_milestone", "purchase_id": purchase_id,
            "lifetime_spend_before": js_number(before), "lifetime_spend": js_number(after)}
