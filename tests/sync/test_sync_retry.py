"""A hub that answers 5xx: the entries go back to pending with a back-off, are not sent
again before it has passed, and are then applied exactly once under their own keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from clienteling.sync.cycle import run_cycle
from tests.sync.conftest import SyncWorld
from tests.sync.support import digests, stock


class Failing:
    """Answers 503 to the next ``fail`` pushes, before they reach the hub."""

    def __init__(self) -> None:
        self.fail = 0

    def __call__(self, app: ASGIApp) -> ASGIApp:
        busy = JSONResponse({"message": "Busy", "code": "busy"}, status_code=503)

        async def serve(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] == "/api/v3/sync/push" and self.fail:
                self.fail -= 1
                await busy(scope, receive, send)
                return
            await app(scope, receive, send)

        return serve


def test_a_failing_hub_gets_the_same_entries_again_after_a_back_off(make_world: Any) -> None:
    failing = Failing()
    sw: SyncWorld = make_world(failing)
    shop = stock(sw)
    till = sw.till("t")
    assert run_cycle(till, sw.client()).error is None
    ava = sw.actor(till, "associate")
    till.benefits.redeem(ava, shop.profile_ids[0], shop.benefit_ids[0])
    till.profiles.update(ava, shop.profile_ids[1], {"first_name": "Retried"})
    keys = [e.idempotency_key for e in till.outbox.pending()]
    pushes = sw.running.counting.paths

    failing.fail = 3
    start = pushes["/api/v3/sync/push"]
    failed = run_cycle(till, sw.client())
    assert failed.online and failed.error and "HTTP 503" in failed.error
    assert (failed.pushed, failed.waiting) == (0, 2)
    assert pushes["/api/v3/sync/push"] - start == 3            # tried 3 times, then gave up
    waiting = till.outbox.pending()
    assert [e.idempotency_key for e in waiting] == keys
    assert all(e.next_attempt_at is not None and e.next_attempt_at > sw.clock.now()
               for e in waiting)

    again = run_cycle(till, sw.client())                       # within the back-off
    assert (again.pushed, again.waiting) == (0, 2)
    assert pushes["/api/v3/sync/push"] - start == 3

    sw.clock.advance(timedelta(minutes=6))                     # past the longest first wait
    done = run_cycle(till, sw.client())
    assert (done.pushed, done.waiting, done.error) == (2, 0, None)
    assert sw.hub.cl.profiles.get(shop.profile_ids[1]).first_name == "Retried"
    assert digests(till) == digests(sw.till_view)
