"""Stored first responses for idempotent hub writes (SPEC §7, GUIDE principle 6).

A key is *claimed* by inserting its row (status 0, "pending") as the first write of
the unit of work that does the change, so the change and its key commit together or
not at all; a concurrent repeat of the key blocks on, or collides with, that row and
can never apply the change a second time. When the response is known it is stored on
the row (``finish``) and every later repeat gets it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from clienteling.engine.context import Context, UnitOfWork
from clienteling.engine.models import IdempotencyRecord

PENDING = 0


class KeyTaken(Exception):
    """Another request holds (or already finished) this idempotency key."""


@dataclass(frozen=True)
class StoredResponse:
    key: str
    method: str
    path: str
    fingerprint: str
    status_code: int
    body: Any

    @property
    def pending(self) -> bool:
        return self.status_code == PENDING


def _stored(row: IdempotencyRecord) -> StoredResponse:
    return StoredResponse(row.key, row.method, row.path, row.body_hash, row.status_code, row.response)


class IdempotencyStore:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def get(self, key: str) -> StoredResponse | None:
        with self.ctx.reading() as s:
            row = s.get(IdempotencyRecord, key)
            return _stored(row) if row is not None else None

    def claim(self, uow: UnitOfWork, key: str, method: str, path: str, fingerprint: str) -> None:
        """Insert the pending row inside ``uow``; KeyTaken when the key is already in use."""
        s = uow.session
        s.add(IdempotencyRecord(key=key, method=method, path=path[:500], body_hash=fingerprint,
                                status_code=PENDING, response=None, created_at=uow.now))
        try:
            s.flush()
        except IntegrityError as exc:
            raise KeyTaken(key) from exc

    def finish(self, key: str, method: str, path: str, fingerprint: str, status_code: int,
               body: Any) -> StoredResponse:
        """Store the response for ``key``; KeyTaken when another request already stored one."""
        now = self.ctx.clock.now()
        with self.ctx.db.write() as s:
            done = s.execute(
                update(IdempotencyRecord)
                .where(IdempotencyRecord.key == key, IdempotencyRecord.body_hash == fingerprint,
                       IdempotencyRecord.status_code == PENDING)
                .values(status_code=status_code, response=body)
                .execution_options(synchronize_session=False)
            ).rowcount
            if done != 1:
                if s.scalar(select(IdempotencyRecord.key).where(IdempotencyRecord.key == key)):
                    raise KeyTaken(key)
                s.add(IdempotencyRecord(key=key, method=method, path=path[:500],
                                        body_hash=fingerprint, status_code=status_code,
                                        response=body, created_at=now))
                try:
                    s.flush()
                except IntegrityError as exc:
                    raise KeyTaken(key) from exc
        return StoredResponse(key, method, path, fingerprint, status_code, body)
