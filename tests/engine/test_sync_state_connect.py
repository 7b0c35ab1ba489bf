"""``cl.sync_state.connect``: saving a connection the hub proved (issue 16, SPEC §6): who may,
to which store's token, in one audited transaction that ends a "token rejected" back-off and
keeps the outbox."""

from __future__ import annotations

import pytest

from clienteling.engine.errors import PermissionDenied, ValidationError
from clienteling.engine.services import Clienteling
from clienteling.engine.services.sync_state import REJECTED
from tests.conftest import World
from tests.engine.support import audit_events, make_profile, outbox

URL = "https://hub.example"


def test_a_manager_connects_to_a_token_of_their_store_only(world: World) -> None:
    state = world.cl.sync_state
    with pytest.raises(PermissionDenied):
        state.connect(world.associate, URL, store_id=world.store_id, device="Till 1")
    with pytest.raises(ValidationError) as wrong:
        state.connect(world.manager, URL, store_id="another-store", device="Till 9")
    assert "token" in wrong.value.errors
    assert state.hub_url() is None
    assert state.connect(world.manager, URL + "/", store_id=world.store_id,
                         device="Till 1") == URL
    event = audit_events(world)[-1]
    assert (event.action, event.staff_id) == ("settings.hub_url", world.manager.staff_id)
    assert event.meta == {"device": "Till 1", "store_id": world.store_id, "by": "staff"}


def test_an_admin_reconnects_too_but_never_to_another_stores_till(world: World) -> None:
    """Issue 16: managers, and admins (on an admin device), reconnect; an admin's role does
    not switch a device that serves one store's staff to another store's token."""
    state = world.cl.sync_state
    make_profile(world)
    waiting = len(outbox(world))
    with pytest.raises(ValidationError) as wrong:
        state.connect(world.admin, URL, store_id="another-store", device="Back office 2")
    assert "another store" in wrong.value.errors["token"][0]
    assert state.hub_url() is None
    assert state.connect(world.admin, URL, store_id=world.store_id, device="Back office") == URL
    event = audit_events(world)[-1]
    assert (event.action, event.staff_id) == ("settings.hub_url", world.admin.staff_id)
    assert len(outbox(world)) == waiting


def test_the_tills_own_set_up_keeps_its_store_and_its_waiting_changes(world: World) -> None:
    state = world.cl.sync_state
    make_profile(world)
    waiting = len(outbox(world))
    assert waiting
    state.put(REJECTED, {"token": "old", "at": "x", "until": "y", "wait": 30})
    # Without anyone signed in, a till with its store's staff takes no other store's token.
    with pytest.raises(ValidationError):
        state.connect(None, URL, store_id="another-store", device="Till 9")
    assert state.connect(None, URL, store_id=world.store_id, device="Till 1 again") == URL
    assert state.get(REJECTED) is None
    assert len(outbox(world)) == waiting
    assert audit_events(world)[-1].meta["by"] == "till token"


def test_an_empty_till_takes_any_stores_token(tmp_path: object) -> None:
    with Clienteling.open(f"sqlite:///{tmp_path}/empty.db") as cl:
        with pytest.raises(ValidationError):
            cl.sync_state.connect(None, "hub.example", store_id="s", device="Till 1")
        assert cl.sync_state.connect(None, URL, store_id="s", device="Till 1") == URL
