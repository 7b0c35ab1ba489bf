"""The hub judges a replayed change's time windows at X-Occurred-At within the offline
allowance (72 hours by default, SPEC §6), at arrival otherwise — and then says so."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from clienteling.engine.clock import FixedClock
from clienteling.engine.context import Policy
from tests.conftest import T0
from tests.hub.conftest import LiveHub, World, new_key, seed
from tests.hub.support import benefit_definition, issue, profile, refused
from tests.hub.test_sync_push import entry, push


def _one_day_benefit(world: World) -> tuple[str, str]:
    admin = world.as_("admin")
    d = benefit_definition(admin, period=1, max_redemptions=1)
    p = profile(admin)
    b = issue(admin, d["id"], p["id"])
    assert b["expires_at"] is not None
    return p["id"], b["id"]


def test_redeemed_before_expiry_and_pushed_after_it_is_accepted(world: World) -> None:
    assert world.clock is not None
    profile_id, benefit_id = _one_day_benefit(world)
    world.clock.advance(days=2)  # the benefit expired a day ago
    made = (T0 + timedelta(hours=12)).isoformat()  # 36 hours ago, while it was valid
    path = f"/profiles/{profile_id}/benefits/{benefit_id}/redeem"
    [result] = push(world.device(), [entry("POST", path, {}, X_Staff_Id=world.staff["associate"],
                                           X_Occurred_At=made)])
    assert result["status"] == "applied", result
    # Sent without X-Occurred-At (made now), the same kind of redeem is refused.
    profile_id, benefit_id = _one_day_benefit(world)
    world.clock.advance(days=2)
    body = refused(world.as_("associate").post(
        f"/profiles/{profile_id}/benefits/{benefit_id}/redeem", json={},
        headers={"Idempotency-Key": new_key()}), 400, "expired")
    assert "allowance" not in body["message"]


def test_a_change_that_waited_past_the_allowance_is_judged_at_arrival_and_says_why(
        world: World) -> None:
    assert world.clock is not None
    profile_id, benefit_id = _one_day_benefit(world)
    world.clock.advance(days=4)
    made = (T0 + timedelta(hours=12)).isoformat()  # 84 hours ago
    path = f"/profiles/{profile_id}/benefits/{benefit_id}/redeem"
    [result] = push(world.device(), [entry("POST", path, {}, X_Staff_Id=world.staff["associate"],
                                           X_Occurred_At=made)])
    assert (result["status"], result["http_status"], result["code"]) == ("refused", 400,
                                                                         "expired"), result
    message = result["message"]
    assert "expired on" in message
    assert "84 hours after it was made" in message
    assert "72-hour offline allowance" in message and "judged at its arrival" in message
    # The single call says the same.
    body = refused(world.as_("associate", **{"X-Occurred-At": made}).post(
        path, json={}, headers={"Idempotency-Key": new_key()}), 400, "expired")
    assert "84 hours after it was made" in body["message"]


def test_the_allowance_is_configurable(tmp_path: Path,
                                       start_hub: Callable[..., LiveHub]) -> None:
    clock = FixedClock(T0)
    live = start_hub(f"sqlite:///{tmp_path / 'hub.db'}", clock=clock,
                     policy=Policy(offline_allowance=timedelta(hours=100)))
    world = seed(live)
    world.clock = clock
    profile_id, benefit_id = _one_day_benefit(world)
    clock.advance(days=4)
    made = (T0 + timedelta(hours=12)).isoformat()  # 84 hours ago: within 100
    path = f"/profiles/{profile_id}/benefits/{benefit_id}/redeem"
    [result] = push(world.device(), [entry("POST", path, {}, X_Staff_Id=world.staff["associate"],
                                           X_Occurred_At=made)])
    assert result["status"] == "applied", result


def test_serve_refuses_a_nonsense_allowance(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    from tests.hub.test_cli import run

    code, _out, err = run(capsys, "hub", "serve", "--db", str(tmp_path / "hub.db"),
                          "--offline-allowance-hours", "0")
    assert code == 2 and "--offline-allowance-hours" in err
