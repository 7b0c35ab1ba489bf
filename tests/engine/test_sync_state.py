"""The till's sync state goes through the engine (issue 15): ``cl.sync_state``."""

from __future__ import annotations

import threading

import pytest

from clienteling.engine.errors import PermissionDenied, ValidationError
from clienteling.engine.services import Clienteling
from clienteling.engine.services.sync_state import HUB_URL, REFETCH
from tests.conftest import World


def test_values_round_trip_and_none_removes(world: World) -> None:
    state = world.cl.sync_state
    assert state.get("sync.x") is None
    state.put("sync.x", {"a": [1, 2]})
    assert state.get("sync.x") == {"a": [1, 2]}
    state.put("sync.x", None)
    assert state.get("sync.x") is None
    assert state.last_synced_at() is None


def test_update_reads_and_writes_in_one_transaction(world: World) -> None:
    """Two writers adding to one list both land: no lost update."""
    state = world.cl.sync_state

    def add(key: list[str]) -> None:
        for _ in range(20):
            state.update(REFETCH, lambda old, key=key: sorted([*(old or []), key]))

    threads = [threading.Thread(target=add, args=(["benefit", str(n)],)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(state.get(REFETCH)) == 40


def test_connecting_is_checked_audited_and_an_empty_till_only_at_first_run(
        world: World, tmp_path: object) -> None:
    state = world.cl.sync_state
    with pytest.raises(PermissionDenied):
        state.set_hub_url(world.associate, "https://hub.example")
    assert state.set_hub_url(world.manager, " https://hub.example/ ") == "https://hub.example"
    assert state.hub_url() == "https://hub.example"
    # A till with staff is connected by someone signed in, never by the first-run path.
    with pytest.raises(PermissionDenied):
        state.connect_empty_till("https://other.example")
    assert state.hub_url() == "https://hub.example"


def test_an_empty_till_connects_at_first_run(tmp_path: object) -> None:
    with Clienteling.open(f"sqlite:///{tmp_path}/empty.db") as cl:
        with pytest.raises(ValidationError):
            cl.sync_state.connect_empty_till("hub.example")
        assert cl.sync_state.connect_empty_till("https://hub.example/") == "https://hub.example"
        assert cl.sync_state.get(HUB_URL) == "https://hub.example"
