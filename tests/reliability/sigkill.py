"""SPEC §9 on a till: SIGKILL a till process at random points of its work and check after
each kill that nothing was lost, doubled or corrupted (issue 9).

``prepare`` makes a till file with staff and definitions, ``kill_once`` runs
``till_worker`` until it has committed a random number of changes and kills it with SIGKILL
(so it dies somewhere inside the next change), and ``check`` proves the file whole:

- ``PRAGMA integrity_check`` is ``ok`` and the audit chain verifies (``audit verify``);
- every change is there exactly once, with its audit event and its outbox entry: each
  profile, reward, benefit and redemption the loop made has exactly one creating audit
  event and exactly one outbox entry naming it, and every audit event and outbox entry names
  a row that exists (a change is all there, or not at all);
- the money adds up: what was drawn from rewards equals the reward redemptions' items.

Used by tests/reliability/test_sigkill.py (30 kills) and scripts/sigkill_soak.py (500).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from clienteling.engine.audit import verify_chain
from clienteling.engine.clock import SystemClock
from clienteling.engine.db import open_database
from clienteling.engine.services import Clienteling

ROOT = Path(__file__).resolve().parents[2]
# (table, entity type, the audit actions that create one): the rows the loop creates, one
# change each.
CREATED = (("profiles", "profile", ("profile.create",)), ("rewards", "reward", ("reward.issue",)),
           ("benefits", "benefit", ("benefit.claim",)),
           ("redemptions", "redemption", ("benefit.redeem", "reward.redeem")))


@dataclass(frozen=True)
class Till:
    url: str
    path: Path
    reward_definition_id: str
    benefit_handle: str


def prepare(path: Path) -> Till:
    url = f"sqlite:///{path}"
    with Clienteling.open(url, clock=SystemClock()) as cl:
        store = cl.staff.create_store(None, {"name": "Melbourne Central",
                                             "timezone": "Australia/Melbourne"})
        for username, role, pin in (("ava", "associate", "4821"), ("max", "manager", "731405"),
                                    ("ada", "admin", "905238")):
            cl.staff.create_staff(None, {"username": username, "display_name": username.title(),
                                         "role": role, "store_id": store.id, "pin": pin})
        ada = cl.staff.sign_in("ada", "905238")
        rd = cl.definitions.create_reward_definition(ada, {
            "name": "Sorry", "handle": "sorry", "type": "customer-service", "value": "10.00",
            "period": 90})
        cl.definitions.create_benefit_definition(ada, {
            "name": "Coffee", "handle": "coffee", "is_published": True, "is_claimable": True,
            "period": 30})
    return Till(url, path, rd.id, "coffee")


def kill_once(till: Till, rng: random.Random) -> int:
    """Start the till, let it commit 1–7 changes, SIGKILL it; the changes it reported (all of
    them, also those it made while the kill was on its way). At most one more may have
    committed: the one it was inside, killed between its commit and its report."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                                     os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.till_worker", till.url,
         till.reward_definition_id, till.benefit_handle],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert proc.stdout is not None
    wanted, seen = rng.randint(1, 7), 0
    try:
        while seen < wanted:
            line = proc.stdout.readline()
            if not line:
                raise AssertionError(f"the till stopped by itself: {proc.stderr.read()}")
            seen += 1
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # The till ran on while we read: count what it reported before it died, too.
        seen += sum(1 for line in proc.stdout if line.startswith("ok"))
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    return seen


def check(till: Till) -> dict[str, int]:
    """Prove the till file whole (see the module docstring); the rows of each kind."""
    with sqlite3.connect(till.path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        rows: dict[str, int] = {}
        for table, kind, actions in CREATED:
            ids = {r[0] for r in raw.execute(f"SELECT id FROM {table}")}
            rows[table] = len(ids)
            marks = ", ".join("?" for _ in actions)
            created = raw.execute(
                f"SELECT entity_id, count(*) FROM audit_events WHERE entity_type = ? AND "
                f"action IN ({marks}) GROUP BY entity_id", (kind, *actions)).fetchall()
            assert {i for i, _ in created} == ids, f"{kind}: audit events and rows differ"
            assert all(n == 1 for _, n in created), f"{kind}: a change audited twice"
            queued = raw.execute(
                "SELECT entity_id, count(*) FROM outbox WHERE entity_type = ? GROUP BY entity_id",
                (kind,)).fetchall()
            queued_ids = {i for i, _ in queued}
            assert queued_ids <= ids, f"{kind}: an outbox entry for a row that is not there"
            assert all(n == 1 for _, n in queued), f"{kind}: a change queued twice"
            assert queued_ids == ids, f"{kind}: a change with no outbox entry"
        # Money columns hold whole cents on both sides.
        drawn = raw.execute("SELECT coalesce(sum(value_initial - value_remaining), 0) FROM "
                            "rewards").fetchone()[0]
        paid = raw.execute("SELECT coalesce(sum(value), 0) FROM redemption_items WHERE "
                           "type = 'reward'").fetchone()[0]
        assert drawn == paid, (drawn, paid)
    db = open_database(till.url, migrate_schema=False)
    try:
        with db.read() as session:
            report = verify_chain(session)
        assert report.ok, str(report)
    finally:
        db.dispose()
    return rows
