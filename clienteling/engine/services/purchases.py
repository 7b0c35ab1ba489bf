"""Purchases: sales and returns on a profile (SPEC 3.8, P1–P4).

A purchase and the profile's ``lifetime_spend`` / ``last_purchase_at`` move in one
transaction (P3): the profile is moved by one conditional UPDATE (spend clamped at zero, the
latest purchase kept), never read and written back, so two tills' purchases for the same
customer both count. The same receipt at the same store is one purchase (P4): a repeat
answers the purchase already recorded, whichever channel reported it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from clienteling.engine import frozen, wire
from clienteling.engine.context import Context, HubCall, UnitOfWork
from clienteling.engine.errors import ValidationError
from clienteling.engine.form import Form, opt
from clienteling.engine.frozen import PurchaseRecord
from clienteling.engine.models import Profile, Purchase, Staff, Store, new_id
from clienteling.engine.money import MoneyError, parse_amount
from clienteling.engine.permissions import Action, Actor, require
from clienteling.engine.reactions.fire import fire, js_number, spend_event
from clienteling.engine.wire_in import PURCHASE_SOURCES

ZERO = Decimal("0.00")
MAX_LINES = 500


def transactions_path(profile_id: str) -> str:
    """Where the hub records a purchase (SPEC §7 P4), for the outbox and the hub's routes."""
    return f"/profiles/{profile_id}/transactions"


def _signed_amount(form: Form, name: str, currency: str, *, required: bool) -> Decimal | None:
    """An amount that may carry a minus sign (a return's, P1): its value and sign, checked
    for precision and size as every amount is."""
    value = form.data.get(name)
    if value is None:
        if required:
            form.error(name, "is required")
        return None
    negative = False
    if isinstance(value, str) and value.strip().startswith("-"):
        negative, value = True, value.strip()[1:]
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool) and value < 0:
        negative, value = True, -value
    try:
        amount = parse_amount(value, currency=currency, field=name, allow_zero=True)
    except MoneyError as exc:
        form.error(name, str(exc).split(": ", 1)[-1])
        return None
    return -amount if negative and amount else amount


