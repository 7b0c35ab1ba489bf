"""Must-show 3: the change feed never skips or repeats a committed change, even while several
writers commit concurrently on PostgreSQL (seq order is commit order: see ``hub.changes``)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from clienteling.engine.models import ChangeLog
from clienteling.engine.security import WITHHELD_HASH
from tests.db_faults import read_only
from tests.hub.conftest import LiveHub, World, seed, truncate
from tests.hub.support import benefit_definition, issue, ok, profile, reward, reward_definition
from tests.internals import context_of, database_of

WRITERS = 6
WRITES_EACH = 25


@pytest.fixture
def pg_world(pg_database: str, start_hub: Callable[..., LiveHub]) -> World:
    truncate(pg_database)
    return seed(start_hub(pg_database))


def _committed(world: World) -> list[tuple[int, str, str]]:
    with context_of(world.hub.cl).reading() as s:
        return [(r.seq, r.entity_type, r.entity_id)
                for r in s.scalars(select(ChangeLog).order_by(ChangeLog.seq))]


def _writer(world: World, n: int, created: list[str], errors: list[str]) -> None:
    admin, manager, associate = world.as_("admin"), world.as_("manager"), world.as_("associate")
    try:
        d = benefit_definition(admin, max_redemptions=None)
        rd = reward_definition(admin)
        for i in range(WRITES_EACH):
            pid = profile(associate, first_name=f"W{n}-{i}")["id"]
            created.append(pid)
            kind = i % 4
            if kind == 0:
                ok(associate.put(f"/profiles/{pid}", json={"mobile_phone": f"+61 400 {n:03d} {i:03d}"}))
            elif kind == 1:
                b = issue(manager, d["id"], pid)
                ok(associate.post(f"/profiles/{pid}/benefits/{b['id']}/redeem"), 201)
            elif kind == 2:
                reward(manager, rd["id"], pid, "12.00")
                ok(associate.post(f"/profiles/{pid}/redeem", json={"amount": "2.50"}), 201)
    except AssertionError as exc:  # reported by the test, not lost in a thread
        errors.append(str(exc))


def test_a_polling_reader_sees_every_committed_change_exactly_once(pg_world: World) -> None:
    world = pg_world
    assert world.live.backend == "postgresql"
    reader = world.device()
    seen: list[dict[str, Any]] = []
    pages: list[tuple[int, int, list[tuple[int, str, str]]]] = []  # (after, next, entries)
    done = threading.Event()
    cursor = 0

    def poll_once() -> bool:
        nonlocal cursor
        page = ok(reader.get("/sync/changes", params={"after": cursor, "limit": 7}))
        seen.extend(page["data"])
        pages.append((cursor, page["meta"]["next"],
                      [(r["seq"], r["type"], r["id"]) for r in page["data"]]))
        cursor = page["meta"]["next"]
        return bool(page["meta"]["has_more"])

    def poll() -> None:
        while not done.is_set():
            poll_once()

    created: list[str] = []
    errors: list[str] = []
    polling = threading.Thread(target=poll)
    polling.start()
    writers = [threading.Thread(target=_writer, args=(world, n, created, errors))
               for n in range(WRITERS)]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    done.set()
    polling.join()
    while poll_once():
        pass
    poll_once()

    assert not errors, errors
    seqs = [row["seq"] for row in seen]
    assert len(seqs) == len(set(seqs)), "a change was delivered twice"
    assert seqs == sorted(seqs), "the feed went backwards"
    committed = _committed(world)
    # Pages follow one another with no gap, and each carries every committed change of its
    # range, but for those a later change of the same record in the same page stands for
    # (a page holds one entry per record, its last: a till applies a page as one).
    assert [after for after, _, _ in pages[1:]] == [nxt for _, nxt, _ in pages[:-1]]
    for after, nxt, entries in pages:
        in_range = [c for c in committed if after < c[0] <= nxt]
        last = {(t, i): seq for seq, t, i in in_range}
        assert entries == [c for c in in_range if last[(c[1], c[2])] == c[0]], \
            f"page after {after}: a committed change was skipped"
    assert pages[-1][1] == committed[-1][0]
    fed_profiles = {r["id"] for r in seen if r["type"] == "profile"}
    assert set(created) <= fed_profiles
    assert len(created) == WRITERS * WRITES_EACH


def test_a_later_writer_waits_for_the_journal_lock_so_seq_order_is_commit_order(
    pg_world: World,
) -> None:
    """The mechanism, step by step: a transaction holding its seq but not yet committed keeps
    a second writer from drawing a seq, and the reader sees neither until the first commits."""
    world = pg_world
    cl = world.hub.cl
    actor = cl.staff.actor(world.staff["associate"])
    hold = threading.Event()
    release = threading.Event()
    local = threading.local()

    def before_commit(session: Session) -> None:
        if getattr(local, "hold", False):
            hold.set()
            assert release.wait(10)

    event.listen(Session, "before_commit", before_commit)
    try:
        after = world.hub.listing.last_seq()
        results: dict[str, str] = {}

        def first() -> None:
            local.hold = True
            results["first"] = cl.profiles.create(actor, {"first_name": "First", "last_name": "T"}).id

        def second() -> None:
            results["second"] = cl.profiles.create(actor, {"first_name": "Second", "last_name": "T"}).id

        t1 = threading.Thread(target=first)
        t1.start()
        assert hold.wait(10)  # T1 has drawn its seq under the lock and waits before COMMIT
        t2 = threading.Thread(target=second)
        t2.start()
        time.sleep(0.5)
        assert t2.is_alive(), "the second writer did not wait for the first one's commit"
        changes, _ = world.hub.listing.changes(after, 100)
        assert changes == [], "an uncommitted or later change became visible"
        release.set()
        t1.join(10)
        t2.join(10)
    finally:
        event.remove(Session, "before_commit", before_commit)
    changes, _ = world.hub.listing.changes(after, 100)
    order = [c.entity_id for c in changes if c.entity_type == "profile"]
    assert order == [results["first"], results["second"]]


def test_the_feed_carries_current_records_deleted_as_null_and_pages_by_cursor(world: World) -> None:
    admin, manager = world.as_("admin"), world.as_("manager")
    till = world.device()
    pid = profile(admin)["id"]
    d = benefit_definition(admin)
    b = issue(manager, d["id"], pid)
    ok(admin.put(f"/profiles/{pid}", json={"first_name": "Renamed"}))
    ok(admin.delete(f"/benefits/{b['id']}"), 204)

    rows: list[dict[str, Any]] = []
    cursor, pages = 0, 0
    while True:
        page = ok(till.get("/sync/changes", params={"after": cursor, "limit": 3}))
        rows.extend(page["data"])
        assert len(page["data"]) <= 3
        # One entry per record in a page, its last (issue 19: a till applies a page as one).
        keys = [(r["type"], r["id"]) for r in page["data"]]
        assert len(keys) == len(set(keys))
        cursor, pages = page["meta"]["next"], pages + 1
        if not page["meta"]["has_more"]:
            break
    assert pages > 2
    staff = {r["data"]["username"]: r["data"]["pin_hash"] for r in rows if r["type"] == "staff"}
    # A till gets its own associates' and managers' PIN hashes only (issue 9, security.md).
    assert all(staff[u].startswith("$argon2") for u in ("associate-a", "manager-a"))
    assert staff["admin-a"] == staff["manager-b"] == WITHHELD_HASH
    profile_rows = [r for r in rows if r["type"] == "profile" and r["id"] == pid]
    assert profile_rows and all(r["data"]["first_name"] == "Renamed" for r in profile_rows)
    benefit_rows = [r for r in rows if r["type"] == "benefit" and r["id"] == b["id"]]
    assert benefit_rows[-1]["op"] == "delete"
    assert all(r["data"] is None for r in benefit_rows)  # it no longer exists
    assert not any(r["type"] == "device_token" for r in rows)
    empty = ok(till.get("/sync/changes", params={"after": cursor}))
    assert empty["data"] == [] and empty["meta"] == {"next": cursor, "has_more": False,
                                                     "after": cursor, "limit": 100}



def _stored(world: World) -> dict[int, str | None]:
    with context_of(world.hub.cl).reading() as s:
        return {r.seq: r.entry for r in s.scalars(select(ChangeLog).order_by(ChangeLog.seq))}


def test_an_entry_is_rendered_once_and_served_as_stored(world: World) -> None:
    """Issue 19: the first reader of a page stores each shared entry; every later reader gets
    those bytes. Staff entries stay per device (never stored)."""
    admin = world.as_("admin")
    till = world.device()
    pid = profile(admin, first_name="Before")["id"]
    assert all(entry is None for entry in _stored(world).values())  # written without a render
    first = till.get("/sync/changes", params={"after": 0, "limit": 1000})
    assert first.status_code == 200
    stored = _stored(world)
    by_type = {row["seq"]: row["type"] for row in first.json()["data"]}
    assert {seq for seq, entry in stored.items() if entry is None} == {
        seq for seq, kind in by_type.items() if kind == "staff"}
    # The stored text is the entry the till received.
    for row in first.json()["data"]:
        if row["type"] != "staff":
            assert stored[row["seq"]] is not None
            assert row == json.loads(stored[row["seq"]])

    ok(admin.put(f"/profiles/{pid}", json={"first_name": "After"}))
    # The first entry as it was first served; the rename is a later entry a till applies after.
    served = len(first.json()["data"])
    same = ok(till.get("/sync/changes", params={"after": 0, "limit": served}))
    assert same["data"] == first.json()["data"]
    rest = ok(till.get("/sync/changes", params={"after": same["meta"]["next"], "limit": 1000}))
    assert [r["data"]["first_name"] for r in rest["data"] if r["id"] == pid] == ["After"]
    # A page holding both carries the last only (a till applies a page as one).
    both = ok(till.get("/sync/changes", params={"after": 0, "limit": 1000}))
    assert [r["data"]["first_name"] for r in both["data"] if r["id"] == pid] == ["After"]


def test_an_idle_poll_is_answered_304_with_its_etag(world: World) -> None:
    admin = world.as_("admin")
    till = world.device()
    page = ok(till.get("/sync/changes", params={"after": 0, "limit": 1000}))
    cursor = page["meta"]["next"]
    idle = till.get("/sync/changes", params={"after": cursor, "limit": 1000})
    assert idle.status_code == 200 and idle.json()["data"] == []
    tag = idle.headers["etag"]
    unchanged = till.get("/sync/changes", params={"after": cursor, "limit": 1000},
                         headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == tag
    # Another page size is another page: no 304 for it.
    other = till.get("/sync/changes", params={"after": cursor, "limit": 10},
                     headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag
    pid = profile(admin)["id"]
    changed = till.get("/sync/changes", params={"after": cursor, "limit": 1000},
                       headers={"If-None-Match": tag})
    assert changed.status_code == 200 and "etag" not in changed.headers
    assert pid in {r["id"] for r in changed.json()["data"]}
    # A token that does not verify is refused before any of this.
    stranger = world.live.client("made-up-token")
    assert stranger.get("/sync/changes", params={"after": cursor},
                        headers={"If-None-Match": tag}).status_code == 401


def test_a_database_that_cannot_store_entries_still_serves_the_feed(world: World) -> None:
    """Storing an entry is a cache fill: a read-only (or busy, or full) database serves the
    page rendered as before, and the first reader after it stores the entries."""
    admin, till = world.as_("admin"), world.device()
    profile(admin)
    with read_only(database_of(world.hub.cl)):
        page = ok(till.get("/sync/changes", params={"after": 0, "limit": 1000}))
        assert all(entry is None for entry in _stored(world).values())
    assert ok(till.get("/sync/changes", params={"after": 0, "limit": 1000})) == page
    assert {seq for seq, entry in _stored(world).items() if entry is not None} == {
        row["seq"] for row in page["data"] if row["type"] != "staff"}
