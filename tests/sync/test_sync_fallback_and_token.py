"""A hub without ``POST /sync/push`` gets one call per entry (same headers and keys); a
revoked token stops sync with words for the status bar and no retry storm (issue 8,
must-show 10: the requests are counted at the hub)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from clienteling.sync.client import TOKEN_REJECTED
from clienteling.sync.cycle import run_cycle
from tests.sync.conftest import SyncWorld
from tests.sync.support import digests, stock


def without_push(app: ASGIApp) -> ASGIApp:
    """The hub as an API with only the single calls: ``/sync/push`` is not found."""
    not_found = JSONResponse({"message": "Not Found"}, status_code=404)

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/v3/sync/push":
            await not_found(scope, receive, send)
            return
        await app(scope, receive, send)

    return serve


def test_without_batch_push_each_entry_is_its_own_call(make_world: Any) -> None:
    sw: SyncWorld = make_world(without_push)
    shop = stock(sw)
    a, b = sw.till("a"), sw.till("b")
    for till in (a, b):
        assert run_cycle(till, sw.client()).error is None
    pid, last = shop.profile_ids[0], shop.last_use_benefit
    for till in (a, b):
        ava, max_ = sw.actor(till, "associate"), sw.actor(till, "manager")
        till.benefits.redeem(ava, pid, last)
        till.rewards.issue(max_, {"profile_id": pid, "reward_definition_id": shop.sorry_id,
                                  "value_initial": "5.00", "reason": "sorry"})
        till.profiles.update(ava, shop.profile_ids[1], {"mobile_phone": "+61 400 000 222"})
    before = sw.running.counting.paths.copy()
    first, second = run_cycle(a, sw.client()), run_cycle(b, sw.client())
    assert (first.pushed, first.conflicts) == (3, 0)
    assert (second.pushed, second.conflicts) == (2, 1)
    [conflict] = b.outbox.conflicts()
    assert conflict.last_code == "exhausted"
    calls = sw.running.counting.paths - before
    assert calls["/api/v3/sync/push"] == 2           # asked once per cycle, answered 404
    assert calls[f"/api/v3/profiles/{pid}/benefits/{last}/redeem"] == 2, calls
    assert calls["/api/v3/profiles/" + shop.profile_ids[1]] == 2, calls
    run_cycle(a, sw.client())
    assert digests(a) == digests(b) == digests(sw.till_view)


def test_a_revoked_token_stops_sync_without_a_retry_storm(sync_world: SyncWorld) -> None:
    sw = sync_world
    shop = stock(sw)
    devices = sw.hub.cl.devices
    token, row = devices.create_token(None, {"store_id": sw.world.store_id, "name": "Till 9"})
    till = sw.till("t")
    client = sw.client(token)
    assert run_cycle(till, client).error is None
    till.benefits.redeem(sw.actor(till, "associate"), shop.profile_ids[0], shop.benefit_ids[0])
    sw.hub.devices.revoke(None, row.id)

    counting = sw.running.counting
    before = counting.total
    report = run_cycle(till, client)
    assert report.token_rejected and report.error == TOKEN_REJECTED and report.waiting == 1
    assert counting.total - before == 1, counting.paths   # one request, not retried
    # The status bar's cycle every 30 s: nothing reaches the hub while the back-off runs.
    for _ in range(20):
        again = run_cycle(till, client)
        assert again.token_rejected and again.error == TOKEN_REJECTED
    assert counting.total - before == 1
    # After the back-off one request tries again, and the back-off doubles.
    sw.clock.advance(timedelta(seconds=31))
    assert run_cycle(till, client).token_rejected
    assert counting.total - before == 2
    sw.clock.advance(timedelta(seconds=31))
    assert run_cycle(till, client).token_rejected
    assert counting.total - before == 2                   # 60 s now
    sw.clock.advance(timedelta(seconds=30))
    run_cycle(till, client)
    assert counting.total - before == 3
    # A new token (an admin re-enrolled the till) syncs at once; nothing was lost.
    fresh = run_cycle(till, sw.client())
    assert fresh.error is None and fresh.pushed == 1 and not fresh.token_rejected
    assert digests(till) == digests(sw.till_view)


def test_a_push_over_the_hubs_size_limit_is_split_in_order(sync_world: SyncWorld) -> None:
    """Twenty edits of twenty customers, each with ~60 KB of attributes, make one batch over
    the hub's 1 MiB (413): the pusher halves it until each push fits, and every entry is
    applied once."""
    sw = sync_world
    shop = stock(sw, profiles=20)
    till = sw.till("t")
    assert run_cycle(till, sw.client()).error is None
    ava = sw.actor(till, "associate")
    for n, pid in enumerate(shop.profile_ids):
        till.profiles.update(ava, pid, {"first_name": f"N{n:02d}",
                                        "attributes": {"note": "x" * 60_000}})
    before = sw.running.counting.paths["/api/v3/sync/push"]
    report = run_cycle(till, sw.client())
    assert (report.pushed, report.waiting, report.conflicts) == (20, 0, 0), report
    # 20 entries (> 1 MiB) refused, then 10 + 10 (~600 KB each) applied.
    assert sw.running.counting.paths["/api/v3/sync/push"] - before == 3
    assert [sw.hub.cl.profiles.get(p).first_name for p in shop.profile_ids] == [
        f"N{n:02d}" for n in range(20)]
    assert digests(till) == digests(sw.till_view)
