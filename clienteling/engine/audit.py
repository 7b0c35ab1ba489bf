"""The hash-chained audit trail: each event's hash covers its content and the previous hash,
so editing, inserting or deleting a row breaks the chain at that row (SPEC §2, §9).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clienteling.engine.models import AuditEvent

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


_HASHED = ("id", "at", "staff_id", "store_id", "action", "entity_type", "entity_id", "profile_id",
           "before", "after", "meta")


def event_hash(event: AuditEvent | Mapping[str, Any], prev_hash: str) -> str:
    """The hash of an event (a stored row, or the column values of one about to be inserted)."""
    fields = event if isinstance(event, Mapping) else {k: getattr(event, k) for k in _HASHED}
    content = {k: fields[k] for k in _HASHED}
    content["at"] = fields["at"].isoformat()
    return hashlib.sha256((prev_hash + _canonical(content)).encode()).hexdigest()


# Built once: a constant statement's cache key is computed once, not per write.
_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)


def last_hash(session: Session) -> str:
    # On the session's connection (Core): a plain column read needs no ORM machinery.
    value = session.connection().scalar(_LAST_HASH)
    return value or GENESIS


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: str | None = None
    problem: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} events verified"
        return (
            f"audit chain broken at event #{self.broken_seq} (id {self.broken_id}): {self.problem}; "
            f"{self.checked} events before it verified"
        )


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    prev = GENESIS
    checked = 0
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return ChainReport(ok=True, checked=checked)
        for event in rows:
            if event.prev_hash != prev:
                return ChainReport(
                    False, checked, event.seq, event.id,
                    "its link to the previous event does not match (an event was removed or inserted)",
                )
            if event_hash(event, prev) != event.hash:
                return ChainReport(
                    False, checked, event.seq, event.id, "its content was changed after it was written"
                )
            prev = event.hash
            checked += 1
            last_seq = event.seq
        session.expunge_all()
