"""The role table of SPEC §3.7, enforced by the engine: every forbidden (action, role) pair is
refused with PermissionDenied and changes nothing; the allowed ones go through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from clienteling.engine.errors import PermissionDenied
from clienteling.engine.permissions import Actor
from tests.conftest import World
from tests.engine.support import (
    counts,
    give_reward,
    issue,
    make_definition,
    make_profile,
    make_reward_definition,
    snapshot,
)

# Part of SPEC §9's reliability suite (tests/reliability/__init__.py lists it; -m reliability).
pytestmark = pytest.mark.reliability


@dataclass
class Scene:
    """One of everything an action can act on."""

    world: World
    profile_id: str
    other_profile_id: str
    third_profile_id: str
    definition_id: str
    benefit_id: str
    reward_definition_id: str
    reward_id: str
    redemption_id: str


@pytest.fixture
def scene(world: World) -> Scene:
    return build_scene(world)


def build_scene(world: World) -> Scene:
    d = make_definition(world, period=30, is_extendable=True, is_reassignable=True, is_claimable=True)
    rd = make_reward_definition(world, period=30, is_extendable=True, extend_days=10)
    p, q, t = make_profile(world), make_profile(world), make_profile(world)
    b = issue(world, d, p)
    reward = give_reward(world, rd, p, "50.00")
    redemption = world.cl.rewards.redeem_amount(world.associate, p.id, "5.00")
    return Scene(world, p.id, q.id, t.id, d.id, b.id, rd.id, reward.id, redemption.id)


Call = Callable[[Scene, Actor], Any]

ACTIONS: dict[str, Call] = {
    # issue a benefit manually
    "issue benefit": lambda s, a: s.world.cl.benefits.issue(
        a, {"benefit_definition_id": s.definition_id, "profile_id": s.profile_id}),
    # issue a customer-service reward
    "issue reward": lambda s, a: s.world.cl.rewards.issue(
        a, {"profile_id": s.profile_id, "reward_definition_id": s.reward_definition_id,
            "value_initial": "5.00", "reason": "sorry"}),
    # extend / expire / reassign, void a redemption
    "extend benefit": lambda s, a: s.world.cl.benefits.extend(a, s.benefit_id, days=5),
    "expire benefit": lambda s, a: s.world.cl.benefits.expire(a, s.benefit_id),
    "set benefit expiry": lambda s, a: s.world.cl.benefits.set_expiry(a, s.benefit_id, "2027-01-01"),
    "reassign benefit": lambda s, a: s.world.cl.benefits.reassign(a, s.benefit_id, s.other_profile_id),
    "extend reward": lambda s, a: s.world.cl.rewards.extend(a, s.reward_id),
    "void redemption": lambda s, a: s.world.cl.rewards.void(a, s.redemption_id),
    # delete a benefit
    "delete benefit": lambda s, a: s.world.cl.benefits.delete(a, s.benefit_id),
    # create / edit / archive definitions
    "create benefit definition": lambda s, a: s.world.cl.definitions.create_benefit_definition(
        a, {"name": "New", "handle": "new-benefit"}),
    "edit benefit definition": lambda s, a: s.world.cl.definitions.update_benefit_definition(
        a, s.definition_id, {"name": "Renamed"}),
    "archive benefit definition": lambda s, a: s.world.cl.definitions.archive_benefit_definition(
        a, s.definition_id),
    "create reward definition": lambda s, a: s.world.cl.definitions.create_reward_definition(
        a, {"name": "New", "handle": "new-reward", "type": "bonus"}),
    "edit reward definition": lambda s, a: s.world.cl.definitions.update_reward_definition(
        a, s.reward_definition_id, {"name": "Renamed"}),
    "archive reward definition": lambda s, a: s.world.cl.definitions.archive_reward_definition(
        a, s.reward_definition_id),
    # manage staff
    "create store": lambda s, a: s.world.cl.staff.create_store(
        a, {"name": "Chadstone", "timezone": "Australia/Melbourne"}),
    "create staff": lambda s, a: s.world.cl.staff.create_staff(
        a, {"username": "eve", "display_name": "Eve", "role": "admin", "store_id": s.world.store_id,
            "pin": "111111"}),
}

MANAGER_AND_UP = ("issue benefit", "issue reward", "extend benefit", "expire benefit",
                  "set benefit expiry", "reassign benefit", "extend reward", "void redemption")
ADMIN_ONLY = ("delete benefit", "create benefit definition", "edit benefit definition",
              "archive benefit definition", "create reward definition", "edit reward definition",
              "archive reward definition", "create store", "create staff")
assert set(MANAGER_AND_UP) | set(ADMIN_ONLY) == set(ACTIONS)

FORBIDDEN = [(action, "associate") for action in MANAGER_AND_UP + ADMIN_ONLY] + [
    (action, "manager") for action in ADMIN_ONLY]
ALLOWED = [(action, "manager") for action in MANAGER_AND_UP] + [
    (action, "admin") for action in MANAGER_AND_UP + ADMIN_ONLY]

# Everyone may: view, create/edit profiles, claim, claim-and-redeem, redeem, redeem reward dollars.
EVERYONE: dict[str, Call] = {
    "view": lambda s, a: s.world.cl.overview(s.profile_id),
    "create profile": lambda s, a: s.world.cl.profiles.create(a, {"first_name": "A", "last_name": "B"}),
    "edit contact details": lambda s, a: s.world.cl.profiles.update(
        a, s.profile_id, {"email": "olivia@example.com"}),
    "claim": lambda s, a: s.world.cl.benefits.claim(a, s.other_profile_id, s.definition_id),
    "claim and redeem": lambda s, a: s.world.cl.benefits.claim_and_redeem(
        a, s.third_profile_id, s.definition_id),
    "redeem benefit": lambda s, a: s.world.cl.benefits.redeem(a, s.profile_id, s.benefit_id),
    "redeem by definition": lambda s, a: s.world.cl.benefits.redeem_by_definition(
        a, s.profile_id, s.definition_id),
    "redeem reward dollars": lambda s, a: s.world.cl.rewards.redeem_amount(a, s.profile_id, "1.00"),
}


@pytest.mark.parametrize(("action", "role"), FORBIDDEN, ids=[f"{r}-{a}" for a, r in FORBIDDEN])
def test_roles_forbidden_pairs_are_refused_and_change_nothing(scene: Scene, action: str, role: str) -> None:
    world = scene.world
    before_counts = counts(world)
    before = snapshot(world)
    with pytest.raises(PermissionDenied) as info:
        ACTIONS[action](scene, world.actor(role))
    assert info.value.role == role
    assert counts(world) == before_counts
    assert snapshot(world) == before


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_roles_allowed_pairs_go_through(world: World, role: str) -> None:
    for action, allowed_role in ALLOWED:
        if allowed_role == role:
            scene = build_scene(world)
            before = snapshot(world)
            ACTIONS[action](scene, world.actor(role))
            assert snapshot(world) != before, action


@pytest.mark.parametrize("role", ["associate", "manager", "admin"])
def test_roles_everyone_may_serve_a_customer(scene: Scene, role: str) -> None:
    actor = scene.world.actor(role)
    for name, call in EVERYONE.items():
        assert call(scene, actor) is not None, name


def test_roles_manager_override_lifts_an_associate_to_manager_not_admin(scene: Scene) -> None:
    world = scene.world
    acting = world.associate.with_override(world.manager)
    ACTIONS["void redemption"](scene, acting)
    before = snapshot(world)
    with pytest.raises(PermissionDenied):
        ACTIONS["delete benefit"](scene, acting)
    assert snapshot(world) == before
