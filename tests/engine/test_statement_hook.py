"""``Database.on_statement``: the hook the desktop's GUI-thread guard uses instead of importing
SQLAlchemy (issue 7)."""

from __future__ import annotations

from tests.conftest import World
from tests.engine.support import make_profile
from tests.internals import database_of


def test_on_statement_sees_reads_and_writes_until_unsubscribed(world: World) -> None:
    seen: list[str] = []
    stop = database_of(world.cl).on_statement(seen.append)
    p = make_profile(world, first_name="Ann")  # a write
    world.cl.profiles.get(p.id)  # a read
    assert any(s.lstrip().upper().startswith("INSERT INTO PROFILES") for s in seen)
    assert any(s.lstrip().upper().startswith("SELECT") and "profiles" in s for s in seen)
    stop()
    seen.clear()
    world.cl.profiles.get(p.id)
    assert seen == []
    stop()  # a second call is harmless
