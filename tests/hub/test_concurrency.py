"""Must-show 2: limits hold under concurrent clients, on SQLite and PostgreSQL.

16 clients (threads, each with its own httpx client and connection) race over real HTTP:
a benefit definition with ``max_global_redemptions`` 5 gives exactly 5 redemptions and 11
``global_limit_reached`` refusals; concurrent reward redemptions on one profile never take
its balance below zero and always add up.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from tests.hub.conftest import World
from tests.hub.support import balance, benefit_definition, issue, ok, profile, reward, reward_definition

# Part of SPEC §9's reliability suite (tests/reliability/__init__.py lists it; -m reliability).
pytestmark = pytest.mark.reliability

CLIENTS = 16


def _race(world: World, send: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    clients = [world.as_("associate") for _ in range(CLIENTS)]
    for c in clients:  # open every connection (and verify the token) before the start line
        ok(c.get("/health"))
    start = threading.Barrier(CLIENTS)

    def run(i: int) -> httpx.Response:
        start.wait()
        return send(clients[i], i)

    with ThreadPoolExecutor(CLIENTS) as pool:
        return list(pool.map(run, range(CLIENTS)))


def _outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str | None]]:
    return Counter((r.status_code, r.json().get("code") if r.status_code >= 400 else None)
                   for r in responses)


def test_16_clients_redeeming_a_global_limit_of_5_get_exactly_5(world: World) -> None:
    admin, manager = world.as_("admin"), world.as_("manager")
    d = benefit_definition(admin, max_global_redemptions=5, max_redemptions=1)
    held = []
    for _ in range(CLIENTS):
        pid = profile(admin)["id"]
        held.append((pid, issue(manager, d["id"], pid)["id"]))

    responses = _race(world, lambda c, i: c.post(
        f"/profiles/{held[i][0]}/benefits/{held[i][1]}/redeem", json={}))

    assert _outcomes(responses) == {(201, None): 5, (400, "global_limit_reached"): 11}, [
        r.text for r in responses]
    after = ok(admin.get(f"/benefits/definitions/{d['id']}"))["data"]
    assert after["total_global_redemptions"] == 5
    winners = {r.json()["data"]["items"][0]["id"] for r in responses if r.status_code == 201}
    remaining = {b: ok(admin.get(f"/benefits/{b}"))["data"]["redemptions_remaining"] for _, b in held}
    assert {b for b, left in remaining.items() if left == 0} == winners
    assert ok(admin.get("/redemptions"))["meta"]["total"] == 5


def test_16_clients_claim_and_redeem_a_global_limit_of_5(world: World) -> None:
    admin = world.as_("admin")
    d = benefit_definition(admin, is_claimable=True, max_global_redemptions=5, max_redemptions=1)
    pids = [profile(admin)["id"] for _ in range(CLIENTS)]

    responses = _race(world, lambda c, i: c.post(
        f"/profiles/{pids[i]}/benefits/claim-redeem", json={"definition": d["handle"]}))

    assert _outcomes(responses) == {(201, None): 5, (400, "global_limit_reached"): 11}, [
        r.text for r in responses]
    assert ok(admin.get(f"/benefits/definitions/{d['id']}"))["data"]["total_global_redemptions"] == 5
    holders = [p for p in pids if ok(admin.get(f"/profiles/{p}/benefits"))["meta"]["total"]]
    assert len(holders) == 5  # C3: a claim whose redeem failed leaves no instance behind


def test_concurrent_reward_redemptions_never_overdraw_a_balance(world: World) -> None:
    admin, manager = world.as_("admin"), world.as_("manager")
    pid = profile(admin)["id"]
    rd = reward_definition(admin)
    for value in ("40.00", "35.00", "25.00"):
        reward(manager, rd["id"], pid, value)
    start_balance = Decimal(balance(admin, pid))
    amounts = [Decimal(a) for a in ("7.35", "12.50", "3.10", "15.00", "9.99", "20.00", "1.01",
                                    "11.11", "5.55", "18.40", "2.22", "13.13", "6.66", "10.00",
                                    "4.44", "8.88")]
    assert sum(amounts) > start_balance  # not all of them can succeed

    responses = _race(world, lambda c, i: c.post(f"/profiles/{pid}/redeem",
                                                 json={"amount": str(amounts[i])}))

    won = [Decimal(r.json()["data"]["total"]) for r in responses if r.status_code == 201]
    lost = [r for r in responses if r.status_code != 201]
    assert won and all(r.status_code == 400 and r.json()["code"] == "over_balance" for r in lost)
    assert sum(won) <= start_balance
    final = Decimal(balance(admin, pid))
    assert final >= 0 and final == start_balance - sum(won)
    rewards = ok(admin.get(f"/profiles/{pid}/rewards"))["data"]
    assert all(Decimal(r["value_remaining"]) >= 0 for r in rewards)
    assert sum(Decimal(r["value_remaining"]) for r in rewards) == final
    history = ok(admin.get(f"/profiles/{pid}/redemptions", params={"page[size]": 100}))["data"]
    assert sorted(Decimal(h["total"]) for h in history) == sorted(won)
    for h in history:  # each redemption's items add up to its total
        assert sum(Decimal(i["value"]) for i in h["items"]) == Decimal(h["total"])
