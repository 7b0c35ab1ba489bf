"""Issue 9, defect 2: an ``Idempotency-Key`` is answered only after the token, the staff
member, their role and store are checked (SPEC §3.7, §7), and a key belongs to the device
and staff member that used it: the same key from another till or another staff member is
not a replay of theirs (it can neither read their answer nor be refused as a mismatch).

Before the fix the stored response was returned before any of those checks: an associate
replaying an admin's key got the admin's 201, and store B's token with no staff header got
store A's reward back.
"""

from __future__ import annotations

from typing import Any

from tests.hub.conftest import World, new_key
from tests.hub.support import ok, profile, refused, reward_definition


def _issue_body(world: World) -> dict[str, Any]:
    admin = world.as_("admin")
    return {"profile_id": profile(admin)["id"],
            "reward_definition_id": reward_definition(admin)["id"], "value_initial": "20.00",
            "timezone": "Australia/Melbourne", "reason": "apology for a late order"}


def _rewards_of(world: World, pid: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = ok(world.as_("admin").get(f"/profiles/{pid}/rewards"))["data"]
    return data


def test_a_replay_checks_the_role_first(world: World) -> None:
    body, key = _issue_body(world), new_key()
    first = world.as_("admin", **{"Idempotency-Key": key}).post("/rewards", json=body)
    assert first.status_code == 201

    denied = world.as_("associate", **{"Idempotency-Key": key}).post("/rewards", json=body)

    refused(denied, 403, "forbidden")
    assert "idempotent-replayed" not in denied.headers
    assert len(_rewards_of(world, body["profile_id"])) == 1
    # The admin's own repeat is still a replay of the first answer.
    again = world.as_("admin", **{"Idempotency-Key": key}).post("/rewards", json=body)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


def test_a_replay_checks_the_token_staff_and_store_first(world: World) -> None:
    body, key = _issue_body(world), new_key()
    ok(world.as_("admin", **{"Idempotency-Key": key}).post("/rewards", json=body), 201)
    live = world.live

    no_staff = live.client(world.other_token, **{"Idempotency-Key": key}).post("/rewards",
                                                                              json=body)
    refused(no_staff, 401, "staff_required")
    no_token = live.client(None, world.staff["admin"], **{"Idempotency-Key": key})
    refused(no_token.post("/rewards", json=body), 401)
    bad_token = live.client("not-a-token", world.staff["admin"], **{"Idempotency-Key": key})
    refused(bad_token.post("/rewards", json=body), 401)
    # Store A's manager on store B's till: another store.
    wrong_store = live.client(world.other_token, world.staff["manager"],
                              **{"Idempotency-Key": key})
    refused(wrong_store.post("/rewards", json=body), 403, "wrong_store")
    unknown = live.client(world.token, "no-such-staff", **{"Idempotency-Key": key})
    refused(unknown.post("/rewards", json=body), 401, "unknown_staff")
    assert len(_rewards_of(world, body["profile_id"])) == 1


def test_a_key_belongs_to_its_device_and_staff_member(world: World) -> None:
    body, key = _issue_body(world), new_key()
    first = world.as_("admin", **{"Idempotency-Key": key}).post("/rewards", json=body)
    assert first.status_code == 201

    # Store B's manager on store B's till, same key and body: a request of their own.
    theirs = world.live.client(world.other_token, world.other_manager,
                               **{"Idempotency-Key": key})
    other = theirs.post("/rewards", json=body)
    assert other.status_code == 201 and "idempotent-replayed" not in other.headers
    assert other.json()["data"]["id"] != first.json()["data"]["id"]
    # Another staff member on the same till, same key, another body: theirs too, not a
    # mismatch with the admin's request.
    smaller = dict(body, value_initial="5.00")
    manager = world.as_("manager", **{"Idempotency-Key": key})
    mine = manager.post("/rewards", json=smaller)
    assert mine.status_code == 201 and "idempotent-replayed" not in mine.headers
    assert mine.json()["data"]["value_initial"] == "5.00"
    # Each of them now replays their own answer, not the admin's.
    again = theirs.post("/rewards", json=body)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == other.json()
    again = manager.post("/rewards", json=smaller)
    assert again.headers["idempotent-replayed"] == "true" and again.json() == mine.json()
    assert len(_rewards_of(world, body["profile_id"])) == 3
    # Within one device and staff member's scope another body is still a mismatch (422).
    mismatch = world.as_("admin", **{"Idempotency-Key": key}).post("/rewards", json=smaller)
    assert list(refused(mismatch, 422)["errors"]) == ["Idempotency-Key"]
    assert len(_rewards_of(world, body["profile_id"])) == 3


def test_the_same_key_on_two_tills_for_one_staff_member_is_two_requests(world: World) -> None:
    """A manager may act on their store's till and its admin device; each device's key is its
    own."""
    body, key = _issue_body(world), new_key()
    here = world.as_("manager", **{"Idempotency-Key": key}).post("/rewards", json=body)
    there = world.live.client(world.admin_token, world.staff["manager"],
                              **{"Idempotency-Key": key}).post("/rewards", json=body)
    assert here.status_code == there.status_code == 201
    assert "idempotent-replayed" not in there.headers
    assert here.json()["data"]["id"] != there.json()["data"]["id"]
