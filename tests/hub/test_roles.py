"""Must-show 1 (roles): SPEC §3.7's table tried as associate, manager and admin through
``X-Staff-Id`` — every refusal is a 403 that changes nothing, every permission works."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.hub.conftest import World, unique
from tests.hub.support import benefit_definition, issue, ok, profile, refused, reward, reward_definition

# Part of SPEC §9's reliability suite (tests/reliability/__init__.py lists it; -m reliability).
pytestmark = pytest.mark.reliability

ALL = {"associate", "manager", "admin"}
MANAGERS = {"manager", "admin"}
ADMINS = {"admin"}

Request = Callable[[httpx.Client], httpx.Response]


def _cases(world: World) -> list[tuple[str, set[str], Callable[[], Request]]]:
    """(action, roles allowed, a factory making fresh records and returning the request)."""
    admin, manager = world.as_("admin"), world.as_("manager")

    def fresh_benefit(**fields: Any) -> tuple[str, dict[str, Any]]:
        pid = profile(admin)["id"]
        d = benefit_definition(admin, **fields)
        return pid, issue(manager, d["id"], pid)

    def view() -> Request:
        pid = profile(admin)["id"]
        return lambda c: c.get(f"/profiles/{pid}")

    def create_profile() -> Request:
        return lambda c: c.post("/profiles", json={"first_name": "New", "last_name": unique("P")})

    def edit_contact() -> Request:
        pid = profile(admin)["id"]
        return lambda c: c.put(f"/profiles/{pid}", json={"mobile_phone": "+61 400 111 222"})

    def claim() -> Request:
        pid = profile(admin)["id"]
        d = benefit_definition(admin, is_claimable=True)
        return lambda c: c.post(f"/profiles/{pid}/benefits/claim", json={"definition": d["handle"]})

    def claim_redeem() -> Request:
        pid = profile(admin)["id"]
        d = benefit_definition(admin, is_claimable=True)
        return lambda c: c.post(f"/profiles/{pid}/benefits/claim-redeem",
                                json={"definition": d["handle"]})

    def redeem_benefit() -> Request:
        pid, b = fresh_benefit()
        return lambda c: c.post(f"/profiles/{pid}/benefits/{b['id']}/redeem")

    def redeem_rewards() -> Request:
        pid = profile(admin)["id"]
        reward(manager, reward_definition(admin)["id"], pid, "10.00")
        return lambda c: c.post(f"/profiles/{pid}/redeem", json={"amount": "4.00"})

    def issue_benefit() -> Request:
        pid = profile(admin)["id"]
        d = benefit_definition(admin)
        return lambda c: c.post("/benefits", json={"benefit_definition_id": d["id"], "profile_id": pid})

    def issue_reward() -> Request:
        pid = profile(admin)["id"]
        rd = reward_definition(admin)
        return lambda c: c.post("/rewards", json={"profile_id": pid, "reward_definition_id": rd["id"],
                                                  "value_initial": "50.00", "reason": "sorry"})

    def extend() -> Request:
        pid, b = fresh_benefit(is_extendable=True)
        return lambda c: c.post("/benefits/extend", json={"ids": [b["id"]], "profile_id": pid,
                                                          "extend_days": 7})

    def expire() -> Request:
        _, b = fresh_benefit()
        return lambda c: c.put(f"/benefits/{b['id']}", json={"expires_at": "2026-03-01T00:00:00Z"})

    def reassign() -> Request:
        _, b = fresh_benefit(is_reassignable=True)
        other = profile(admin)["id"]
        return lambda c: c.put(f"/benefits/{b['id']}", json={"profile_id": other})

    def extend_reward() -> Request:
        pid = profile(admin)["id"]
        r = reward(manager, reward_definition(admin)["id"], pid)
        return lambda c: c.post("/rewards/extend", json={"ids": [r["id"]], "profile_id": pid})

    def void() -> Request:
        pid = profile(admin)["id"]
        reward(manager, reward_definition(admin)["id"], pid, "10.00")
        spent = ok(admin.post(f"/profiles/{pid}/redeem", json={"amount": "3.00"}), 201)["data"]
        return lambda c: c.post(f"/redemptions/{spent['id']}/reversal")

    def delete_benefit() -> Request:
        _, b = fresh_benefit()
        return lambda c: c.delete(f"/benefits/{b['id']}")

    def create_definition() -> Request:
        return lambda c: c.post("/benefits/definitions", json={"name": "D", "handle": unique("d")})

    def edit_definition() -> Request:
        d = benefit_definition(admin)
        return lambda c: c.put(f"/benefits/definitions/{d['id']}", json={"name": "Renamed"})

    def archive_definition() -> Request:
        d = benefit_definition(admin)
        return lambda c: c.put(f"/benefits/definitions/{d['id']}", json={"is_archived": True})

    def delete_definition() -> Request:
        d = benefit_definition(admin)
        return lambda c: c.delete(f"/benefits/definitions/{d['id']}")

    def create_reward_definition() -> Request:
        return lambda c: c.post("/rewards/definitions", json={"name": "R", "handle": unique("r"),
                                                             "type": "bonus"})

    def edit_reward_definition() -> Request:
        rd = reward_definition(admin)
        return lambda c: c.put(f"/rewards/definitions/{rd['id']}", json={"is_archived": True})

    return [
        ("view a profile", ALL, view),
        ("create a profile", ALL, create_profile),
        ("edit contact details", ALL, edit_contact),
        ("claim for a customer", ALL, claim),
        ("claim-and-redeem", ALL, claim_redeem),
        ("redeem a benefit", ALL, redeem_benefit),
        ("redeem reward dollars", ALL, redeem_rewards),
        ("issue a benefit manually", MANAGERS, issue_benefit),
        ("issue a customer-service reward", MANAGERS, issue_reward),
        ("extend a benefit", MANAGERS, extend),
        ("expire a benefit", MANAGERS, expire),
        ("reassign a benefit", MANAGERS, reassign),
        ("extend a reward", MANAGERS, extend_reward),
        ("void a redemption", MANAGERS, void),
        ("delete a benefit", ADMINS, delete_benefit),
        ("create a benefit definition", ADMINS, create_definition),
        ("edit a benefit definition", ADMINS, edit_definition),
        ("archive a benefit definition", ADMINS, archive_definition),
        ("delete a benefit definition", ADMINS, delete_definition),
        ("create a reward definition", ADMINS, create_reward_definition),
        ("edit or archive a reward definition", ADMINS, edit_reward_definition),
    ]


def test_each_role_is_refused_exactly_what_section_3_7_refuses_it(world: World) -> None:
    listing = world.hub.listing
    outcomes = []
    for action, allowed, make in _cases(world):
        for role in ("associate", "manager", "admin"):
            send = make()
            before = listing.last_seq()
            response = send(world.as_(role))
            if role in allowed:
                assert response.status_code in (200, 201, 204), (action, role, response.text)
                assert listing.last_seq() > before or action == "view a profile", (action, role)
            else:
                body = refused(response, 403, "forbidden")
                assert role in body["message"], body
                assert listing.last_seq() == before, f"{action} as {role} changed something"
            outcomes.append((action, role, response.status_code))
    refusals = {(a, r) for a, r, status in outcomes if status == 403}
    assert len(refusals) == 2 * 7 + 1 * 7  # associates: 14 actions; managers: 7 admin-only ones


def test_the_engine_refuses_too_when_the_hub_check_is_bypassed(world: World) -> None:
    """Defence in depth: the engine's own check (PermissionDenied) also answers 403."""
    from clienteling.engine.errors import PermissionDenied

    actor = world.hub.cl.staff.actor(world.staff["associate"])
    try:
        world.hub.cl.definitions.create_benefit_definition(actor, {"name": "X", "handle": "x"})
    except PermissionDenied as exc:
        from clienteling.hub.errors import classify

        known = classify(exc)
        assert known is not None and known[0] == 403 and known[1]["code"] == "forbidden"
    else:  # pragma: no cover - would be a security bug
        raise AssertionError("the engine let an associate create a definition")
