"""``clienteling bench``'s sync part (issue 10, SPEC §8): first sync against raw SQLite and
the push of queued changes, measured at a tiny scale against ``clienteling hub serve`` on
loopback. Speeds are reported, never asserted: these check what is counted and that the
checks look at what really happened."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clienteling.bench import syncload
from clienteling.bench.hubserver import Seeded
from clienteling.bench.run import FULL_PROFILES, BenchRun, Sizes
from clienteling.engine.services import Clienteling
from tests.hub.conftest import quick_hashes

__all__ = ["quick_hashes"]

SCALE = 12


def bench_run(tmp_path: Path, scale: int = SCALE) -> BenchRun:
    return BenchRun(scale=scale, sizes=Sizes.at(scale), db_path=tmp_path / "unused.db",
                    workdir=tmp_path, progress=lambda _message: None)


def test_sizes_follow_the_scale() -> None:
    full = syncload.SyncSizes.at(FULL_PROFILES)
    assert (full.first_sync_profiles, full.push_entries) == (
        syncload.FIRST_SYNC_MAX_PROFILES, syncload.PUSH_FULL)
    small = syncload.SyncSizes.at(20_000)
    assert (small.first_sync_profiles, small.push_entries) == (20_000, syncload.PUSH_SMALL)
    # However many entries, one batch's redeems never share a profile.
    assert all(s.push_profiles >= min(s.push_entries, syncload.PUSH_BATCH)
               for s in (full, small, syncload.SyncSizes.at(SCALE)))


def test_measure_first_syncs_and_pushes_through_a_real_hub(tmp_path: Path) -> None:
    out = syncload.measure(bench_run(tmp_path))

    sizes = syncload.SyncSizes.at(SCALE)
    # Every profile comes with its identities, benefits and rewards, and the demo's staff,
    # store and definitions too.
    assert out["first_sync_profiles"] == sizes.first_sync_profiles
    assert isinstance(out["first_sync_rows"], int)
    assert out["first_sync_rows"] > 3 * sizes.first_sync_profiles
    for key in ("first_sync_rows_per_s", "raw_sqlite_rows_per_s", "push_ops_per_s",
                "first_sync_s", "first_sync_till_s"):
        assert isinstance(out[key], int | float) and out[key] > 0, key
    assert out["first_sync_till_s"] <= out["first_sync_s"]
    assert out["push_entries"] == sizes.push_entries
    assert out["push_all_applied"] is True
    # Nothing left behind in the work folder but the hubs' logs.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub-first-sync.log", "hub-push.log"]


def test_entries_the_hub_refuses_are_counted_as_not_applied(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The associate is deactivated on the hub once the changes are queued at the till: the
    hub refuses them, and the part says so while still reporting the push's speed."""
    hub: dict[str, Any] = {}
    real_seed: Callable[..., Seeded] = syncload.seed
    real_queue = syncload.queue_changes

    def seed(url: str, **kwargs: Any) -> Seeded:
        world = real_seed(url, **kwargs)
        hub.update(url=url, world=world)
        return world

    def queue_then_deactivate(till: Clienteling, *args: Any) -> None:
        real_queue(till, *args)
        with Clienteling.open(hub["url"], mode="hub") as cl:
            cl.staff.deactivate(None, hub["world"].staff_id)

    monkeypatch.setattr(syncload, "seed", seed)
    monkeypatch.setattr(syncload, "queue_changes", queue_then_deactivate)
    out = syncload.push(bench_run(tmp_path), 8, 8)

    assert out["push_entries"] == 8
    assert out["push_all_applied"] is False
    assert out["push_ops_per_s"] > 0
