"""Change notices (SPEC §5 panels refresh what changed): typed areas from one entity-type map,
the origin of the change, and listeners that cannot make a committed change look failed."""

from __future__ import annotations

import logging

import pytest

from clienteling.engine.changes import Area, Changes, areas_of
from tests.conftest import World
from tests.engine.support import give_reward, make_definition, make_profile, make_reward_definition


def test_a_listener_that_raises_does_not_fail_the_change(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    heard: list[Changes] = []

    def broken(_: Changes) -> None:
        raise RuntimeError("panel went away")

    world.cl.subscribe(broken)
    world.cl.subscribe(heard.append)
    with caplog.at_level(logging.ERROR, logger="clienteling.engine.context"):
        jane = make_profile(world, first_name="Jane")  # returns: the change stands
    assert world.cl.profiles.get(jane.id).first_name == "Jane"
    assert heard == [Changes(frozenset({Area.PROFILE}), frozenset({jane.id}), "local")]
    [logged] = [r for r in caplog.records if "listener" in r.getMessage()]
    assert logged.exc_info is not None and "panel went away" in str(logged.exc_info[1])


def test_areas_come_from_the_entity_types_touched(world: World) -> None:
    heard: list[Changes] = []
    world.cl.subscribe(heard.append)
    jane = make_profile(world)
    rd = make_reward_definition(world)
    give_reward(world, rd, jane, "10.00")
    world.cl.rewards.redeem_amount(world.associate, jane.id, "5.00")
    make_definition(world)
    assert [c.areas for c in heard] == [
        {Area.PROFILE}, {Area.DEFINITIONS}, {Area.REWARDS}, areas_of(["redemption"]),
        {Area.DEFINITIONS}]
    assert all(c.origin == "local" for c in heard)
    # a StrEnum: code comparing with the plain names keeps working
    assert "rewards" in heard[2].areas and Area.REWARDS == "rewards"


def test_unknown_entity_types_feed_no_area() -> None:
    assert areas_of(["device_token"]) == frozenset()
    assert areas_of(["benefit", "reward"]) == {Area.BENEFITS, Area.CLAIMABLE, Area.REWARDS}
