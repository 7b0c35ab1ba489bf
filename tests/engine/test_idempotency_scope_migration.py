"""Migration 0003 (idempotency scope) (issue 9, defect 2) on SQLite and PostgreSQL: keys stored
before it keep their responses under the empty scope and are still found from any scope (a
till retrying across the upgrade must not apply a change twice); new keys are per device and
staff member; the schema matches the models; the downgrade goes back to one row per key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from clienteling.engine import db as dbmod
from clienteling.engine.clock import FixedClock
from clienteling.engine.context import Context
from clienteling.engine.models import Base, IdempotencyRecord
from clienteling.engine.services.idempotency import IdempotencyStore, Scope

REVISION = "0003"
T = IdempotencyRecord.__table__
AT = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    from tests.hub.conftest import fresh_pg_database

    with fresh_pg_database() as url:
        yield url


def _alembic(db: dbmod.Database, step: str, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(dbmod.MIGRATIONS))
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, step)(cfg, revision)


def _row(key: str, **scope: str) -> dict[str, Any]:
    return {"key": key, "method": "POST", "path": "/api/v3/rewards", "body_hash": "h" * 64,
            "status_code": 201, "response": {"data": {"id": key}}, "created_at": AT, **scope}


def test_keys_from_before_stay_replayable_and_new_ones_are_scoped(empty_url: str) -> None:
    before = dbmod._scripts().get_revision(REVISION).down_revision
    db = dbmod.connect(empty_url)
    try:
        _alembic(db, "upgrade", before)
        with db.writer.begin() as conn:
            conn.execute(text("INSERT INTO idempotency_records (key, method, path, body_hash, "
                              "status_code, response, created_at) VALUES ('old-key', 'POST', "
                              "'/api/v3/rewards', :h, 201, :r, :at)"),
                         {"h": "h" * 64, "r": '{"data": {"id": "old"}}', "at": AT})

        dbmod.migrate(db)

        with db.reader.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
            pk = inspect(conn).get_pk_constraint("idempotency_records")["constrained_columns"]
            assert pk == ["key", "device_id", "staff_id"]
            old = conn.execute(select(T.c.device_id, T.c.staff_id)
                               .where(T.c.key == "old-key")).one()
        assert tuple(old) == ("", "")
        store = IdempotencyStore(Context(db, FixedClock(AT), mode="hub"))
        found = store.get(Scope("till-1", "ada"), "old-key")
        assert found is not None and found.body == {"data": {"id": "old"}}

        # New rows name their device and staff member; one key, two scopes, two rows.
        with db.writer.begin() as conn:
            conn.execute(insert(T), [_row("k", device_id="till-1", staff_id="ada"),
                                     _row("k", device_id="till-2", staff_id="ada")])
        with pytest.raises(IntegrityError), db.writer.begin() as conn:
            conn.execute(insert(T), [_row("k", device_id="till-1", staff_id="ada")])
        assert store.get(Scope("till-1", "bo"), "k") is None
        assert store.get(Scope("till-2", "ada"), "k") is not None

        _alembic(db, "downgrade", before)
        with db.reader.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("idempotency_records")}
            keys = sorted(conn.execute(text("SELECT key FROM idempotency_records")).scalars())
        assert {"device_id", "staff_id"}.isdisjoint(columns)
        assert keys == ["k", "old-key"]
    finally:
        db.dispose()
