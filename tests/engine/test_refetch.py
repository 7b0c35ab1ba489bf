"""The records a till must read back from the hub (``engine.services.refetch``): what is
forgotten is exactly what was read back, never a record remembered again meanwhile."""

from __future__ import annotations

from clienteling.engine.models import KeyValue
from clienteling.engine.services.refetch import KEY, RefetchService
from tests.conftest import World
from tests.internals import context_of, database_of


def test_forget_keeps_a_record_remembered_again_after_it_was_read(world: World) -> None:
    refetch = RefetchService(context_of(world.cl))
    assert refetch.remembered() == {}
    refetch.remember({("profile", "p1"), ("benefit", "b1")})
    read = refetch.remembered()
    assert set(read) == {("profile", "p1"), ("benefit", "b1")}
    # Another process pushes a change to p1 and remembers it again, and a new record, while
    # this one reads the first list back from the hub.
    refetch.remember({("profile", "p1"), ("reward", "r1")})
    refetch.forget(read)
    assert set(refetch.remembered()) == {("profile", "p1"), ("reward", "r1")}
    refetch.forget(refetch.remembered())
    assert refetch.remembered() == {}
    with context_of(world.cl).reading() as s:
        assert s.get(KeyValue, KEY) is None  # an empty list is no row at all


def test_a_list_written_before_marks_is_read_and_forgotten(world: World) -> None:
    with database_of(world.cl).write() as s:
        s.add(KeyValue(key=KEY, value=[["profile", "p1"], ["benefit", "b1"]]))
    refetch = RefetchService(context_of(world.cl))
    read = refetch.remembered()
    assert read == {("profile", "p1"): "", ("benefit", "b1"): ""}
    refetch.forget(read)
    assert refetch.remembered() == {}
