"""Migration 0007 (issue 17) on SQLite and PostgreSQL: profiles from before purchases start
with no spend and no last purchase, the purchases table takes a sale, and a second sale under
the same receipt at the same store is refused by the database itself (SPEC P4)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from clienteling.engine import db as dbmod
from tests.conftest import T0
from tests.engine.test_idempotency_scope_migration import _alembic, empty_url

__all__ = ["empty_url"]
REVISION = "0007"


def test_old_profiles_have_no_spend_and_receipts_are_unique_per_store(empty_url: str) -> None:
    before = dbmod._scripts().get_revision(REVISION).down_revision
    db = dbmod.connect(empty_url)
    try:
        _alembic(db, "upgrade", before)
        with db.writer.begin() as conn:
            conn.execute(text("INSERT INTO stores (id, name, timezone, created_at, updated_at) "
                              "VALUES ('s1', 'A', 'Australia/Melbourne', :t, :t)"), {"t": T0})
            conn.execute(text(
                "INSERT INTO profiles (id, first_name, last_name, attributes, name_key, "
                "last_name_key, created_at, updated_at) VALUES ('p1', 'Jane', 'C', '{}', "
                "'jane c', 'c', :t, :t)"), {"t": T0})
        dbmod.migrate(db)
        assert dbmod.current_revision(db) == dbmod._scripts().get_current_head()
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT lifetime_spend, last_purchase_at FROM profiles")
                                ).one() == (0, None)
        sale = ("INSERT INTO purchases (id, profile_id, store_id, occurred_at, receipt_ref, "
                "total, eligible_spend, source, created_at, updated_at) VALUES (:id, 'p1', 's1', "
                ":t, '10023', 18250, 15000, 'counter', :t, :t)")
        with db.writer.begin() as conn:
            conn.execute(text(sale), {"id": "u1", "t": T0})
        with pytest.raises(IntegrityError), db.writer.begin() as conn:
            conn.execute(text(sale), {"id": "u2", "t": T0})
        _alembic(db, "downgrade", before)  # and back: the revision undoes cleanly
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM profiles")).scalar() == 1
    finally:
        db.dispose()
