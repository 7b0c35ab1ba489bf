"""Must-show 7 of issue 8: a till process killed with SIGKILL in the middle of pushing, again
and again, loses no change and applies none twice (SPEC §6): after each kill a clean sync
leaves every local change applied on the hub exactly once, the till's SQLite file passes
``PRAGMA integrity_check`` and ``clienteling audit verify`` passes on it."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from queue import Empty, Queue

import pytest

from clienteling import cli
from clienteling.engine.services import Clienteling
from tests.hub.conftest import LiveHub, quick_hashes, start_hub  # noqa: F401
from tests.sync.accounting import account, check_limits
from tests.sync.soak import HubSide, TillRun, first_sync, one_change, seed_hub, settle

pytestmark = [pytest.mark.sync_faults, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20
BATCH = 60  # local changes made before each till process starts: a large outbox to push
SEED = 7


class TillProcess:
    """``tests.sync.till_loop`` in a subprocess, its output lines read by a thread into a
    queue (so waiting for a line is bounded by a timeout)."""

    def __init__(self, db: Path, hub_url: str, token: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.sync.till_loop", "--db", f"sqlite:///{db}",
             "--hub", hub_url, "--token", token],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: Queue[str | None] = Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_for(self, prefix: str, seconds: float) -> bool:
        """Read lines until one starts with ``prefix`` (True) or the process ended (False)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except Empty:
                raise AssertionError(f"no {prefix!r} line in {seconds} s; saw {self.seen}") from None
            if line is None:
                return False
            self.seen.append(line)
            if line.startswith(prefix):
                return True

    def finish(self, seconds: float) -> int:
        code = self.proc.wait(timeout=seconds)
        self._reader.join(timeout=seconds)
        return code

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def audit_verify(db: Path) -> int:
    """``clienteling audit verify`` run in this process: the command itself, without paying
    a new interpreter's start-up twenty times."""
    return cli.main(["audit", "verify", "--db", f"sqlite:///{db}"])


def test_sigkill_while_pushing_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path, start_hub: Callable[..., LiveHub],  # noqa: F811
) -> None:
    rng = random.Random(SEED)
    hub = seed_hub(f"sqlite:///{tmp_path / 'hub.db'}", profiles=120, tills=1, seed=SEED)
    live = start_hub(hub.url)
    db = tmp_path / "till.db"
    till = TillRun("till", Clienteling.open(f"sqlite:///{db}"), hub.tokens[0], hub.profile_ids,
                   random.Random(SEED))
    try:
        first_sync(till, live.base_url)
        # A first, unkilled push measures how long pushing a batch takes, so that the kills
        # below land anywhere in it (a few just after, while the till pulls).
        push_seconds = _push_once(till, hub, live, db, kill_after=None)
        assert isinstance(push_seconds, float)
        during_push = after_push = ended = 0
        # The window follows where kills land: a push's length varies from run to run (and
        # the first includes a cold start), so a kill after the push ends narrows it and one
        # inside it widens it a little, keeping some kills just after the push.
        window = push_seconds
        for _ in range(KILLS * 4):
            if during_push >= KILLS:
                break
            outcome = _push_once(till, hub, live, db, kill_after=rng.uniform(0.0, window * 1.1))
            if outcome == "push":
                during_push += 1
                window *= 1.05
            elif outcome == "later":
                after_push += 1
                window *= 0.8
            else:
                ended += 1
                window *= 0.8
        assert during_push >= KILLS, (
            f"only {during_push} kills landed while pushing ({after_push} after it, "
            f"{ended} cycles ended first)")
    finally:
        till.cl.close()


def _push_once(till: TillRun, hub: HubSide, live: LiveHub, db: Path,
               kill_after: float | None) -> float | str:
    """Make a batch of local changes, start a till process pushing them, and kill it
    ``kill_after`` seconds into its cycle; then sync cleanly in this process and check the
    accounting. Answers where the kill landed ("push": before the push finished, "later",
    or "ended": the cycle finished first), or with ``kill_after=None`` (no kill) how many
    seconds the push took."""
    made = 0
    for _ in range(BATCH * 4):
        if made >= BATCH:
            break
        made += one_change(till, hub)
    assert made == BATCH
    till.cl.close()  # the till process owns the file while it runs
    proc = TillProcess(db, live.base_url, till.token)
    outcome: float | str
    try:
        assert proc.wait_for("cycle", 60), proc.stderr()
        started = time.monotonic()
        if kill_after is None:
            assert proc.wait_for("progress push", 120), proc.stderr()
            outcome = time.monotonic() - started
            assert proc.wait_for("report", 120), proc.stderr()
            assert proc.finish(60) == 0
        else:
            try:
                # A bounded wait that is also the kill moment: the process may end first.
                proc.proc.wait(timeout=kill_after)
                outcome = "ended"
            except subprocess.TimeoutExpired:
                proc.proc.send_signal(signal.SIGKILL)
                assert proc.finish(30) == -signal.SIGKILL
                while proc.wait_for("progress", 5):
                    pass  # what it printed before it died
                pushed = any(line.startswith("progress push") for line in proc.seen)
                outcome = "later" if pushed else "push"
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()
            proc.finish(30)
    assert integrity(db) == "ok"
    till.cl = Clienteling.open(f"sqlite:///{db}")
    # The killed process is gone: its in-flight entries are stale at once (a till restarted
    # after a crash waits run_cycle's default two minutes, in case another sender is alive).
    settle([till], live.base_url, stale_after=timedelta(0))
    account([till], live.hub.cl, hub)
    check_limits(till.cl, "till")
    check_limits(live.hub.cl, "hub")
    assert audit_verify(db) == 0
    assert integrity(db) == "ok"
    return outcome
