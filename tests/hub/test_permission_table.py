"""One permission table (issue 15, SPEC §5 manager override): the hub asks
``permissions.ALLOWED`` whose PIN authorises an override (``X-Authorised-By``), as the
engine's ``authorise_override`` and the desktop's override dialog do — changing that row
changes the hub's answer."""

from __future__ import annotations

import httpx
import pytest

from clienteling.engine.permissions import ALLOWED, Action, Role
from tests.hub.conftest import World
from tests.hub.support import ok, profile, refused, reward_definition


def test_whose_override_the_hub_takes_is_the_tables(world: World,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pid = profile(world.as_("admin"))["id"]
    rd = reward_definition(world.as_("admin"))
    overridden = world.as_("associate", **{"X-Authorised-By": world.staff["manager"]})

    def issue() -> httpx.Response:
        return overridden.post("/rewards", json={"profile_id": pid, "reward_definition_id": rd["id"],
                                                 "reason": "parcel arrived late"})

    ok(issue(), 201)
    monkeypatch.setitem(ALLOWED, Action.AUTHORISE_OVERRIDE, frozenset({Role.ADMIN}))
    body = refused(issue(), 403, "forbidden")
    assert "cannot authorise an override" in body["message"]