class PurchaseService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading -------------------------------------------------------------------
    def for_profile(self, profile_id: str, *, limit: int = 200) -> list[PurchaseRecord]:
        """A profile's purchases and returns, newest first."""
        with self.ctx.reading() as s:
            return [frozen.purchase(p) for p in s.scalars(
                select(Purchase).where(Purchase.profile_id == profile_id)
                .order_by(Purchase.occurred_at.desc(), Purchase.id).limit(limit))]

    def get(self, purchase_id: str) -> PurchaseRecord | None:
        with self.ctx.reading() as s:
            found = s.get(Purchase, purchase_id)
            return frozen.purchase(found) if found is not None else None

    def by_receipt(self, store_id: str, receipt_ref: str) -> PurchaseRecord | None:
        """The purchase of a receipt at a store, if recorded (P4)."""
        with self.ctx.reading() as s:
            found = s.scalar(select(Purchase).where(Purchase.store_id == store_id,
                                                    Purchase.receipt_ref == receipt_ref))
            return frozen.purchase(found) if found is not None else None

    def store_names(self) -> dict[str, str]:
        """Each store's name by id: the History tab says where a purchase was made."""
        with self.ctx.reading() as s:
            return {row.id: row.name for row in s.execute(select(Store.id, Store.name))}

    # -- recording -----------------------------------------------------------------
    def record(self, actor: Actor, profile_id: str, data: Any, *,
               source: str = "counter") -> PurchaseRecord:
        """A sale, or a return when ``data`` names ``returns_purchase_id`` (P1).

        ``data``: ``receipt_ref`` (required), ``total`` (required), ``eligible_spend``
        (default: the total), ``occurred_at`` (default: now), ``lines`` (a list, optional),
        ``store_id`` (default: the actor's store), ``id`` (made here when absent). The same
        receipt at the same store again answers the purchase already recorded (P4)."""
        require(actor, Action.RECORD_PURCHASE)
        with self.ctx.transaction(actor) as uow:
            return self.record_in(uow, actor, profile_id, data, source=source)

    def record_return(self, actor: Actor, profile_id: str, returns_purchase_id: str,
                      data: Any, *, source: str = "counter") -> PurchaseRecord:
        """A return of (part of) ``returns_purchase_id``: amounts given as what is returned
        (positive or negative, stored negative), at most what is left of the sale (P1)."""
        if not isinstance(data, Mapping):
            raise ValidationError.field("body", "must be an object")
        fields = dict(data)
        fields["returns_purchase_id"] = returns_purchase_id
        for name in ("total", "eligible_spend"):
            value = fields.get(name)
            if isinstance(value, str) and value.strip() and not value.strip().startswith("-"):
                fields[name] = "-" + value.strip()
            elif isinstance(value, int | Decimal) and not isinstance(value, bool) and value > 0:
                fields[name] = -value
        return self.record(actor, profile_id, fields, source=source)

    def record_in(self, uow: UnitOfWork, actor: Actor, profile_id: str, data: Any, *,
                  source: str = "counter", refuse_repeat: bool = False) -> PurchaseRecord:
        """``record`` inside a unit of work already open (the checkout's, P2).

        ``refuse_repeat``: a receipt already recorded is refused rather than answered (a
        checkout confirmed again under a used receipt would redeem again)."""
        form = Form(data)
        currency = self.ctx.policy.currency
        purchase_id = opt(form.text("id", max_len=36))
        receipt = form.text("receipt_ref", required=True, max_len=128)
        total = _signed_amount(form, "total", currency, required=True)
        eligible = _signed_amount(form, "eligible_spend", currency, required=False)
        occurred = opt(form.instant("occurred_at", actor.timezone))
        store_id = opt(form.text("store_id", max_len=36)) or actor.store_id
        returns = opt(form.text("returns_purchase_id", max_len=36))
        given_source = opt(form.choice("source", PURCHASE_SOURCES))
        lines = data.get("lines") if isinstance(data, Mapping) else None
        if lines is not None and (not isinstance(lines, list) or len(lines) > MAX_LINES):
            form.error("lines", f"must be a list of at most {MAX_LINES} lines")
        if not isinstance(receipt, str) or not receipt.strip():
            form.error("receipt_ref", "is required")
        form.done()
        assert total is not None
        # Left out, it is the total: a problem with the total is then named once, as total.
        checked = [("total", total)] + ([("eligible_spend", eligible)] if eligible is not None
                                        else [])
        if eligible is None:
            eligible = total
        for name, amount in checked:
            if returns is None and amount < 0:
                form.error(name, "must not be negative on a sale (a return names the purchase "
                           "it returns)")
            if returns is not None and amount > 0:
                form.error(name, "must not be positive on a return")
        if abs(eligible) > abs(total):
            form.error("eligible_spend", "must not be more than the total")
        form.done()
        receipt = receipt.strip()
        s = uow.session
        existing = s.scalar(select(Purchase).where(Purchase.store_id == store_id,
                                                   Purchase.receipt_ref == receipt))
        if existing is not None:
            if refuse_repeat:
                raise ValidationError.field(
                    "receipt_ref", f"receipt {receipt} is already recorded at this store")
            if existing.profile_id != profile_id:
                raise ValidationError.field(
                    "receipt_ref", f"receipt {receipt} at this store is another customer's "
                    "purchase")
            return frozen.purchase(existing)  # P4: the same receipt twice is one purchase
        if s.get(Profile, profile_id) is None:
            raise ValidationError.field("profile_id", f"no profile with id {profile_id}")
        if store_id != actor.store_id:
            require(actor, Action.RECORD_PURCHASE_ANY_STORE)
        if s.get(Store, store_id) is None:
            raise ValidationError.field("store_id", f"no store with id {store_id}")
        if purchase_id and s.get(Purchase, purchase_id) is not None:
            raise ValidationError.field("id", "a purchase with this id already exists")
        if returns is not None:
            _check_return(s, profile_id, returns, total, eligible)
        # An integration's actor is no staff member: its purchase names none (P1).
        staff_id: str | None = actor.staff_id
        if staff_id is not None and s.get(Staff, staff_id) is None:
            staff_id = None
        at = occurred or uow.now
        purchase = Purchase(
            id=purchase_id or new_id(), profile_id=profile_id, store_id=store_id,
            staff_id=staff_id, occurred_at=at, receipt_ref=receipt, total=total,
            eligible_spend=eligible, returns_purchase_id=returns, lines=lines,
            source=given_source or source, created_at=uow.now, updated_at=uow.now)
        try:
            # Two channels reporting one receipt at once (P4): the second insert meets the
            # unique (store, receipt) key, and answers the purchase the first recorded.
            with s.begin_nested():
                s.add(purchase)
                s.flush()
        except IntegrityError:
            raced = s.scalar(select(Purchase).where(Purchase.store_id == store_id,
                                                    Purchase.receipt_ref == receipt))
            if raced is None or refuse_repeat or raced.profile_id != profile_id:
                raise ValidationError.field(
                    "receipt_ref", f"receipt {receipt} is already recorded at this store") from None
            return frozen.purchase(raced)
        spend = _move_profile(s, profile_id, eligible, None if returns else at)
        uow.touch("profile", profile_id)
        record = frozen.purchase(purchase)
        body = wire.purchase(record)
        uow.record("purchase.return" if returns else "purchase.record", "purchase", purchase.id,
                   profile_id=profile_id, after=body,
                   refs=[("purchase", returns)] if returns else (),
                   call=HubCall("POST", transactions_path(profile_id), body))
        if returns is None and purchase.source != "import":
            # RX4: the purchase's reactions, in its own transaction, after its own entry (the
            # hub applies the purchase first and derives the same ids). An imported purchase
            # is history from another system: it earns nothing again (docs/reactions.md).
            earned = fire(uow, "purchase", profile_id, {
                "type": "purchase", "purchase_id": purchase.id, "store_id": store_id,
                "total": js_number(total), "eligible_spend": js_number(eligible)},
                at=at, every=f"purchase:{purchase.id}")
            if spend is not None:
                earned += fire(uow, "spend_milestone", profile_id,
                               spend_event(purchase.id, spend - eligible, spend),
                               at=at, every=f"purchase:{purchase.id}")
            if earned:
                record = replace(record, earned=tuple(earned))
        return record


