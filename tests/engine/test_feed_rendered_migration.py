"""Migration 0013 (issue 19) on SQLite and PostgreSQL: change-log rows written before it keep
their place in the feed with no stored entry, and are served (rendered, then stored) on
their first read; the throttle's tables come and go with it; the schema then matches the
models."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clienteling.engine import db as dbmod
from clienteling.engine.clock import FixedClock
from clienteling.engine.context import Context
from clienteling.engine.models import Base
from clienteling.engine.services.feed import FeedService
from clienteling.engine.types import UTCDateTime
from tests.engine.test_idempotency_scope_migration import _alembic, empty_url

__all__ = ["empty_url"]
REVISION = "0013"
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

CHANGES = sa.table("change_log", sa.column("seq", sa.Integer),
                   *(sa.column(c, sa.String) for c in ("entity_type", "entity_id", "op")),
                   sa.column("at", UTCDateTime(timezone=True)))


def test_rows_from_before_are_served_and_stored_on_first_read(empty_url: str) -> None:
    before = dbmod._scripts().get_revision(REVISION).down_revision
    db = dbmod.connect(empty_url)
    try:
        _alembic(db, "upgrade", before)
        with db.writer.begin() as conn:
            conn.execute(CHANGES.insert(), [
                {"seq": 1, "entity_type": "profile", "entity_id": "gone", "op": "upsert",
                 "at": AT},
                {"seq": 2, "entity_type": "profile", "entity_id": "gone", "op": "delete",
                 "at": AT}])
        dbmod.migrate(db)
        assert dbmod.current_revision(db) == dbmod._scripts().get_current_head()
        with db.reader.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
            assert conn.execute(sa.text("SELECT count(*) FROM change_log "
                                        "WHERE entry IS NULL")).scalar() == 2
        feed = FeedService(Context(db, FixedClock(AT), mode="hub"))
        # Page by page: a page holds one entry per record (its last, issue 19).
        items = [*feed.page(0, 1)[0], *feed.page(1, 10)[0]]
        assert [json.loads(i.entry or "") for i in items] == [
            {"seq": 1, "type": "profile", "id": "gone", "op": "upsert", "at": AT.isoformat(),
             "data": None},
            {"seq": 2, "type": "profile", "id": "gone", "op": "delete", "at": AT.isoformat(),
             "data": None}]
        assert feed.page(0, 10) == (items[1:], False)
        with db.reader.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM change_log "
                                        "WHERE entry IS NULL")).scalar() == 0
        _alembic(db, "downgrade", before)
        names = sa.inspect(db.reader).get_table_names()
        assert "token_failures" not in names and "token_turns" not in names
        assert "entry" not in {c["name"] for c in sa.inspect(db.reader).get_columns("change_log")}
    finally:
        db.dispose()
