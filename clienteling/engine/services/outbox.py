"""The till's outbox, read-only: what is waiting for the hub, what the hub refused, and which
of a customer's records are not yet confirmed ("pending sync", SPEC §5).

The outbox itself is written by every unit of work (``context.UnitOfWork``); the pusher
that sends it belongs to sync.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from clienteling.engine.context import Context
from clienteling.engine.models import OutboxEntry, RedemptionItem


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    conflicts: int


class OutboxService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def counts(self) -> OutboxCounts:
        with self.ctx.reading() as s:
            rows: dict[str, int] = {
                status: count for status, count in s.execute(
                    select(OutboxEntry.status, func.count())
                    .where(OutboxEntry.status.in_(("pending", "conflict")))
                    .group_by(OutboxEntry.status)
                )
            }
        return OutboxCounts(int(rows.get("pending", 0)), int(rows.get("conflict", 0)))

    def conflicts(self, *, limit: int = 200) -> list[OutboxEntry]:
        """Changes the hub refused, newest first, each with its reason in ``last_error``."""
        with self.ctx.reading() as s:
            return list(s.scalars(select(OutboxEntry).where(OutboxEntry.status == "conflict")
                                  .order_by(OutboxEntry.seq.desc()).limit(limit)))

    def pending_ids(self, profile_id: str) -> frozenset[str]:
        """Ids of this profile's records touched by changes still waiting for the hub: the
        entities of its pending outbox entries, and the benefits and rewards drawn on by its
        pending redemptions."""
        with self.ctx.reading() as s:
            entries = s.execute(
                select(OutboxEntry.entity_type, OutboxEntry.entity_id, OutboxEntry.body)
                .where(OutboxEntry.status == "pending", OutboxEntry.profile_id == profile_id)
            ).all()
            ids: set[str] = set()
            redemptions: list[str] = []
            for entity_type, entity_id, body in entries:
                ids.add(entity_id)
                if entity_type == "redemption":
                    redemptions.append(entity_id)
                if isinstance(body, dict):
                    for key in ("benefit_id", "reversal_id"):
                        value = body.get(key)
                        if isinstance(value, str):
                            ids.add(value)
            if redemptions:
                ids.update(s.scalars(
                    select(RedemptionItem.item_id).where(RedemptionItem.redemption_id.in_(redemptions))
                ))
        return frozenset(ids)
