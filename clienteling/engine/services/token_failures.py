"""Failed device-token checks kept in the database, for a hub that runs as several processes
(or hosts) on one PostgreSQL database: every worker counts the same failures and hands out
the same rationed turns (``hub.throttle.SharedThrottle``, issue 19). One SQLite hub process
keeps them in memory instead (``hub.throttle.Throttle``).

Instants are wall-clock seconds (``time.time``): a monotonic clock is per process. Rows older
than the window are deleted as new failures come, so the table holds one window's worth.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from clienteling.engine.context import Context
from clienteling.engine.models import TokenFailure, TokenTurn

_RECENT = (select(TokenFailure.at)
           .where(TokenFailure.key == bindparam("k"), TokenFailure.at > bindparam("since"))
           .order_by(TokenFailure.at.desc()).limit(bindparam("n")))
_ADD = insert(TokenFailure)
_PURGE = delete(TokenFailure).where(TokenFailure.at <= bindparam("before"))
# A turn moves only if the last one is at least ``turn`` seconds old: the row count decides
# which of two workers asking at once gets it.
_TAKE = (update(TokenTurn)
         .where(TokenTurn.lookup == bindparam("l"), TokenTurn.at <= bindparam("due"))
         .values(at=bindparam("now")))
_LAST = select(TokenTurn.at).where(TokenTurn.lookup == bindparam("l"))


class TokenFailures:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _insert(self) -> Any:
        dialect = postgresql if self.ctx.db.dialect == "postgresql" else sqlite
        return dialect.insert(TokenTurn)

    def recent(self, key: str, since: float, limit: int) -> list[float]:
        """The latest ``limit`` failures under ``key`` after ``since``, newest first."""
        with self.ctx.db.single_read() as conn:
            return [float(at) for (at,) in conn.execute(
                _RECENT, {"k": key, "since": since, "n": limit})]

    def count(self, key: str, since: float) -> int:
        with self.ctx.db.single_read() as conn:
            return int(conn.execute(select(func.count()).select_from(TokenFailure).where(
                TokenFailure.key == key, TokenFailure.at > since)).scalar_one())

    def add(self, keys: Iterable[str], now: float, *, window: float,
            turn_of: str | None = None) -> None:
        """Record one failure under each key (and, for a real prefix, that it was its turn);
        forget failures older than the window."""
        with self.ctx.db.write() as s:
            conn = s.connection()
            conn.execute(_ADD, [{"key": key, "at": now} for key in keys])
            if turn_of is not None:
                stmt = self._insert().values(lookup=turn_of, at=now)
                conn.execute(stmt.on_conflict_do_update(index_elements=["lookup"],
                                                        set_={"at": now}))
            conn.execute(_PURGE, {"before": now - window})

    def take_turn(self, lookup: str, now: float, turn: float) -> float | None:
        """Take this prefix's rationed check if its last turn is ``turn`` seconds old (None:
        taken); otherwise the instant of the last turn."""
        with self.ctx.db.write() as s:
            conn = s.connection()
            if conn.execute(_TAKE, {"l": lookup, "due": now - turn, "now": now}).rowcount == 1:
                return None
            stmt = self._insert().values(lookup=lookup, at=now).on_conflict_do_nothing(
                index_elements=["lookup"])
            if conn.execute(stmt).rowcount == 1:
                return None
            last = conn.execute(_LAST, {"l": lookup}).scalar()
            return float(last) if last is not None else now
