"""The local database (SPEC §6, GUIDE principle 9): SQLite in WAL mode with foreign keys on,
schema by Alembic migrations that are idempotent on reopen, and a newer schema refused clearly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from clienteling.engine import db as dbmod
from clienteling.engine.context import Context
from clienteling.engine.db import DatabaseError, SchemaTooNew
from clienteling.engine.models import Base
from clienteling.engine.services import Clienteling
from tests.conftest import World
from tests.engine.support import (
    issue,
    make_definition,
    make_profile,
    snapshot,
)
from tests.internals import database_of


def _pragma(engine: object, name: str) -> object:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def _schema(url: str) -> list[tuple[str, str, str]]:
    db = dbmod.connect(url)
    try:
        with db.reader.connect() as conn:
            return sorted(tuple(r) for r in conn.exec_driver_sql(
                "SELECT type, name, coalesce(sql, '') FROM sqlite_master"))
    finally:
        db.dispose()


def test_wal_mode_on(world: World) -> None:
    for engine in (database_of(world.cl).reader, database_of(world.cl).writer):
        assert str(_pragma(engine, "journal_mode")).lower() == "wal"
    make_profile(world)
    assert Path(world.url.removeprefix("sqlite:///") + "-wal").exists()


def test_foreign_keys_on(world: World) -> None:
    for engine in (database_of(world.cl).reader, database_of(world.cl).writer):
        assert _pragma(engine, "foreign_keys") == 1
        assert _pragma(engine, "busy_timeout") == dbmod.BUSY_TIMEOUT_MS
    d = make_definition(world)
    before = snapshot(world)
    with pytest.raises(IntegrityError), database_of(world.cl).writer.begin() as conn:
        conn.execute(text(
            "INSERT INTO benefits (id, profile_id, benefit_definition_id, issued_at, timezone, source, "
            "created_at, updated_at) VALUES ('b1', 'no-such-profile', :d, '2026-03-02 00:00:00', 'UTC', "
            "'issued', '2026-03-02 00:00:00', '2026-03-02 00:00:00')"), {"d": d.id})
    assert snapshot(world) == before


def test_writers_take_the_lock_up_front(world: World) -> None:
    """BEGIN IMMEDIATE: a second writer waits for (or times out on) the first, instead of both
    reading and then one failing to upgrade its lock."""
    with database_of(world.cl).write() as s:
        assert s.connection().exec_driver_sql("SELECT 1").scalar() == 1
        other = dbmod.connect(world.url)  # opening does not need the write lock
        try:
            raw = other.writer.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("PRAGMA busy_timeout=50")
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    cursor.execute("BEGIN IMMEDIATE")
                cursor.execute("SELECT count(*) FROM staff")  # readers are not blocked (WAL)
                assert cursor.fetchone()[0] == 3
            finally:
                raw.close()
        finally:
            other.dispose()


def test_migrations_are_idempotent_on_reopen(world: World) -> None:
    d = make_definition(world)
    p = make_profile(world)
    b = issue(world, d, p)
    head = dbmod.current_revision(database_of(world.cl))
    assert head == dbmod._scripts().get_current_head()
    schema = _schema(world.url)
    data = snapshot(world)
    world.cl.close()
    for _ in range(2):
        again = Clienteling.open(world.url, clock=world.clock)
        try:
            assert dbmod.current_revision(database_of(again)) == head
            with database_of(again).reader.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
            assert again.benefits.get(b.id).benefit.profile_id == p.id
        finally:
            again.close()
        assert _schema(world.url) == schema
    world.cl = Clienteling.open(world.url, clock=world.clock)
    assert snapshot(world) == data


def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    """The migration must match models.py: autogenerate finds nothing to do on a fresh database."""
    db = dbmod.open_database(tmp_path / "fresh.db")
    try:
        with db.reader.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        db.dispose()
    assert diff == []


def test_plain_path_and_fresh_folder(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "till.db"
    cl = Clienteling.open(str(target))
    try:
        assert target.exists()
        assert cl.database_url == f"sqlite:///{target.resolve()}"
    finally:
        cl.close()


def test_newer_schema_is_refused_with_a_clear_message(world: World) -> None:
    make_profile(world)
    with database_of(world.cl).writer.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    data = snapshot(world)
    world.cl.close()
    with pytest.raises(SchemaTooNew) as info:
        Clienteling.open(world.url, clock=world.clock)
    message = str(info.value)
    assert "newer version of Clienteling" in message
    assert "9999_from_the_future" in message
    assert "update the app" in message
    assert info.value.code == "schema_too_new"
    assert isinstance(info.value, DatabaseError)
    # nothing was touched
    world.cl = Clienteling(Context(dbmod.connect(world.url), world.clock))  # without migrating
    assert snapshot(world) == data
    assert dbmod.current_revision(database_of(world.cl)) == "9999_from_the_future"


def test_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("these are my shopping notes, not a database " * 20)
    with pytest.raises(DatabaseError) as info:
        Clienteling.open(str(junk))
    assert "not a database" in str(info.value)
    assert junk.read_text().startswith("these are my shopping notes")


def test_unopenable_path_is_refused_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.raises(DatabaseError) as info:
        Clienteling.open(str(folder))
    assert "Cannot open the database" in str(info.value)


def test_bad_url_is_refused_clearly() -> None:
    with pytest.raises(DatabaseError):
        Clienteling.open("nosuchdialect://x/y")


def test_migration_0002_gives_old_outbox_entries_a_unit_and_their_entities(tmp_path: Path) -> None:
    """A till upgraded with changes still unsent: each old entry becomes its own unit,
    touching the entity it names and referring to its profile, and stays pending."""
    from alembic import command
    from alembic.config import Config

    db = dbmod.connect(tmp_path / "old.db")
    cfg = Config()
    cfg.set_main_option("script_location", str(dbmod.MIGRATIONS))
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with db.writer.begin() as conn:
        for n, (entity_type, entity_id) in enumerate((("profile", "p1"), ("benefit", "b1"))):
            conn.execute(text(
                "INSERT INTO outbox (id, idempotency_key, method, path, occurred_at, entity_type, "
                "entity_id, profile_id, status, attempts, created_at, updated_at) VALUES "
                "(:id, :key, 'POST', '/x', '2026-03-02 00:00:00', :t, :e, 'p1', 'pending', 0, "
                "'2026-03-02 00:00:00', '2026-03-02 00:00:00')"),
                {"id": f"o{n}", "key": f"k{n}", "t": entity_type, "e": entity_id})
    db.dispose()
    cl = Clienteling.open(str(tmp_path / "old.db"))
    try:
        items = {i.id: i for i in cl.outbox.pending()}
        assert {i: (v.unit_id, v.status, v.entities) for i, v in items.items()} == {
            "o0": ("o0", "pending", (("profile", "p1", "changed"),)),
            "o1": ("o1", "pending", (("benefit", "b1", "changed"), ("profile", "p1", "ref"))),
        }
        assert cl.outbox.pending_ids("p1") == {"p1", "b1"}
    finally:
        cl.close()
