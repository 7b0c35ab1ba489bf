"""Stored first responses for idempotent hub writes (SPEC §7, GUIDE principle 6).

A key is *claimed* by inserting its row (status 0, "pending") as the first write of
the unit of work that does the change, so the change and its key commit together or
not at all; a concurrent repeat of the key blocks on, or collides with, that row and
can never apply the change a second time. When the response is known it is stored on
the row (``finish``) and every later repeat gets it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
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


# Every request with a key runs these three, so they are Core statements built once (their
# cache keys and compiled forms are reused) run on a plain connection, not ORM queries.
# Declarative types ``__table__`` as any FromClause; a class with ``__tablename__`` maps a Table.
_T = cast(Table, IdempotencyRecord.__table__)
_GET = select(_T.c.key, _T.c.method, _T.c.path, _T.c.body_hash, _T.c.status_code,
              _T.c.response).where(_T.c.key == bindparam("k"))
_INSERT = insert(_T)
_FINISH = (update(_T)
           .where(_T.c.key == bindparam("k"), _T.c.body_hash == bindparam("fp"),
                  _T.c.status_code == PENDING)
           .values(status_code=bindparam("status"), response=bindparam("body")))
_EXISTS = select(_T.c.key).where(_T.c.key == bindparam("k"))


class IdempotencyStore:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def get(self, key: str) -> StoredResponse | None:
        with self.ctx.db.single_read() as conn:
            row = conn.execute(_GET, {"k": key}).first()
        return StoredResponse(*row) if row is not None else None

    def claim(self, uow: UnitOfWork, key: str, method: str, path: str, fingerprint: str) -> None:
        """Insert the pending row inside ``uow``; KeyTaken when the key is already in use."""
        try:
            uow.session.connection().execute(_INSERT, self._row(key, method, path, fingerprint,
                                                                PENDING, None, uow.now))
        except IntegrityError as exc:
            raise KeyTaken(key) from exc

    def complete(self, uow: UnitOfWork, key: str, fingerprint: str, status_code: int,
                 body: Any) -> None:
        """Store the response on the key claimed earlier in ``uow``, in the same commit."""
        done = uow.session.connection().execute(_FINISH, {
            "k": key, "fp": fingerprint, "status": status_code, "body": body}).rowcount
        if done != 1:  # pragma: no cover - the claim is this transaction's own row
            raise RuntimeError(f"idempotency key {key!r} was not claimed in this transaction")

    def finish(self, key: str, method: str, path: str, fingerprint: str, status_code: int,
               body: Any) -> StoredResponse:
        """Store the response for ``key``; KeyTaken when another request already stored one."""
        now = self.ctx.clock.now()
        with self.ctx.db.write() as s:
            conn = s.connection()
            done = conn.execute(_FINISH, {"k": key, "fp": fingerprint, "status": status_code,
                                          "body": body}).rowcount
            if done != 1:
                if conn.scalar(_EXISTS, {"k": key}):
                    raise KeyTaken(key)
                try:
                    conn.execute(_INSERT, self._row(key, method, path, fingerprint, status_code,
                                                    body, now))
                except IntegrityError as exc:
                    raise KeyTaken(key) from exc
        return StoredResponse(key, method, path, fingerprint, status_code, body)

    @staticmethod
    def _row(key: str, method: str, path: str, fingerprint: str, status_code: int, body: Any,
             now: Any) -> dict[str, Any]:
        return {"key": key, "method": method, "path": path[:500], "body_hash": fingerprint,
                "status_code": status_code, "response": body, "created_at": now}
