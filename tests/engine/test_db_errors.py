"""Database failures of the environment come out of the engine typed and in words (GUIDE
"bad input anywhere gets a message … and changes nothing"; SPEC §6 the local database): a
read-only file, a full disk, a lock held past the busy timeout, a damaged or unopenable file.
The transaction rolled back, so nothing is half-saved. A bug (bad SQL, a broken constraint)
is not dressed up as one of these: it stays the driver's error."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from clienteling.engine.db import DatabaseError
from clienteling.engine.db_errors import (
    DatabaseBusy,
    DatabaseCannotOpen,
    DatabaseCorrupt,
    DatabaseReadOnly,
    DatabaseUnavailable,
    DiskFull,
    DiskIOError,
    classify,
)
from clienteling.engine.services import Clienteling
from tests.conftest import World
from tests.db_faults import busy, disk_full, read_only
from tests.engine.support import (
    give_reward,
    make_definition,
    make_profile,
    make_reward_definition,
    snapshot,
)
from tests.internals import database_of


def test_a_read_only_database_refuses_a_redeem_in_words_and_changes_nothing(world: World) -> None:
    profile = make_profile(world)
    give_reward(world, make_reward_definition(world), profile, "20.00")
    before = snapshot(world)
    with read_only(database_of(world.cl)), pytest.raises(DatabaseReadOnly) as info:
        world.cl.rewards.redeem_amount(world.associate, profile.id, "5.00")
    error = info.value
    assert isinstance(error, DatabaseError)
    assert error.code == "read_only"
    assert str(error).startswith("The database is read-only")
    assert "nothing was saved" in str(error)
    assert isinstance(error.__cause__, DBAPIError)  # the driver's error is kept for the log
    assert snapshot(world) == before
    # Reads still work on a read-only database, and writes again once it is writable.
    assert world.cl.rewards.balance(profile.id) == Decimal("20.00")
    world.cl.rewards.redeem_amount(world.associate, profile.id, "5.00")
    assert world.cl.rewards.balance(profile.id) == Decimal("15.00")


def test_a_full_disk_refuses_an_issue_in_words_and_changes_nothing(world: World) -> None:
    profile = make_profile(world)
    definition = make_reward_definition(world)
    with disk_full(database_of(world.cl)):
        # The file may still have room in pages it has: write until it needs a new one.
        for _ in range(200):
            before = snapshot(world)
            try:
                give_reward(world, definition, profile, "1.00", reason="x" * 1000)
            except DiskFull as exc:
                error = exc
                break
        else:
            pytest.fail("the database never filled up")
    assert error.code == "disk_full"
    assert str(error).startswith("The disk is full: nothing was saved.")
    assert snapshot(world) == before
    give_reward(world, definition, profile, "1.00")  # room again: the next write goes through


def test_a_write_lock_held_past_the_busy_timeout_is_busy_not_a_crash(world: World) -> None:
    before = snapshot(world)
    with busy(database_of(world.cl)), pytest.raises(DatabaseBusy) as info:
        make_definition(world)
    assert info.value.code == "busy" and info.value.retry_after == 1
    assert "busy" in str(info.value) and "nothing was saved" in str(info.value)
    assert snapshot(world) == before


def test_a_file_that_is_not_a_database_is_corrupt_in_words(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("these are my shopping notes, not a database " * 20)
    with pytest.raises(DatabaseCorrupt) as info:
        Clienteling.open(str(junk))
    assert info.value.code == "database_corrupt"
    assert "damaged or is not a Clienteling database" in str(info.value)
    assert str(junk) in str(info.value)  # whoever fixes it needs to know which file


def test_a_damaged_file_is_corrupt_when_it_is_read(world: World) -> None:
    path = Path(world.url.removeprefix("sqlite:///"))
    make_profile(world)
    world.cl.close()  # checkpoints the WAL into the file
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xff" * (len(data) - page)  # every page after the first: garbage
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorrupt) as info:
        world.cl = Clienteling.open(world.url, clock=world.clock)
    assert "damaged" in str(info.value)
    world.cl = Clienteling.open(f"sqlite:///{path.with_name('fresh.db')}")  # for the fixture's close


def test_a_path_that_cannot_be_opened_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    with pytest.raises(DatabaseCannotOpen) as info:
        Clienteling.open(str(folder))
    assert info.value.code == "cannot_open"
    assert "cannot be opened" in str(info.value)


def test_bugs_stay_bugs(world: World) -> None:
    """Bad SQL and a broken constraint are the program's fault: no user message hides them."""
    with pytest.raises(OperationalError, match="no such table"), database_of(world.cl).write() as s:
        s.execute(text("UPDATE no_such_table SET x = 1"))
    with pytest.raises(OperationalError, match="no such column"), database_of(world.cl).read() as s:
        s.execute(text("SELECT no_such_column FROM profiles"))
    with pytest.raises(IntegrityError), database_of(world.cl).write() as s:
        s.execute(text("INSERT INTO staff (id) VALUES (NULL)"))


@pytest.mark.parametrize(("name", "expected"), [
    ("DiskFull", DiskFull),
    ("ReadOnlySqlTransaction", DatabaseReadOnly),
    ("LockNotAvailable", DatabaseBusy),
    ("QueryCanceled", DatabaseBusy),
    ("DeadlockDetected", DatabaseBusy),  # report_totals rows locked in opposite orders
    ("IoError", DiskIOError),
    ("DataCorrupted", DatabaseCorrupt),
    ("AdminShutdown", DatabaseUnavailable),
    ("UndefinedTable", None),   # bad SQL: a bug
    ("UniqueViolation", None),  # a broken constraint: a bug (or a race the caller handles)
])
def test_postgresql_errors_are_sorted_by_their_sqlstate(name: str, expected: type | None) -> None:
    """The faults PostgreSQL cannot be made to show on demand (a full disk, a corrupt page),
    as psycopg's own exception classes carrying the server's SQLSTATE, wrapped the way
    SQLAlchemy wraps them; the hub test proves read-only and a lost connection for real."""
    import psycopg.errors

    orig = getattr(psycopg.errors, name)("the server's words")
    wrapped = DBAPIError.instance("UPDATE rewards …", {}, orig, psycopg.errors.DatabaseError)
    typed = classify(wrapped, writing=True)
    if expected is None:
        assert typed is None
        return
    assert type(typed) is expected
    assert typed is not None and typed.code == expected.code
