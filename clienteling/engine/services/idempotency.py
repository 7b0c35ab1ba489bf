"""Stored first responses for idempotent hub writes (SPEC §7, GUIDE principle 6).

A key is *claimed* by inserting its row (status 0, "pending") as the first write of
the unit of work that does the change, so the change and its key commit together or
not at all; a concurrent repeat of the key blocks on, or collides with, that row and
can never apply the change a second time. When the response is known it is stored on
the row (``finish``) and every later repeat gets it back.

A key is scoped (``Scope``) to the device and staff member that used it: the same key from
another till or staff member is their own request (issue 9). Rows stored before keys were
scoped have an empty scope and are found from any scope, so a request sent before the
upgrade is still not applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from clienteling.engine.context import Context, UnitOfWork
from clienteling.engine.models import IdempotencyRecord

PENDING = 0


class KeyTaken(Exception):
    """Another request holds (or already finished) this idempotency key."""


@dataclass(frozen=True)
class Scope:
    """Whose key it is: the device token and the staff member acting on it."""

    device_id: str
    staff_id: str


# Rows stored before keys had a scope (migration 0003_idempotency_scope).
UNSCOPED = Scope("", "")


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
_IN_SCOPE = and_(_T.c.key == bindparam("k"), _T.c.device_id == bindparam("d"),
                 _T.c.staff_id == bindparam("s"))
# The caller's own row, else one stored before keys were scoped ('' sorts first).
_GET = (select(_T.c.key, _T.c.method, _T.c.path, _T.c.body_hash, _T.c.status_code,
               _T.c.response)
        .where(_T.c.key == bindparam("k"),
               or_(and_(_T.c.device_id == bindparam("d"), _T.c.staff_id == bindparam("s")),
                   and_(_T.c.device_id == UNSCOPED.device_id,
                        _T.c.staff_id == UNSCOPED.staff_id)))
        .order_by(_T.c.device_id.desc(), _T.c.staff_id.desc()).limit(1))
# Many keys of one device at once (a push batch): its own rows and the unscoped ones.
_GET_MANY = (select(_T.c.device_id, _T.c.staff_id, _T.c.key, _T.c.method, _T.c.path,
                    _T.c.body_hash, _T.c.status_code, _T.c.response)
             .where(_T.c.key.in_(bindparam("keys", expanding=True)),
                    or_(_T.c.device_id == bindparam("d"),
                        and_(_T.c.device_id == UNSCOPED.device_id,
                             _T.c.staff_id == UNSCOPED.staff_id))))
_INSERT = insert(_T)
_FINISH = (update(_T)
           .where(_IN_SCOPE, _T.c.body_hash == bindparam("fp"), _T.c.status_code == PENDING)
           .values(status_code=bindparam("status"), response=bindparam("body")))
_EXISTS = select(_T.c.key).where(_IN_SCOPE)


class IdempotencyStore:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def get(self, scope: Scope, key: str) -> StoredResponse | None:
        with self.ctx.db.single_read() as conn:
            row = conn.execute(_GET, _ids(scope, key)).first()
        return StoredResponse(*row) if row is not None else None

    def get_many(self, device_id: str, keys: list[str]
                 ) -> dict[tuple[str, str, str], StoredResponse]:
        """The rows ``get`` would find for any of ``keys`` used by device ``device_id``, by
        (device id, staff id, key); rows stored before keys were scoped under ('', '', key)."""
        if not keys:
            return {}
        with self.ctx.db.single_read() as conn:
            rows = conn.execute(_GET_MANY, {"keys": keys, "d": device_id}).all()
        return {(row[0], row[1], row[2]): StoredResponse(*row[2:]) for row in rows}

    def claim(self, uow: UnitOfWork, scope: Scope, key: str, method: str, path: str,
              fingerprint: str) -> None:
        """Insert the pending row inside ``uow``; KeyTaken when the key is already in use."""
        try:
            uow.session.connection().execute(_INSERT, self._row(
                scope, key, method, path, fingerprint, PENDING, None, uow.now))
        except IntegrityError as exc:
            raise KeyTaken(key) from exc

    def complete(self, uow: UnitOfWork, scope: Scope, key: str, fingerprint: str,
                 status_code: int, body: Any) -> None:
        """Store the response on the key claimed earlier in ``uow``, in the same commit."""
        done = uow.session.connection().execute(_FINISH, {
            **_ids(scope, key), "fp": fingerprint, "status": status_code, "body": body}).rowcount
        if done != 1:  # pragma: no cover - the claim is this transaction's own row
            raise RuntimeError(f"idempotency key {key!r} was not claimed in this transaction")

    def finish(self, scope: Scope, key: str, method: str, path: str, fingerprint: str,
               status_code: int, body: Any) -> StoredResponse:
        """Store the response for ``key``; KeyTaken when another request already stored one."""
        now = self.ctx.clock.now()
        with self.ctx.db.write() as s:
            conn = s.connection()
            done = conn.execute(_FINISH, {**_ids(scope, key), "fp": fingerprint,
                                          "status": status_code, "body": body}).rowcount
            if done != 1:
                if conn.scalar(_EXISTS, _ids(scope, key)):
                    raise KeyTaken(key)
                try:
                    conn.execute(_INSERT, self._row(scope, key, method, path, fingerprint,
                                                    status_code, body, now))
                except IntegrityError as exc:
                    raise KeyTaken(key) from exc
        return StoredResponse(key, method, path, fingerprint, status_code, body)

    @staticmethod
    def _row(scope: Scope, key: str, method: str, path: str, fingerprint: str,
             status_code: int, body: Any, now: Any) -> dict[str, Any]:
        return {"key": key, "device_id": scope.device_id, "staff_id": scope.staff_id,
                "method": method, "path": path[:500], "body_hash": fingerprint,
                "status_code": status_code, "response": body, "created_at": now}


def _ids(scope: Scope, key: str) -> dict[str, str]:
    return {"k": key, "d": scope.device_id, "s": scope.staff_id}
