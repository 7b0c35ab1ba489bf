"""A customer's history as typed rows in words (issue 7): the audit trail's before/after JSON
is read here, once, so the desktop never parses audit records itself."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clienteling.engine.context import Context
from clienteling.engine.form import zone
from clienteling.engine.models import (
    AuditEvent,
    Benefit,
    BenefitDefinition,
    Purchase,
    Reaction,
    Redemption,
    Reward,
    RewardDefinition,
    Staff,
    Store,
)
from clienteling.engine.money import format_money
from clienteling.engine.reaction_words import trigger_words
from clienteling.engine.records import EventKind, TimelineRow
from clienteling.engine.services.outbox import OutboxService

TIMELINE_LIMIT = 200

_KINDS = {
    "profile.create": EventKind.PROFILE_CREATE,
    "profile.update": EventKind.EDIT,
    "benefit.issue": EventKind.ISSUE,
    "benefit.claim": EventKind.CLAIM,
    "benefit.redeem": EventKind.REDEEM,
    "benefit.extend": EventKind.EXTEND,
    "benefit.update": EventKind.SET_EXPIRY,
    "benefit.reassign": EventKind.MOVE,
    "benefit.delete": EventKind.DELETE,
    "reward.issue": EventKind.REWARD_ISSUE,
    "reward.extend": EventKind.REWARD_EXTEND,
    "reward.redeem": EventKind.REWARD_REDEEM,
    "redemption.void": EventKind.VOID,
}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0.00")
    except InvalidOperation:  # an audit record from a future version: show no amount
        return Decimal("0.00")


def _instant(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _day(at: datetime, tz: str) -> str:
    local = at.astimezone(zone(tz)) if zone(tz) else at
    return local.strftime("%d %b %Y").lstrip("0")


@dataclass(frozen=True)
class _Names:
    """Names the rows need, looked up once for the whole page of events."""

    staff: dict[str, str]
    benefit_definitions: dict[str, str]
    reward_definitions: dict[str, str]
    benefits: dict[str, str]  # benefit id -> its definition's name
    voided: frozenset[str]  # redemptions on this page that have been voided
    voidable: frozenset[str]  # redemptions on this page that exist here (can be voided)


def _names(s: Session, events: list[AuditEvent]) -> _Names:
    staff_ids: set[str] = set()
    benefit_ids: set[str] = set()
    redemption_ids: set[str] = set()
    for e in events:
        meta = _dict(e.meta)
        staff_ids.update(i for i in (e.staff_id, meta.get("authorised_by")) if isinstance(i, str))
        if isinstance(meta.get("benefit_id"), str):
            benefit_ids.add(meta["benefit_id"])
        if e.action in ("benefit.redeem", "reward.redeem"):
            redemption_ids.add(e.entity_id)

    def pairs(rows: Iterable[Any]) -> dict[str, str]:
        return {str(k): str(v) for k, v in rows}

    staff = pairs(s.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(staff_ids))))
    benefit_defs = pairs(s.execute(select(BenefitDefinition.id, BenefitDefinition.name)))
    reward_defs = pairs(s.execute(select(RewardDefinition.id, RewardDefinition.name)))
    benefits = pairs(s.execute(
        select(Benefit.id, BenefitDefinition.name)
        .join(BenefitDefinition, BenefitDefinition.id == Benefit.benefit_definition_id)
        .where(Benefit.id.in_(benefit_ids))))
    for e in events:  # a deleted benefit still has its definition in its audit record
        if e.action == "benefit.delete":
            benefits.setdefault(e.entity_id, benefit_defs.get(
                str(_dict(e.before).get("benefit_definition_id")), "a benefit"))
    found = s.execute(select(Redemption.id, Redemption.reversed_by_id)
                      .where(Redemption.id.in_(redemption_ids))).all()
    return _Names(staff, benefit_defs, reward_defs, benefits,
                  frozenset(i for i, by in found if by is not None), frozenset(i for i, _ in found))


def _words(e: AuditEvent, kind: EventKind, names: _Names,
           tz: str) -> tuple[EventKind, str, Decimal | None]:
    after, before, meta = _dict(e.after), _dict(e.before), _dict(e.meta)
    record = after or before
    def_name = names.benefit_definitions.get(str(record.get("benefit_definition_id")), "a benefit")
    reward_name = names.reward_definitions.get(str(record.get("reward_definition_id")), "reward")
    if kind is EventKind.ISSUE:
        return kind, f"Issued {def_name}", None
    if kind is EventKind.CLAIM:
        return kind, f"Claimed {def_name}", None
    if kind is EventKind.REDEEM:
        name = names.benefits.get(str(meta.get("benefit_id")), "a benefit")
        left = meta.get("redemptions_remaining")
        return kind, f"Redeemed {name}" + (f" · {left} left" if left is not None else ""), None
    if kind in (EventKind.EXTEND, EventKind.SET_EXPIRY):
        when = _instant(after.get("expires_at"))
        if kind is EventKind.SET_EXPIRY and when is not None and when <= e.at:
            return EventKind.EXPIRE, f"Expired {def_name}", None
        new = _day(when, tz) if when else "no expiry"
        verb = "Extended" if kind is EventKind.EXTEND else "Set expiry of"
        return kind, f"{verb} {def_name} to {new}", None
    if kind is EventKind.MOVE:
        return kind, f"Moved {def_name} to another customer", None
    if kind is EventKind.DELETE:
        return kind, f"Deleted {def_name}", None
    if kind is EventKind.REWARD_ISSUE:
        reason = after.get("reason")
        return (kind, f"Issued {reward_name}" + (f" — {reason}" if reason else ""),
                _money(after.get("value_initial")))
    if kind is EventKind.REWARD_EXTEND:
        when = _instant(after.get("expires_at"))
        return kind, f"Extended {reward_name}" + (f" to {_day(when, tz)}" if when else ""), None
    if kind is EventKind.REWARD_REDEEM:
        return kind, "Redeemed reward dollars", _money(after.get("total"))
    if kind is EventKind.VOID:
        total = _money(after.get("total"))
        return kind, "Voided a redemption", total if total else None
    if kind is EventKind.PROFILE_CREATE:
        return kind, "Profile created", None
    if kind is EventKind.EDIT:
        return kind, "Profile details changed", None
    return kind, e.action.replace(".", " ").replace("_", " ").capitalize(), None


def _row(e: AuditEvent, names: _Names, pending: frozenset[str], tz: str) -> TimelineRow:
    kind, text, amount = _words(e, _KINDS.get(e.action, EventKind.OTHER), names, tz)
    staff = names.staff.get(e.staff_id or "", "System")
    authorised = _dict(e.meta).get("authorised_by")
    overridden_by = names.staff.get(str(authorised), "a manager") if authorised else None
    if overridden_by is not None:
        staff += f" (authorised by {overridden_by})"
    voidable = kind in (EventKind.REDEEM, EventKind.REWARD_REDEEM) and e.entity_id in names.voidable
    voided = voidable and e.entity_id in names.voided
    if voided:
        text += " (voided)"
    return TimelineRow(kind=kind, at=e.at, text=text, staff=staff, amount=amount,
                       entity_id=e.entity_id, redemption_id=e.entity_id if voidable else None,
                       voided=voided, overridden_by=overridden_by, pending=e.entity_id in pending)


# Purchases are read from their own table, not the audit trail: one reported at the hub (a
# web shop, another till) reaches this till by sync, with no audit event here (SPEC 3.8).
_PURCHASE_ACTIONS = frozenset({"purchase.record", "purchase.return"})


def _purchase_rows(s: Session, profile_id: str, limit: int,
                   pending: frozenset[str]) -> list[TimelineRow]:
    purchases = list(s.scalars(select(Purchase).where(Purchase.profile_id == profile_id)
                               .order_by(Purchase.occurred_at.desc()).limit(limit)))
    if not purchases:
        return []
    stores = {str(i): str(n) for i, n in s.execute(select(Store.id, Store.name))}
    staff_ids = {p.staff_id for p in purchases if p.staff_id}
    staff = {str(i): str(n) for i, n in s.execute(
        select(Staff.id, Staff.display_name).where(Staff.id.in_(staff_ids)))}
    returned = {p.returns_purchase_id for p in purchases if p.returns_purchase_id}
    receipts = {str(i): str(r) for i, r in s.execute(
        select(Purchase.id, Purchase.receipt_ref).where(Purchase.id.in_(returned)))}
    rows = []
    for p in purchases:
        where = stores.get(p.store_id, "another store")
        if p.returns_purchase_id is None:
            kind, text = EventKind.PURCHASE, (
                f"Purchase {format_money(p.total)} at {where}, receipt {p.receipt_ref}")
        else:
            sale = receipts.get(p.returns_purchase_id)
            kind, text = EventKind.RETURN, (
                f"Return {format_money(-p.total)} at {where}, receipt {p.receipt_ref}"
                + (f" (of receipt {sale})" if sale else ""))
        who = staff.get(p.staff_id or "") or ("Online" if p.source == "api" else "System")
        rows.append(TimelineRow(kind=kind, at=p.occurred_at, text=text, staff=who,
                                amount=p.total, entity_id=p.id, redemption_id=None,
                                voided=False, overridden_by=None, pending=p.id in pending))
    return rows


_REACTION = "reaction:"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _reaction_rows(s: Session, profile_id: str, limit: int,
                   pending: frozenset[str]) -> list[TimelineRow]:
    """What reactions issued to this customer (RX5), from the instances themselves: one the
    hub's daily run issued reaches this till by sync, with no audit event here."""
    pattern = _REACTION + "%"
    benefits = s.execute(
        select(Benefit.id, Benefit.source, Benefit.issued_at, BenefitDefinition.name)
        .join(BenefitDefinition, BenefitDefinition.id == Benefit.benefit_definition_id)
        .where(Benefit.profile_id == profile_id, Benefit.source.like(pattern))
        .order_by(Benefit.issued_at.desc()).limit(limit)).all()
    rewards = s.execute(
        select(Reward.id, Reward.source, Reward.issued_at, RewardDefinition.name,
               Reward.value_initial)
        .join(RewardDefinition, RewardDefinition.id == Reward.reward_definition_id)
        .where(Reward.profile_id == profile_id, Reward.source.like(pattern))
        .order_by(Reward.issued_at.desc()).limit(limit)).all()
    if not benefits and not rewards:
        return []
    # What, and why: the reaction and its trigger in words ("Issued Welcome Coffee automatically
    # — Member Activation (when a customer joins)"), what first as a manual issue reads, so
    # staff can tell the customer without opening the editor.
    names = {str(h): f"{n} ({_lower_first(trigger_words(t))})"
             for h, n, t in s.execute(select(Reaction.handle, Reaction.name, Reaction.trigger))}

    def by(source: str) -> str:
        handle = source[len(_REACTION):]
        return names.get(handle, handle)

    rows = [TimelineRow(kind=EventKind.ISSUE, at=at, text=f"Issued {name} automatically — "
                        f"{by(src)}", staff="System", amount=None, entity_id=i, redemption_id=None,
                        voided=False, overridden_by=None, pending=i in pending)
            for i, src, at, name in benefits]
    rows += [TimelineRow(kind=EventKind.REWARD_ISSUE, at=at, text=f"Issued {name} automatically "
                         f"— {by(src)}", staff="System", amount=value, entity_id=i,
                         redemption_id=None, voided=False, overridden_by=None,
                         pending=i in pending)
             for i, src, at, name, value in rewards]
    return rows


class TimelineReader:
    def __init__(self, ctx: Context, outbox: OutboxService) -> None:
        self.ctx = ctx
        self._outbox = outbox

    def timeline(self, profile_id: str, tz: str = "UTC", *,
                 limit: int = TIMELINE_LIMIT) -> tuple[TimelineRow, ...]:
        """What happened to this customer, newest first, in one read transaction."""
        with self.ctx.snapshot() as s:
            events = list(s.scalars(
                select(AuditEvent).where(AuditEvent.profile_id == profile_id)
                .order_by(AuditEvent.seq.desc()).limit(limit)))
            pending = self._outbox.pending_ids(profile_id)
            automatic = _reaction_rows(s, profile_id, limit, pending)
            issued = {r.entity_id for r in automatic}
            events = [e for e in events if e.action not in _PURCHASE_ACTIONS
                      and not (e.action.endswith(".issue") and e.entity_id in issued)]
            names = _names(s, events)
            purchases = _purchase_rows(s, profile_id, limit, pending) + automatic
        rows = [_row(e, names, pending, tz) for e in events]
        if purchases:  # newest first across both; a stable sort keeps the audit order on ties
            rows = sorted(rows + purchases, key=lambda r: r.at, reverse=True)[:limit]
        return tuple(rows)
