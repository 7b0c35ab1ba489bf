"""What every redemption does before and after it draws (SPEC §3.3, §3.5): benefit redeems,
reward-dollar redeems and the counter checkout, which does both in one unit of work, share it
so a redemption id, a receipt and the redemption row mean the same whichever drew."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, select

from clienteling.engine.context import UnitOfWork
from clienteling.engine.errors import NotFound, ValidationError
from clienteling.engine.form import read_ref
from clienteling.engine.models import Profile, Redemption, RedemptionItem, new_id

_REDEMPTION_EXISTS = select(Redemption.id).where(Redemption.id == bindparam("id"))
_PROFILE_EXISTS = select(Profile.id).where(Profile.id == bindparam("id"))


@dataclass(frozen=True)
class RedemptionStart:
    """A redemption's checked inputs, before anything is drawn."""

    uow: UnitOfWork
    conn: Connection  # the unit of work's connection, flushed, for the Core statements that draw
    id: str  # the redemption id asked for, or a new one
    receipt: str | None

    def require_profile(self, profile_id: str) -> None:
        if self.conn.scalar(_PROFILE_EXISTS, {"id": profile_id}) is None:
            raise NotFound("profile", profile_id)

    def finish(self, profile_id: str, total: Decimal, items: list[RedemptionItem],
               **columns: Any) -> Redemption:
        """Write the redemption row and its items (``columns``: any more the row carries)."""
        actor = self.uow.actor
        now = self.uow.now
        redemption = Redemption(
            id=self.id, profile_id=profile_id, type="redeem", total=total,
            location_id=actor.store_id if actor else None,
            staff_id=actor.staff_id if actor else None,
            transaction_receipt_ref=self.receipt,
            redeem_at=actor.occurred_at if actor and actor.occurred_at else now,
            created_at=now, items=items, **columns,
        )
        self.uow.append(redemption, *items)
        return redemption


def start_redemption(uow: UnitOfWork, receipt: str | None, redemption_id: str | None) -> RedemptionStart:
    """Read the receipt and the redemption id; an id already used is refused before any draw."""
    receipt = read_ref(receipt, field="transaction_receipt_ref", max_len=128)
    redemption_id = read_ref(redemption_id, field="redemption_id")
    uow.session.flush()  # the Core statements that follow do not autoflush
    conn = uow.session.connection()
    if redemption_id and conn.scalar(_REDEMPTION_EXISTS, {"id": redemption_id}) is not None:
        raise ValidationError.field("redemption_id", "a redemption with this id already exists")
    return RedemptionStart(uow, conn, redemption_id or new_id(), receipt)
