"""``clienteling bench``'s chain part (issue 19): the search for the largest passing number of
tills, and a tiny run of simulated tills against ``hub serve`` on PostgreSQL. Speeds are
reported, never asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from clienteling.bench import chainload
from clienteling.bench.chainload import ChainConfig, largest_passing
from clienteling.bench.run import BenchRun, Sizes
from tests.bench.test_hubload import bench_databases
from tests.hub.conftest import pg_server_or_skip, quick_hashes

__all__ = ["quick_hashes"]


def _search(threshold: int, **kw: int | float) -> tuple[int, list[int]]:
    asked: list[int] = []

    def probe(n: int) -> bool:
        asked.append(n)
        return n <= threshold

    found = largest_passing(probe, **{"start": 16, "limit": 4096, **kw})  # type: ignore[arg-type]
    return found, asked


def test_the_search_doubles_then_bisects_to_within_its_precision() -> None:
    found, asked = _search(300)
    assert asked[:6] == [16, 32, 64, 128, 256, 512]  # doubling to the first failure
    assert 300 * 0.9 <= found <= 300  # a pass, within 10% of the true limit
    assert all(n <= 300 for n in asked if n <= found)
    assert len(asked) <= 6 + 4


def test_the_search_is_exact_with_no_precision_and_bounded_by_its_limit() -> None:
    assert _search(300, precision=0)[0] == 300
    assert _search(1000, precision=0)[0] == 1000
    found, asked = _search(10**6, limit=100)
    assert found == 100 and asked[-1] == 100  # the limit itself is tried, never beyond
    assert max(asked) == 100


def test_the_search_goes_below_its_start_and_can_find_none() -> None:
    assert _search(5, precision=0)[0] == 5
    found, asked = _search(0)
    assert found == 0 and asked[0] == 16 and 1 in asked
    with pytest.raises(ValueError):
        largest_passing(lambda n: True, start=0, limit=10)


def test_a_tiny_chain_of_two_tills_against_a_postgres_hub(tmp_path: Path) -> None:
    pg = pg_server_or_skip().render_as_string(hide_password=False)
    before = bench_databases(pg)
    messages: list[str] = []
    run = BenchRun(scale=1000, sizes=Sizes.at(1000), db_path=tmp_path / "unused.db",
                   workdir=tmp_path, pg_url=pg, progress=messages.append)
    config = ChainConfig(window_s=2.0, time_scale=10.0, start=2, max_tills=2, workers=1,
                         tokens=2, profiles=600, holders=4, definitions=2)
    out = chainload.measure(run, config)
    probe = out["chain"]["probes"][0]
    assert probe["tills"] == 2 and probe["errors"] == 0, probe
    assert probe["pushes"] >= 2 and probe["rows"] >= 2 * probe["pushes"]  # each till gets all
    assert probe["behind"] == 0
    if probe["passed"]:  # a loaded machine may fail the 1 s bound; the numbers still come
        assert out["chain_tills"] == 20 and out["chain"]["simulated_tills"] == 2
        assert out["chain_feed_rows_per_s"] > 0 and out["chain_hub_cpu_ms_per_till"] > 0
    else:
        assert out["chain_tills"] == 0
    assert bench_databases(pg) == before  # the throwaway database was dropped


def test_without_postgres_the_keys_are_null_with_a_reason(tmp_path: Path) -> None:
    run = BenchRun(scale=1000, sizes=Sizes.at(1000), db_path=tmp_path / "unused.db",
                   workdir=tmp_path, pg_url=None, progress=lambda _m: None)
    out = chainload.measure(run)
    assert out == {"chain_tills": None, "chain_hub_cpu_ms_per_till": None,
                   "chain_feed_rows_per_s": None}
    assert set(run.skipped) == set(out)
