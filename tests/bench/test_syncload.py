"""``clienteling bench``'s sync part (issue 10, SPEC §8): first sync against raw SQLite and
the push of queued changes, measured at a tiny scale against ``clienteling hub serve`` on
loopback. Speeds are reported, never asserted: these check what is counted and that the
checks look at what really happened."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from clienteling.bench import dataset, syncload
from clienteling.bench.hubserver import Seeded
from clienteling.bench.run import FULL_PROFILES, BenchRun, Sizes
from clienteling.engine.services import Clienteling
from tests.hub.conftest import quick_hashes

__all__ = ["quick_hashes"]

SCALE = 12


def bench_run(tmp_path: Path, scale: int = SCALE, *, data_set: bool = False) -> BenchRun:
    """A run whose work folder is ``tmp_path``; with ``data_set``, the bench's data set built
    beside it (in a folder of its own, as the bench command keeps it out of the work folder)."""
    db_path = tmp_path / "data" / "bench.db"
    if data_set:
        db_path.parent.mkdir()
        dataset.build(db_path, Sizes.at(scale), 1, lambda _message: None)
    work = tmp_path / "work"
    work.mkdir()
    return BenchRun(scale=scale, sizes=Sizes.at(scale), db_path=db_path, workdir=work,
                    progress=lambda _message: None)


def test_sizes_follow_the_scale() -> None:
    full = syncload.SyncSizes.at(FULL_PROFILES)
    assert full.push_entries == syncload.PUSH_FULL
    small = syncload.SyncSizes.at(20_000)
    assert small.push_entries == syncload.PUSH_SMALL
    # However many entries, one batch's redeems never share a profile.
    assert all(s.push_profiles >= min(s.push_entries, syncload.PUSH_BATCH)
               for s in (full, small, syncload.SyncSizes.at(SCALE)))


def test_measure_first_syncs_the_whole_data_set_and_pushes_through_a_real_hub(
        tmp_path: Path) -> None:
    run = bench_run(tmp_path, data_set=True)
    data_set = run.db_path.read_bytes()
    out = syncload.measure(run)

    sizes = syncload.SyncSizes.at(SCALE)
    # Issue 19: the whole data set, not a capped part of it. Every profile comes with its
    # identity, benefits and rewards, and the staff, stores and definitions too.
    assert out["first_sync_profiles"] == SCALE
    expected = _synced_records(run.db_path)
    assert out["first_sync_rows"] == expected > (1 + 3 + 2) * SCALE
    for key in ("first_sync_rows_per_s", "raw_sqlite_rows_per_s", "push_ops_per_s",
                "first_sync_s", "first_sync_till_s", "first_sync_till_cpu_s",
                "first_sync_hub_cpu_s"):
        assert isinstance(out[key], int | float) and out[key] > 0, key
    assert out["first_sync_till_s"] <= out["first_sync_s"]
    assert out["push_entries"] == sizes.push_entries
    assert out["push_all_applied"] is True
    # The hub served a copy: the data set the other parts measure is as it was.
    assert run.db_path.read_bytes() == data_set
    # Nothing left behind in the work folder but the hubs' logs.
    assert sorted(p.name for p in run.workdir.iterdir()) == ["hub-first-sync.log", "hub-push.log"]


def _synced_records(path: Path) -> int:
    """The records a first sync of this data set carries, counted from its kept digests (one
    kept row per synced record)."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM digest_rows").fetchone()[0])


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
