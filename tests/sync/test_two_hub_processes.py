"""Issue 19: the hub scales on PostgreSQL with more processes that share nothing but the
database. The fault scenario of ``test_convergence_faults`` (compact) against two
``clienteling hub serve`` processes on one PostgreSQL database, a till's requests going to
each in turn through the faulty proxy: every change is applied exactly once or refused, no
limit is broken (the journal lock, idempotency keys and conditional updates are all in the
database), and the tills' digests equal the hub's."""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from clienteling.bench.hubserver import hub_server
from clienteling.engine.services import Clienteling
from tests.hub.conftest import pg_database, quick_hashes, truncate  # noqa: F401
from tests.sync.soak import SHARED_CAP, run_soak

pytestmark = [pytest.mark.sync_faults, pytest.mark.slow, pytest.mark.postgres]

CHANGES = 300


def test_three_tills_converge_through_two_hub_processes_on_one_database(
    tmp_path: Path, pg_database: str,  # noqa: F811
) -> None:
    truncate(pg_database)
    with contextlib.ExitStack() as stack:
        pids: list[int] = []

        def serve(url: str) -> Any:
            hubs = [stack.enter_context(hub_server(url, tmp_path / f"hub{n}.log"))
                    for n in (1, 2)]
            pids.extend(h.pid for h in hubs)
            cl = stack.enter_context(Clienteling.open(url, mode="hub"))
            return SimpleNamespace(base_url=hubs[0].base_url,
                                   base_urls=[h.base_url for h in hubs],
                                   hub=SimpleNamespace(cl=cl))

        result = run_soak(tmp_path, changes=CHANGES, seed=19, serve=serve, seconds=300,
                          hub_db=pg_database)
    assert len(set(pids)) == 2
    counts = result.proxy_counts
    assert counts["to:0"] > 50 and counts["to:1"] > 50, counts  # both processes served
    for kind in ("drop", "delay", "error", "reset"):
        assert counts[kind] >= 1, counts
    acc = result.accounting
    assert acc.changes == CHANGES
    assert acc.applied + acc.refused + acc.parked == CHANGES
    assert result.shared == (SHARED_CAP, SHARED_CAP)
    assert set(acc.conflict_codes) <= {"global_limit_reached", "parked:depends_on_refused"}
    assert result.digests_equal
    assert result.verified == [True, True, True]
