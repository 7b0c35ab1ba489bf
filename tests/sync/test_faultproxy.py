"""The fault proxy itself does what the convergence tests rely on (issue 8, must-show 3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.hub.conftest import LiveHub, new_key, quick_hashes, seed, start_hub  # noqa: F401
from tests.sync.faultproxy import FaultProxy, FaultRates

pytestmark = pytest.mark.sync_faults


@pytest.fixture
def live(tmp_path: Path, start_hub: Callable[..., LiveHub]) -> LiveHub:  # noqa: F811
    return start_hub(f"sqlite:///{tmp_path / 'hub.db'}")


def through(proxy: FaultProxy, token: str, staff_id: str) -> httpx.Client:
    return httpx.Client(base_url=proxy.url + "/api/v3", timeout=30.0,
                        headers={"Authorization": f"Bearer {token}", "X-Staff-Id": staff_id})


def test_reset_after_the_hub_applied_the_request(live: LiveHub) -> None:
    world = seed(live)
    with FaultProxy(live.base_url, seed=1, rates=FaultRates(0, 0, 0, 1.0)) as proxy, \
            through(proxy, world.token, world.staff["manager"]) as client:
        key = new_key()
        body = {"first_name": "Reset", "last_name": "After-Apply"}
        with pytest.raises(httpx.TransportError):
            client.post("/profiles", json=body, headers={"Idempotency-Key": key})
        assert proxy.counts["reset"] == proxy.counts["reset_writes"] == 1
        proxy.enabled = False
        # The hub did apply it: the same key now answers the stored response, a replay.
        again = client.post("/profiles", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201, again.text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(live.hub.cl.profiles.search("After-Apply")) == 1


def test_drop_and_error_never_reach_the_hub(live: LiveHub) -> None:
    world = seed(live)
    for rates, kind in ((FaultRates(1.0, 0, 0, 0), "drop"), (FaultRates(0, 0, 1.0, 0), "error")):
        with FaultProxy(live.base_url, seed=2, rates=rates) as proxy, \
                through(proxy, world.token, world.staff["manager"]) as client:
            body = {"first_name": "Never", "last_name": f"Arrived-{kind}"}
            if kind == "drop":
                with pytest.raises(httpx.TransportError):
                    client.post("/profiles", json=body, headers={"Idempotency-Key": new_key()})
            else:
                answer = client.post("/profiles", json=body, headers={"Idempotency-Key": new_key()})
                assert answer.status_code == 503
            assert proxy.counts[kind] == 1 and proxy.counts["forwarded"] == 0
        assert live.hub.cl.profiles.search(f"Arrived-{kind}") == []


def test_mixed_faults_are_seeded_and_counted(live: LiveHub) -> None:
    world = seed(live)

    def run(seed_: int) -> list[str]:
        outcomes = []
        with FaultProxy(live.base_url, seed=seed_) as proxy, \
                through(proxy, world.token, world.staff["manager"]) as client:
            for _ in range(120):
                try:
                    outcomes.append(str(client.get("/health").status_code))
                except httpx.TransportError as exc:
                    outcomes.append(type(exc).__name__)
            counts = proxy.counts
        assert all(counts[k] >= 1 for k in ("drop", "delay", "error", "reset")), counts
        assert counts["requests"] == 120
        assert proxy.faults / counts["requests"] >= 0.2, counts
        return outcomes

    assert run(7) == run(7)


def test_refuses_an_upstream_off_loopback() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("http://192.0.2.1:80")
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy("https://127.0.0.1:443")
