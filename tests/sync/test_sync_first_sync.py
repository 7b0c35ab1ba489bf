"""First sync of an empty till from the hub's snapshot (issue 8, must-show 6): progress
reported, cancelled half-way, resumed where it stopped (no page read twice), then equal to
the hub. ``clienteling bench`` (its ``syncload`` part) first-syncs the whole data set and
reports rows/s against raw SQLite in the same run (SPEC §8)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from clienteling.demo import create_demo
from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from clienteling.sync import first_sync as first_sync_module
from clienteling.sync import state as sync_state
from clienteling.sync.cycle import run_cycle
from clienteling.sync.progress import Progress
from tests.conftest import T0
from tests.internals import database_of
from tests.sync.conftest import serve_counting
from tests.sync.support import till_view


def _indexes(cl: Clienteling) -> dict[str, str]:
    with database_of(cl).reader.connect() as conn:
        return {str(n): str(q) for n, q in conn.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"))}


@pytest.mark.parametrize("page_format", ["rows-v2", "entries"])
def test_first_sync_reports_progress_and_resumes_after_a_cancel(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page_format: str) -> None:
    """In the rows-v2 format, and in entries: what an older till reads, and what a till gets
    from an older hub (one that does not know the format it asks for)."""
    if page_format != "rows-v2":
        monkeypatch.setattr(first_sync_module, "FORMAT", page_format)
    hub_url = f"sqlite:///{tmp_path / 'hub.db'}"
    clock = FixedClock(T0)
    create_demo(hub_url, profiles=300, seed=3, clock=clock)
    with Clienteling.open(hub_url, mode="hub", clock=clock) as hub_cl:
        store = hub_cl.staff.stores()[0]
        token, _ = hub_cl.devices.create_token(None, {"store_id": store.id,
                                                                 "name": "Till"})
        totals = {t: v["count"] for t, v in hub_cl.digest.summary()["types"].items()}
    rows = sum(totals.values())
    page = 50
    monkeypatch.setattr(first_sync_module, "SNAPSHOT_PAGE", page)
    pages = -(-rows // page)
    running = serve_counting(hub_url, clock)
    till = Clienteling.open(str(tmp_path / "till.db"), clock=clock, mode="till")
    indexes = _indexes(till)
    from clienteling.sync.client import HubClient

    client = HubClient(running.live.base_url, token)
    try:
        cancel = threading.Event()
        seen: list[Progress] = []

        def halfway(p: Progress) -> None:
            seen.append(p)
            if p.phase == "first_sync" and p.done >= rows // 2:
                cancel.set()

        stopped = run_cycle(till, client, progress=halfway, cancel=cancel)
        assert stopped.cancelled and stopped.synced_at is None and stopped.error
        state = sync_state.get(till, sync_state.FIRST_SYNC)
        assert rows // 2 <= state["done"] < rows and state["total"] == rows
        assert [p.done for p in seen] == sorted(p.done for p in seen)
        assert all(p.total == rows for p in seen)
        # Secondary indexes of the big tables wait for the last page (none a constraint).
        deferred = sync_state.get(till, "sync.deferred_indexes")
        assert deferred and {n for n, _ in deferred} == set(indexes) - set(_indexes(till))
        assert all(not sql.upper().startswith("CREATE UNIQUE") for _, sql in deferred)
        read_before = running.counting.paths["/api/v3/sync/snapshot"]
        assert read_before == state["done"] // page + (state["done"] % page > 0)

        resumed = run_cycle(till, client, progress=seen.append)
        assert resumed.error is None and not resumed.cancelled and resumed.synced_at is not None
        assert running.counting.paths["/api/v3/sync/snapshot"] == pages  # none read twice
        assert seen[-1].phase == "pull" or seen[-1].done == rows
        assert sync_state.get(till, sync_state.FIRST_SYNC) is None
        assert _indexes(till) == indexes and sync_state.get(till, "sync.deferred_indexes") is None
        with Clienteling.open(hub_url, mode="hub", clock=clock) as hub_cl:
            # The hub's digest as this till is given it (PIN hashes of its scope only).
            assert till.digest.summary() == till_view(hub_cl, store.id).summary()
        # Staff came with their PIN hashes: they sign in at this till, offline.
        assert till.staff.sign_in("ava", "4821").username == "ava"
    finally:
        client.close()
        till.close()
        running.live.stop()
