"""Read-only views of the outbox for the UI: changes waiting for the hub, conflicts, and which
records of a profile are not yet confirmed ("pending sync").

Runs on the engine worker only. The engine has no read service for the outbox yet, so this
reads the ``outbox`` table through ``cl.db.read()`` (a read-only session) — the one place the
UI looks at a table directly. (Wanted in the engine: ``cl.outbox.counts()`` and
``cl.outbox.pending_ids(profile_id)``.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from clienteling.engine.models import OutboxEntry, RedemptionItem
from clienteling.engine.services import Clienteling


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    conflicts: int


def outbox_counts(cl: Clienteling) -> OutboxCounts:
    with cl.db.read() as s:
        rows: dict[str, int] = {
            status: count for status, count in s.execute(
                select(OutboxEntry.status, func.count())
                .where(OutboxEntry.status.in_(("pending", "conflict")))
                .group_by(OutboxEntry.status)
            )
        }
    return OutboxCounts(int(rows.get("pending", 0)), int(rows.get("conflict", 0)))


def pending_ids(cl: Clienteling, profile_id: str) -> frozenset[str]:
    """Ids of this profile's records touched by changes still waiting for the hub: the
    entities of its pending outbox entries, and the benefits and rewards drawn on by its
    pending redemptions."""
    with cl.db.read() as s:
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
            ids.update(
                s.scalars(
                    select(RedemptionItem.item_id).where(RedemptionItem.redemption_id.in_(redemptions))
                )
            )
    return frozenset(ids)
