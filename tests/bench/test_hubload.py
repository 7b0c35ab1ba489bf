"""``clienteling bench``'s hub part (issue 10, SPEC §8): redeems per second from 8 clients
against ``clienteling hub serve`` on SQLite and PostgreSQL, the checks that no cap was
exceeded and every balance is exact, and one redeem at a till against the same redeem as a
hub call. Tiny sizes; speeds are reported, never asserted."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from clienteling.bench import hubload
from clienteling.bench.hubserver import API, Seeded, hub_server
from clienteling.bench.run import FULL_PROFILES, BenchRun, Sizes
from clienteling.engine.models import Benefit, Redemption, RedemptionItem
from clienteling.engine.services import Clienteling
from tests.hub.conftest import _conninfo, pg_server_or_skip, quick_hashes
from tests.internals import context_of

__all__ = ["quick_hashes"]

SCALE = 40
CELLS = [f"hub_redeem_rps_{b}_{k}" for b in ("sqlite", "postgres") for k in ("benefit", "amount")]


def bench_run(tmp_path: Path, pg_url: str | None) -> BenchRun:
    return BenchRun(scale=SCALE, sizes=Sizes.at(SCALE), db_path=tmp_path / "unused.db",
                    workdir=tmp_path, pg_url=pg_url, progress=lambda _message: None)


@pytest.fixture
def pg_server() -> str:
    return pg_server_or_skip().render_as_string(hide_password=False)


def bench_databases(pg_url: str) -> set[str]:
    import psycopg

    with psycopg.connect(**_conninfo(make_url(pg_url)), autocommit=True) as conn:
        return {row[0] for row in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE 'clienteling_bench_%'")}


def test_sizes_follow_the_scale() -> None:
    full = hubload.HubSizes.at(FULL_PROFILES)
    assert (full.benefit_requests, full.amount_requests, full.sequential) == (2000, 1000, 200)
    small = hubload.HubSizes.at(20_000)
    assert (small.benefit_requests, small.amount_requests) == (300, 150)


def test_measure_every_cell_on_both_backends(tmp_path: Path, pg_server: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    real_database = hubload.hub_database

    @contextmanager
    def recorded(*args: Any) -> Iterator[str]:
        with real_database(*args) as url:
            made.append(url)
            yield url

    monkeypatch.setattr(hubload, "hub_database", recorded)
    run = bench_run(tmp_path, pg_server)
    out = hubload.measure(run)

    assert run.skipped == {}
    for key in [*CELLS, "hub_redeem_rps", "local_redeem_p50_ms", "hub_redeem_p50_ms"]:
        assert isinstance(out[key], float) and out[key] > 0, key
    assert out["hub_redeem_rps"] == min(out[key] for key in CELLS)
    assert out["hub_caps_held"] is True and out["hub_check_failures"] == []
    sizes = hubload.HubSizes.at(SCALE)
    cap = (sizes.benefit_requests // 2) * 3 // 4
    balance = max(1, sizes.amount_requests // sizes.profiles * 4 // 5)
    for backend in ("sqlite", "postgres"):
        benefit, amount = out["hub_cells"][f"{backend}_benefit"], out["hub_cells"][f"{backend}_amount"]
        assert benefit["requests"] == sizes.benefit_requests
        assert amount["requests"] == sizes.amount_requests
        # The clients raced past the cap: exactly the cap's worth of the capped half won.
        assert benefit["successes"] == cap + sizes.benefit_requests // 2
        assert sum(benefit["refusals"].values()) == sizes.benefit_requests // 2 - cap
        # And drew every balance down to nothing, the rest refused.
        assert amount["successes"] == balance * sizes.profiles
        assert sum(amount["refusals"].values()) == sizes.amount_requests - amount["successes"]
    # The throwaway PostgreSQL database is gone, and so is the SQLite one.
    pg_names = {make_url(url).database for url in made if url.startswith("postgresql")}
    assert len(pg_names) == 1 and not pg_names & bench_databases(pg_server)
    assert not any(Path(make_url(url).database or "").exists()
                   for url in made if url.startswith("sqlite"))


def test_a_wrong_balance_or_count_makes_caps_held_false_and_numbers_stay(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the load, the hub's database is changed behind the clients' backs: a reward
    issued that none of them saw, and one capped redemption voided. The checks read the
    real database, so both show; the speeds are reported all the same. Without PostgreSQL
    its cells are null with a reason."""
    real_read: Callable[[str, Seeded], hubload.HubState] = hubload.read_hub

    def tamper_then_read(url: str, world: Seeded) -> hubload.HubState:
        with Clienteling.open(url, mode="hub") as cl:
            admin = cl.staff.sign_in("bench-admin", "905238")
            dollars = cl.definitions.reward_definition("bench-dollars")
            cl.rewards.issue(admin, {"profile_id": world.holdings[0].profile_id,
                                     "reward_definition_id": dollars.id,
                                     "value_initial": "5.00", "reason": "behind their backs"})
            with context_of(cl).reading() as s:
                capped = s.scalars(
                    select(Redemption.id)
                    .join(RedemptionItem, RedemptionItem.redemption_id == Redemption.id)
                    .join(Benefit, Benefit.id == RedemptionItem.item_id)
                    .where(Benefit.benefit_definition_id == world.capped_definition_id)).first()
            assert capped is not None
            cl.rewards.void(admin, capped)
        return real_read(url, world)

    monkeypatch.setattr(hubload, "read_hub", tamper_then_read)
    run = bench_run(tmp_path, None)
    out = hubload.measure(run)

    assert out["hub_caps_held"] is False
    failures = " | ".join(out["hub_check_failures"])
    assert "reward balances are not issued − redeemed" in failures
    assert "the capped definition's counts differ" in failures
    assert "exceeded" not in failures
    for key in ("hub_redeem_rps_sqlite_benefit", "hub_redeem_rps_sqlite_amount",
                "local_redeem_p50_ms", "hub_redeem_p50_ms"):
        assert isinstance(out[key], float) and out[key] > 0, key
    assert out["hub_redeem_rps"] == min(out["hub_redeem_rps_sqlite_benefit"],
                                        out["hub_redeem_rps_sqlite_amount"])
    for kind in ("benefit", "amount"):
        key = f"hub_redeem_rps_postgres_{kind}"
        assert out[key] is None and run.skipped[key]



def test_the_hub_process_is_stopped_and_a_hub_that_cannot_start_is_named(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    with hub_server(url, tmp_path / "hub.log") as hub:
        assert httpx.get(hub.base_url + API + "/health", trust_env=False).status_code == 200
        pid = hub.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

    (tmp_path / "a-file").write_text("not a folder")
    unusable = f"sqlite:///{tmp_path / 'a-file' / 'hub.db'}"
    with pytest.raises(RuntimeError, match="the hub exited") as failed, \
            hub_server(unusable, tmp_path / "bad.log"):
        pass
    assert str(tmp_path / "bad.log") in str(failed.value)
