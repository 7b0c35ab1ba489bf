"""SPEC §9, issue 9: a till killed with SIGKILL at random points of redeem, claim, issue and
redeem-amount loses nothing, doubles nothing and corrupts nothing (``sigkill.check``).
30 kills here; ``python scripts/sigkill_soak.py`` runs 500."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.reliability.sigkill import check, kill_once, prepare

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
KILLS = 30


def test_a_till_killed_30_times_mid_change_stays_whole(tmp_path: Path) -> None:
    till = prepare(tmp_path / "till.db")
    rng = random.Random(9)
    reported = 0
    for kill in range(KILLS):
        reported += kill_once(till, rng)
        rows = check(till)
        # Every change the till reported is there, once; beyond those, at most the one each
        # kill caught between its commit and its report.
        done = sum(rows.values())
        assert reported <= done <= reported + kill + 1, (kill, reported, rows)
    assert rows["redemptions"] > 0 and rows["benefits"] > 0
