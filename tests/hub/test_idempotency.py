"""Must-show 1 (idempotency): a repeated ``Idempotency-Key`` is applied once and answered with
the first status and body; the key with another body is a 422 naming ``Idempotency-Key``;
concurrent repeats of one key apply once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.hub.conftest import World, new_key
from tests.hub.support import (
    balance,
    benefit_definition,
    issue,
    ok,
    profile,
    refused,
    reward,
    reward_definition,
)


def _funded(world: World, amount: str = "20.00") -> str:
    admin = world.as_("admin")
    pid = profile(admin)["id"]
    reward(world.as_("manager"), reward_definition(admin)["id"], pid, amount)
    return str(pid)


def test_a_repeat_is_applied_once_and_gets_the_first_response(world: World) -> None:
    pid = _funded(world)
    key = new_key()
    till = world.as_("associate", **{"Idempotency-Key": key})
    first = till.post(f"/profiles/{pid}/redeem", json={"amount": "5.00"})
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = till.post(f"/profiles/{pid}/redeem", json={"amount": "5.00"})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert balance(till, pid) == "15.00"
    assert ok(till.get(f"/profiles/{pid}/redemptions"))["meta"]["total"] == 1

    # Creations too: one profile, whatever the number of retries.
    create = world.as_("associate", **{"Idempotency-Key": new_key()})
    bodies = [create.post("/profiles", json={"first_name": "Once", "last_name": "Only"}).json()
              for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert ok(create.get("/profiles", params={"filter[last_name]": "Only"}))["meta"]["total"] == 1

    # A delete's 204 replays as a 204.
    admin = world.as_("admin", **{"Idempotency-Key": new_key()})
    d = benefit_definition(world.as_("admin"))
    b = issue(world.as_("manager"), d["id"], pid)
    assert admin.delete(f"/benefits/{b['id']}").status_code == 204
    replay = admin.delete(f"/benefits/{b['id']}")
    assert replay.status_code == 204 and replay.headers["idempotent-replayed"] == "true"


def test_the_same_key_with_another_request_is_refused_naming_the_key(world: World) -> None:
    pid = _funded(world)
    key = new_key()
    till = world.as_("associate", **{"Idempotency-Key": key})
    ok(till.post(f"/profiles/{pid}/redeem", json={"amount": "5.00"}), 201)
    body = refused(till.post(f"/profiles/{pid}/redeem", json={"amount": "6.00"}), 422)
    assert list(body["errors"]) == ["Idempotency-Key"]
    other = _funded(world)
    body = refused(till.post(f"/profiles/{other}/redeem", json={"amount": "5.00"}), 422)
    assert list(body["errors"]) == ["Idempotency-Key"]
    assert balance(till, pid) == "15.00" and balance(till, other) == "20.00"
    body = refused(world.as_("associate", **{"Idempotency-Key": "x" * 201}).post(
        f"/profiles/{pid}/redeem", json={"amount": "1.00"}), 422)
    assert list(body["errors"]) == ["Idempotency-Key"]


def test_a_refusal_is_replayed_too_and_never_turns_into_a_late_success(world: World) -> None:
    pid = _funded(world, "5.00")
    key = new_key()
    till = world.as_("associate", **{"Idempotency-Key": key})
    first = refused(till.post(f"/profiles/{pid}/redeem", json={"amount": "8.00"}), 400,
                    "over_balance")
    reward(world.as_("manager"), reward_definition(world.as_("admin"))["id"], pid, "10.00")
    again = till.post(f"/profiles/{pid}/redeem", json={"amount": "8.00"})
    assert again.status_code == 400 and again.json() == first
    assert balance(till, pid) == "15.00"


def test_concurrent_repeats_of_one_key_apply_once(world: World) -> None:
    pid = _funded(world, "50.00")
    key = new_key()
    start = threading.Barrier(8)

    def attempt(_: int) -> httpx.Response:
        client = world.as_("associate", **{"Idempotency-Key": key})
        start.wait()
        return client.post(f"/profiles/{pid}/redeem", json={"amount": "5.00"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(attempt, range(8)))
    assert {r.status_code for r in responses} == {201}, [r.text for r in responses]
    assert len({r.text for r in responses}) == 1  # one body, the first, for everyone
    assert balance(world.as_("associate"), pid) == "45.00"
    redemptions = ok(world.as_("associate").get(f"/profiles/{pid}/redemptions"))
    assert redemptions["meta"]["total"] == 1


def test_concurrent_claims_with_one_key_leave_one_instance(world: World) -> None:
    admin = world.as_("admin")
    pid = profile(admin)["id"]
    d = benefit_definition(admin, is_claimable=True, is_reclaimable=True)
    key = new_key()
    start = threading.Barrier(6)

    def attempt(_: int) -> httpx.Response:
        client = world.as_("associate", **{"Idempotency-Key": key})
        start.wait()
        return client.post(f"/profiles/{pid}/benefits/claim", json={"definition": d["handle"]})

    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(attempt, range(6)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    assert ok(admin.get(f"/profiles/{pid}/benefits"))["meta"]["total"] == 1
