"""Migration 0006 (issue 15) on SQLite and PostgreSQL: outbox entries written before it get
the action they perform, from their request (a unit sent as one call included), else from
their record's audit event of the same moment; the schema then matches the models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from clienteling.engine import db as dbmod
from clienteling.engine.clock import FixedClock
from clienteling.engine.context import Context
from clienteling.engine.services.outbox import OutboxService
from clienteling.engine.types import UTCDateTime
from tests.engine.test_idempotency_scope_migration import _alembic, empty_url

__all__ = ["empty_url"]
REVISION = "0006"
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

OUTBOX = sa.table(
    "outbox", *(sa.column(c, sa.String) for c in (
        "id", "idempotency_key", "method", "path", "entity_type", "entity_id", "unit_id",
        "status")),
    sa.column("seq", sa.Integer), sa.column("attempts", sa.Integer), sa.column("body", sa.JSON),
    *(sa.column(c, UTCDateTime(timezone=True)) for c in ("occurred_at", "created_at",
                                                        "updated_at")))
AUDIT = sa.table(
    "audit_events", *(sa.column(c, sa.String) for c in (
        "id", "action", "entity_type", "entity_id", "prev_hash", "hash")),
    sa.column("at", UTCDateTime(timezone=True)))


def _entry(seq: int, method: str, path: str, body: Any, entity: tuple[str, str],
           at: datetime = AT) -> dict[str, Any]:
    return {"seq": seq, "id": f"e{seq}", "idempotency_key": f"k{seq}", "method": method,
            "path": path, "body": body, "entity_type": entity[0], "entity_id": entity[1],
            "unit_id": f"u{seq}", "status": "conflict", "attempts": 1, "occurred_at": at,
            "created_at": at, "updated_at": at}


def test_old_entries_get_their_action(empty_url: str) -> None:
    before = dbmod._scripts().get_revision(REVISION).down_revision
    db = dbmod.connect(empty_url)
    try:
        _alembic(db, "upgrade", before)
        later = AT + timedelta(minutes=5)
        with db.writer.begin() as conn:
            conn.execute(OUTBOX.insert(), [
                _entry(1, "POST", "/profiles/p1/benefits/claim-redeem", {"definition": "vip"},
                       ("redemption", "r1")),
                _entry(2, "POST", "/profiles/p1/benefits/b1/redeem", {}, ("redemption", "r2")),
                _entry(3, "PUT", "/benefits/b1", {"profile_id": "p2"}, ("benefit", "b1")),
                _entry(4, "PUT", "/benefits/b1", {"expires_at": None}, ("benefit", "b1")),
                _entry(5, "PUT", "/api/v3/rewards/definitions/rd1", {"name": "X"},
                       ("reward_definition", "rd1")),
                # A call this table never knew: its record's audit event of that moment says.
                _entry(6, "POST", "/widgets", {}, ("widget", "w1"), at=later),
                _entry(7, "POST", "/gadgets", {}, ("gadget", "g1")),
            ])
            conn.execute(AUDIT.insert(), [
                {"id": "a1", "action": "widget.make", "entity_type": "widget", "entity_id": "w1",
                 "at": AT, "prev_hash": "0" * 64, "hash": "1" * 64},
                {"id": "a2", "action": "widget.create", "entity_type": "widget",
                 "entity_id": "w1", "at": later, "prev_hash": "1" * 64, "hash": "2" * 64},
            ])
        dbmod.migrate(db)
        assert dbmod.current_revision(db) == dbmod._scripts().get_current_head()
        outbox = OutboxService(Context(db, FixedClock(AT), mode="till"))
        assert [outbox.get(seq).action for seq in range(1, 8)] == [
            "benefit.claim+benefit.redeem", "benefit.redeem", "benefit.reassign",
            "benefit.update", "reward_definition.update", "widget.create", None]
    finally:
        db.dispose()
