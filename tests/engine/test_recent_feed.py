"""The change feed at a chain (issue 19): a hub process keeps the run of feed items it read
last (``RecentFeed``), so a page the next till asks for is served without reading the change
log again, and a page carries one entry per record, its last (``last_per_record``).

What must hold: a page served from memory is the page a process started now would read
(for any cursor and size, while changes keep coming); a till far behind does not push the
shared run out; a page never holds two entries of one record, and the one it holds is the
last."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from clienteling.engine.services import Clienteling
from clienteling.engine.services.feed import FeedItem, FeedService, RecentFeed, last_per_record
from tests.conftest import World
from tests.engine.support import statements_during
from tests.internals import context_of

T = TypeVar("T")


def _person(w: World, n: int) -> str:
    return str(w.cl.profiles.create(w.associate, {"first_name": f"P{n}",
                                                  "last_name": "Feed"}).id)


def _rename(w: World, pid: str, name: str) -> None:
    w.cl.profiles.update(w.associate, pid, {"first_name": name})


def _change_log_reads(w: World, call: Callable[[], T]) -> tuple[T, int]:
    result, seen = statements_during(w.cl, call)
    return result, sum(1 for s in seen if s.lstrip().upper().startswith("SELECT")
                       and "change_log" in s)


def test_a_page_read_again_is_served_without_reading_the_change_log(hub: World) -> None:
    w = hub
    people = [_person(w, n) for n in range(6)]
    # The first reader renders and stores the entries; the next reads them as stored and
    # keeps them (the run holds only what the database holds).
    stored, reads = _change_log_reads(w, lambda: w.cl.feed.page(0, 1000))
    first, reads = _change_log_reads(w, lambda: w.cl.feed.page(0, 1000))
    assert reads == 1 and first == stored
    # A page inside the run is a slice of it; one that reaches the run's end asks the change
    # log only for what follows it.
    middle, reads = _change_log_reads(w, lambda: w.cl.feed.page(first[0][1].seq, 2))
    assert reads == 0 and middle == (first[0][2:4], True)
    again, reads = _change_log_reads(w, lambda: w.cl.feed.page(0, 1000))
    assert reads == 1 and again == first
    _rename(w, people[0], "Later")
    for _ in range(2):  # rendered and stored, then read as stored and kept
        (items, more), reads = _change_log_reads(w, lambda: w.cl.feed.page(0, 1000))
        assert reads == 1 and not more
        assert json.loads(items[-1].entry or "")["data"]["first_name"] == "Later"
    # The row that followed is in the run now: a page up to it reads nothing.
    (items, more), reads = _change_log_reads(w, lambda: w.cl.feed.page(0, len(first[0])))
    assert reads == 0 and (items, more) == (first[0], True)


def test_pages_from_memory_are_the_pages_a_new_process_reads(hub: World) -> None:
    """Any cursor, any size, with changes written between the reads (and a staff member,
    whose entry is rendered per device from the record kept)."""
    w = hub
    fresh = Clienteling.open(w.url, clock=w.clock, mode="hub")
    # A small run, so that misses, replacements, trimming and pages ending at its edge all
    # happen among the reads.
    w.cl.feed.recent = RecentFeed(capacity=9, budget=4_000)
    try:
        rng = random.Random(19)
        people = [_person(w, n) for n in range(5)]
        w.cl.staff.create_staff(w.admin, {"username": "newbie", "display_name": "Newbie",
                                          "role": "associate", "store_id": w.store_id,
                                          "pin": "552901"})
        for step in range(120):
            if step % 3 == 0:
                _rename(w, rng.choice(people), f"N{step}")
            if step % 7 == 0:
                people.append(_person(w, 100 + step))
            started_now = FeedService(context_of(fresh))  # the feed of a process started now
            last = started_now.page(0, 10_000)[0][-1].seq
            after = rng.choice((rng.randint(0, last), max(0, last - rng.randint(0, 12))))
            limit = rng.choice((1, 2, 5, 8, 9, 10, 50, 1000))
            assert w.cl.feed.page(after, limit) == started_now.page(after, limit), (after, limit)
    finally:
        fresh.close()


def _items(*seqs: int) -> list[FeedItem]:
    at = datetime(2026, 3, 2, tzinfo=UTC)
    return [FeedItem(s, f'{{"seq":{s}}}', "profile", f"p{s}", "upsert", at) for s in seqs]


def test_a_till_far_behind_does_not_push_out_the_run_the_others_share() -> None:
    run = RecentFeed(capacity=5)
    assert run.after(0, 10) is None
    run.keep(10, _items(11, 12, 14, 15))  # 13: a rolled-back transaction's seq
    assert run.after(12, 10) == (_items(14, 15), 15)
    assert run.after(9, 10) is None  # before the run: not known to be complete
    run.keep(0, _items(1, 2, 3))  # a till far behind reads the change log itself
    assert run.after(10, 2) == (_items(11, 12), 15)
    run.keep(15, _items(16, 17, 18))  # over capacity: the oldest go
    assert run.after(11, 10) is None
    assert run.after(12, 10) == (_items(14, 15, 16, 17, 18), 18)
    run.keep(14, _items(15, 16, 17, 18, 19))  # a read overlapping the run extends it
    assert run.after(14, 10) == (_items(15, 16, 17, 18, 19), 19)
    run.keep(30, _items(31))  # a newer run replaces an older one it does not touch
    assert run.after(19, 10) is None and run.after(30, 10) == (_items(31), 31)
    small = RecentFeed(capacity=100, budget=len(_items(1)[0].entry or "") * 3)
    small.keep(0, _items(1, 2, 3, 4, 5))  # within its count, over its size: the oldest go
    assert small.after(1, 10) is None and small.after(2, 10) == (_items(3, 4, 5), 5)


def test_a_page_holds_the_last_entry_of_each_record(hub: World) -> None:
    w = hub
    a, b = _person(w, 1), _person(w, 2)
    for name in ("Two", "Three"):
        _rename(w, a, name)
    _rename(w, b, "Bee")
    items, _ = w.cl.feed.page(0, 1000)
    assert [(i.entity_id, json.loads(i.entry or "")["data"]["first_name"]) for i in items] == [
        (a, "Three"), (b, "Bee")]
    # Across pages every change still comes: the first page ends at a's first entry.
    first, more = w.cl.feed.page(0, 1)
    assert more and [i.entity_id for i in first] == [a]
    assert json.loads(first[0].entry or "")["data"]["first_name"] == "Three"  # as first read
    assert last_per_record(_items(1, 2)) == _items(1, 2)