def _check_return(s: Session, profile_id: str, returns: str, total: Decimal,
                  eligible: Decimal) -> None:
    """A return names a sale of the same customer and, with the returns before it, returns
    no more than that sale (P1)."""
    # Locked (PostgreSQL): two tills' returns of one sale are checked one after the other.
    sale = s.get(Purchase, returns, with_for_update=True)
    if sale is None or sale.profile_id != profile_id:
        raise ValidationError.field("returns_purchase_id",
                                    f"no purchase {returns} of this customer")
    if sale.returns_purchase_id is not None:
        raise ValidationError.field("returns_purchase_id", "names a return, not a sale")
    returned_total, returned_eligible = s.execute(
        select(func.coalesce(func.sum(Purchase.total), 0),
               func.coalesce(func.sum(Purchase.eligible_spend), 0))
        .where(Purchase.returns_purchase_id == returns)).one()
    # The sums keep the columns' Money type: they come back as amounts.
    done_total, done_eligible = Decimal(returned_total), Decimal(returned_eligible)
    if sale.total + done_total + total < 0:
        left = sale.total + done_total
        raise ValidationError.field("total", f"returns more than is left of the sale ({left:.2f})")
    if sale.eligible_spend + done_eligible + eligible < 0:
        left = sale.eligible_spend + done_eligible
        raise ValidationError.field("eligible_spend",
                                    f"returns more than is left of the sale ({left:.2f})")


def _move_profile(s: Session, profile_id: str, delta: Decimal,
                  at: datetime | None) -> Decimal | None:
    """P3 in one conditional UPDATE: spend moved by ``delta`` and never below zero; the last
    purchase moved to ``at`` unless a later one is already there (a sale reported late)."""
    spend = Profile.lifetime_spend + delta
    values: dict[str, Any] = {"lifetime_spend": case((spend < 0, ZERO), else_=spend)}
    if at is not None:
        values["last_purchase_at"] = case(
            (Profile.last_purchase_at.is_(None), at),
            (Profile.last_purchase_at < at, at), else_=Profile.last_purchase_at)
    # The spend it moved to, from the UPDATE itself (RETURNING): a spend milestone is judged
    # on what this transaction wrote, not on a read another purchase may have moved since.
    moved = s.execute(update(Profile).where(Profile.id == profile_id).values(**values)
                      .returning(Profile.lifetime_spend)
                      .execution_options(synchronize_session=False)).scalar()
    # The session may hold the profile: it must not write its stale spend back.
    held = s.identity_map.get(identity_key(Profile, profile_id))
    if held is not None:
        s.expire(held, ["lifetime_spend", "last_purchase_at"])
    return Decimal(moved) if moved is not None else None
