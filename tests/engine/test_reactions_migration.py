"""Migration 0011 (issue 17) on SQLite and PostgreSQL: rewards from before reactions say they
were issued, a benefit's source is long enough for ``reaction:`` and a handle of 100
characters, the reactions table is there, and the revision undoes cleanly."""

from __future__ import annotations

from sqlalchemy import inspect, text

from clienteling.engine import db as dbmod
from tests.conftest import T0
from tests.engine.test_idempotency_scope_migration import _alembic, empty_url

__all__ = ["empty_url"]
REVISION = "0011"


def test_old_rewards_were_issued_and_a_benefit_source_fits_a_reaction(empty_url: str) -> None:
    before = dbmod._scripts().get_revision(REVISION).down_revision
    db = dbmod.connect(empty_url)
    try:
        _alembic(db, "upgrade", before)
        with db.writer.begin() as conn:
            conn.execute(text(
                "INSERT INTO profiles (id, first_name, last_name, attributes, name_key, "
                "last_name_key, created_at, updated_at) VALUES ('p1', 'Jane', 'C', '{}', "
                "'jane c', 'c', :t, :t)"), {"t": T0})
            conn.execute(text(
                "INSERT INTO reward_definitions (id, name, handle, type, is_extendable, "
                "excluded_categories, is_published, is_archived, version, created_at, "
                "updated_at) VALUES ('d1', 'D', 'd', 'bonus', false, '[]', true, false, 1, :t, "
                ":t)"), {"t": T0})
            conn.execute(text(
                "INSERT INTO rewards (id, profile_id, reward_definition_id, value_initial, "
                "value_remaining, issued_at, timezone, is_active, created_at, updated_at) "
                "VALUES ('r1', 'p1', 'd1', 1000, 1000, :t, 'UTC', true, :t, :t)"), {"t": T0})
        dbmod.migrate(db)
        assert dbmod.current_revision(db) == dbmod._scripts().get_current_head()
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT source FROM rewards")).scalar() == "issued"
            columns = {c["name"]: c["type"] for c in inspect(conn).get_columns("benefits")}
            assert columns["source"].length >= len("reaction:") + 100
            assert "reactions" in inspect(conn).get_table_names()
        _alembic(db, "downgrade", before)  # and back: the revision undoes cleanly
        with db.reader.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM rewards")).scalar() == 1
    finally:
        db.dispose()
