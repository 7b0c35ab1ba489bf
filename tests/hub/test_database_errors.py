"""The hub's database failing is the environment, not the request (SPEC §7: never a 5xx for bad
input, and never a 500 for this either): 503 with ``{"message", "code"}`` in the engine's words,
Retry-After where a retry can help, and nothing half-saved. Real faults over real HTTP: a
read-only database (SQLite ``query_only``, PostgreSQL ``default_transaction_read_only``), a
full SQLite file (``max_page_count``) and SQLite's write lock held by another process."""

from __future__ import annotations

import pytest

from tests.db_faults import busy, disk_full, read_only
from tests.hub.conftest import World
from tests.hub.support import balance, ok, profile, refused, reward, reward_definition
from tests.internals import database_of

SQLITE_ONLY = pytest.mark.parametrize("hub_url", ["sqlite"], indirect=True)


def test_a_read_only_database_is_503_in_words_and_nothing_changes(world: World) -> None:
    manager, admin = world.as_("manager"), world.as_("admin")
    pid = profile(admin)["id"]
    rd = reward_definition(admin)
    reward(manager, rd["id"], pid, "20.00")
    with read_only(database_of(world.hub.cl)):
        response = manager.post(f"/profiles/{pid}/redeem", json={"amount": "5.00"})
        body = refused(response, 503, "read_only")
        assert body["message"].startswith("The database is read-only")
        assert "nothing was saved" in body["message"]
        assert "retry-after" not in response.headers  # retrying will not help until someone acts
        issued = manager.post("/rewards", json={"profile_id": pid, "reward_definition_id": rd["id"],
                                                "value_initial": "5.00", "reason": "sorry"})
        refused(issued, 503, "read_only")
        assert balance(admin, pid) == "20.00"  # reads still answer
    assert balance(admin, pid) == "20.00"
    ok(manager.post(f"/profiles/{pid}/redeem", json={"amount": "5.00"}), 201)
    assert balance(admin, pid) == "15.00"


@SQLITE_ONLY  # a full disk is simulated with SQLite's max_page_count
def test_a_full_disk_is_503_in_words_and_nothing_changes(world: World) -> None:
    manager, admin = world.as_("manager"), world.as_("admin")
    pid = profile(admin)["id"]
    rd = reward_definition(admin)
    body = None
    with disk_full(database_of(world.hub.cl)):
        # The file may still have room in pages it has: write until it needs a new one.
        for _ in range(200):
            before = balance(admin, pid)
            response = manager.post("/rewards", json={
                "profile_id": pid, "reward_definition_id": rd["id"], "value_initial": "1.00",
                "reason": "x" * 1000})
            if response.status_code == 503:
                body = refused(response, 503, "disk_full")
                break
            ok(response, 201)
    assert body is not None, "the database never filled up"
    assert body["message"].startswith("The disk is full: nothing was saved.")
    assert balance(admin, pid) == before


@SQLITE_ONLY  # the write lock held by another process is SQLite's
def test_a_lock_held_past_the_busy_timeout_is_503_with_retry_after(world: World) -> None:
    admin = world.as_("admin")
    pid = profile(admin)["id"]
    with busy(database_of(world.hub.cl)):
        response = admin.put(f"/profiles/{pid}", json={"first_name": "Busy"})
        body = refused(response, 503, "busy")
        assert response.headers["retry-after"] == "1"
        assert "Try again in a moment" in body["message"]
    assert ok(admin.get(f"/profiles/{pid}"))["data"]["first_name"] == "Ann"


@pytest.mark.postgres
def test_a_lost_postgresql_connection_is_unavailable_not_a_driver_error(pg_database: str) -> None:
    """The server ends our session mid-transaction (as a restart or failover does)."""
    from sqlalchemy import text

    from clienteling.engine.db import open_database
    from clienteling.engine.db_errors import DatabaseUnavailable

    db = open_database(pg_database)
    try:
        with pytest.raises(DatabaseUnavailable) as info, db.write() as s:
            pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
            with db.reader.connect() as other:  # another pooled connection does the killing
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                other.commit()
            s.execute(text("SELECT 1"))
        assert info.value.code == "database_unavailable"
        assert info.value.retry_after == 5
        assert "cannot be reached: the change was not confirmed" in str(info.value)
        with db.read() as s:  # the pool replaced the dead connection
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()


def _end_sessions(url: str) -> int:
    """End every session on ``url``'s database but this one (as a server restart or a
    failover does to a pool's idle connections); returns how many, once they are gone."""
    import time

    import psycopg
    from sqlalchemy.engine import make_url

    from tests.hub.conftest import _conninfo

    name = make_url(url).database
    query = "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    with psycopg.connect(**_conninfo(make_url(url)), autocommit=True) as conn:
        pids = [pid for (pid,) in conn.execute(query, (name,))]
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10  # ending a session is asynchronous
        while conn.execute(query, (name,)).fetchall():
            assert time.monotonic() < deadline, "the sessions did not end"
            time.sleep(0.01)
    return len(pids)


@pytest.mark.parametrize("hub_url", ["postgres"], indirect=True)
def test_connections_the_server_ended_are_replaced_before_the_next_request(world: World) -> None:
    """No ``pool_pre_ping`` (a round trip per checkout): a pooled connection the server has
    ended is noticed from its socket when it is checked out, and replaced, so the first
    requests after a restart or failover are answered, not refused with 503 (SPEC §7)."""
    manager, admin = world.as_("manager"), world.as_("admin")
    pid = profile(admin)["id"]
    rd = reward_definition(admin)
    reward(manager, rd["id"], pid, "20.00")
    assert _end_sessions(world.hub.cl.database_url) >= 1
    # A read, then a change (its key, staff and token reads, then its transaction).
    assert balance(admin, pid) == "20.00"
    ok(manager.post(f"/profiles/{pid}/redeem", json={"amount": "5.00"}), 201)
    assert _end_sessions(world.hub.cl.database_url) >= 1
    ok(manager.post(f"/profiles/{pid}/redeem", json={"amount": "5.00"}), 201)
    assert balance(admin, pid) == "10.00"


@pytest.mark.postgres
def test_a_pooled_connection_the_server_ended_is_not_handed_out(pg_database: str) -> None:
    from sqlalchemy import text

    from clienteling.engine.db import open_database

    db = open_database(pg_database)
    try:
        with db.read() as s, db.reader.connect() as other:  # two connections in the pool
            first = {s.execute(text("SELECT pg_backend_pid()")).scalar(),
                     other.execute(text("SELECT pg_backend_pid()")).scalar()}
        assert _end_sessions(pg_database) >= 2
        for _ in range(3):
            with db.read() as s:
                assert s.execute(text("SELECT pg_backend_pid()")).scalar() not in first
            with db.write() as s:
                assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()
