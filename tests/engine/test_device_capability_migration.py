"""Migration 0004 (issue 9) on SQLite and PostgreSQL: existing device tokens become tills,
and on a hub every staff record goes into the change feed again, so tills synced before
the upgrade replace the PIN hashes they may no longer hold (docs/security.md)."""

from __future__ import annotations

from sqlalchemy import text

from clienteling.engine import db as dbmod
from clienteling.engine.clock import FixedClock
from clienteling.engine.context import Context
from clienteling.engine.services.devices import DeviceService
from clienteling.engine.services.staff import StaffService
from tests.conftest import T0
from tests.engine.test_idempotency_scope_migration import _alembic, empty_url

__all__ = ["empty_url"]
REVISION = "0004"


def test_old_tokens_are_tills_and_staff_are_fed_again(empty_url: str) -> None:
    before = dbmod._scripts().get_revision(REVISION).down_revision
    db = dbmod.connect(empty_url)
    try:
        _alembic(db, "upgrade", before)
        # Only a few columns differ from head before 0004: write with plain SQL.
        ctx = Context(db, FixedClock(T0), mode="hub")
        with db.writer.begin() as conn:
            conn.execute(text("INSERT INTO stores (id, name, timezone, created_at, updated_at) "
                              "VALUES ('s1', 'A', 'Australia/Melbourne', :t, :t)"), {"t": T0})
            for n, role in enumerate(("associate", "admin")):
                conn.execute(text(
                    "INSERT INTO staff (id, username, display_name, role, store_id, pin_hash, "
                    "is_active, failed_attempts, created_at, updated_at) VALUES (:id, :u, :u, :r, "
                    "'s1', 'h', true, 0, :t, :t)"), {"id": f"p{n}", "u": f"u{n}", "r": role, "t": T0})
            conn.execute(text("INSERT INTO device_tokens (id, store_id, name, lookup, token_hash, "
                              "is_active, created_at) VALUES ('d1', 's1', 'Till', 'abc', 'h', true, "
                              ":t)"), {"t": T0})
            cursor = conn.execute(text("SELECT coalesce(max(seq), 0) FROM change_log")).scalar()
        dbmod.migrate(db)
        assert dbmod.current_revision(db) == dbmod._scripts().get_current_head()
        [token] = DeviceService(ctx).tokens()
        assert token.is_admin is False
        with db.reader.connect() as conn:
            fed = conn.execute(text("SELECT entity_type, entity_id, op FROM change_log WHERE seq > "
                                    ":c ORDER BY seq"), {"c": cursor}).all()
        assert sorted(fed) == [("staff", "p0", "upsert"), ("staff", "p1", "upsert")]
        assert len(StaffService(ctx).list_staff(active_only=False)) == 2
    finally:
        db.dispose()
