"""Backups of a till's database (issue 9): ``clienteling backup`` with SQLite's online backup
API, keeping the newest few; a migration leaves one behind; and a restored backup is a till
that passes ``audit verify``."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from clienteling.engine import db as dbmod
from clienteling.engine.backup import BackupError, backup, backups_of
from clienteling.engine.services import Clienteling
from tests.conftest import World
from tests.engine.support import give_reward, make_profile, make_reward_definition
from tests.internals import database_of


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clienteling.cli", *args], capture_output=True,
                          text=True, timeout=300)


def _file(world: World) -> Path:
    return Path(world.url.removeprefix("sqlite:///"))


def _work(world: World) -> str:
    p = make_profile(world)
    rd = make_reward_definition(world)
    give_reward(world, rd, p, "20.00")
    world.cl.rewards.redeem_amount(world.associate, p.id, Decimal("5.00"))
    return p.id


def test_backup_command_copies_the_till_and_keeps_the_newest(world: World, tmp_path: Path) -> None:
    _work(world)  # the app is open (world.cl) and its WAL holds the latest commits
    to = tmp_path / "copies"
    made = []
    for _ in range(4):
        done = cli("backup", "--db", world.url, "--to", str(to), "--keep", "2")
        assert done.returncode == 0, done.stderr
        made.append(Path(done.stdout.strip().splitlines()[-1]))
    assert sorted(to.iterdir()) == sorted(made[-2:])  # the newest two, nothing partial
    with sqlite3.connect(made[-1]) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT count(*) FROM redemptions").fetchone() == (1,)
    refused = cli("backup", "--db", str(tmp_path / "none.db"))
    assert refused.returncode == 2 and "no such database file" in refused.stderr
    assert not (tmp_path / "none.db").exists()
    pg = cli("backup", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/hub")
    assert pg.returncode == 2 and "pg_dump" in pg.stderr


def test_backups_are_kept_by_age_and_the_default_folder_is_beside_the_database(
    world: World,
) -> None:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    for n in range(7):
        backup(world.url, now=at + timedelta(minutes=n))
    kept = backups_of(_file(world))
    assert len(kept) == 5 and kept[0].parent == _file(world).parent / "backups"
    assert "20260302T000200" in kept[0].name and "20260302T000600" in kept[-1].name
    with pytest.raises(BackupError, match="reason"):
        backup(world.url, reason="../x")


def test_a_migration_leaves_a_backup_of_the_schema_before_it(tmp_path: Path) -> None:
    path = tmp_path / "till.db"
    scripts = dbmod._scripts()
    head = scripts.get_current_head()
    before = scripts.get_revision(head).down_revision
    db = dbmod.connect(f"sqlite:///{path}")
    try:
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(dbmod.MIGRATIONS))
        with db.writer.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, before)
        assert backups_of(path) == []
        dbmod.migrate(db)
        assert dbmod.current_revision(db) == head
    finally:
        db.dispose()
    [made] = backups_of(path)
    assert made.name.endswith(f"-before-{head}.db")
    with sqlite3.connect(made) as copy:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (before,)
    # Opening an up-to-date database makes no backup.
    dbmod.open_database(f"sqlite:///{path}").dispose()
    assert len(backups_of(path)) == 1


def test_a_restored_backup_is_a_till_that_passes_audit_verify(world: World, tmp_path: Path) -> None:
    pid = _work(world)
    made = backup(world.url, to=tmp_path / "copies")
    balance = world.cl.rewards.balance(pid)
    # The till is lost: its file is gone (docs/operations.md, "Restore a till").
    world.cl.close()
    till = _file(world)
    for leftover in (till, Path(f"{till}-wal"), Path(f"{till}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(made, till)
    done = cli("audit", "verify", "--db", str(till))
    assert done.returncode == 0, done.stdout + done.stderr
    restored = Clienteling.open(f"sqlite:///{till}")
    try:
        assert restored.rewards.balance(pid) == balance == Decimal("15.00")
        with database_of(restored).reader.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        restored.close()
