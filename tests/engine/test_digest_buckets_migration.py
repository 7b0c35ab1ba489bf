"""Migration 0014 (issue 19) on SQLite and PostgreSQL: a database from before kept digests gets
its buckets and fingerprints computed for the records already there, equal to the recompute,
and the revision undoes cleanly."""

from __future__ import annotations

from sqlalchemy import inspect

from clienteling.demo import create_demo
from clienteling.engine import db as dbmod
from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from tests.conftest import T0
from tests.engine.test_idempotency_scope_migration import _alembic, empty_url
from tests.kept_digests import assert_kept

__all__ = ["empty_url"]
REVISION = "0014"


def test_existing_records_get_their_kept_digests(empty_url: str) -> None:
    create_demo(empty_url, profiles=30, seed=4, clock=FixedClock(T0))
    before = dbmod._scripts().get_revision(REVISION).down_revision
    db = dbmod.connect(empty_url)
    try:
        with Clienteling.open(empty_url, clock=FixedClock(T0)) as cl:
            wanted = cl.digest.summary()
            assert wanted["types"]["profile"]["count"] == 30
        _alembic(db, "downgrade", before)
        assert "digest_buckets" not in inspect(db.writer).get_table_names()
        dbmod.migrate(db)
        assert dbmod.current_revision(db) == dbmod._scripts().get_current_head()
    finally:
        db.dispose()
    with Clienteling.open(empty_url, clock=FixedClock(T0)) as cl:
        assert_kept(cl, "migrated")
        assert cl.digest.summary() == wanted
