"""``clienteling sync`` as a person runs it: a separate process against the real hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from tests.conftest import REPO, T0
from tests.sync.conftest import SyncWorld, closed_port
from tests.sync.faultproxy import FaultProxy, FaultRates
from tests.sync.support import stock


def sync(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "clienteling.cli", "sync", *args], env=env,
                          capture_output=True, text=True, timeout=120, cwd=REPO)


def test_sync_command_prints_progress_then_one_json_line(sync_world: SyncWorld,
                                                         tmp_path: Path) -> None:
    sw = sync_world
    shop = stock(sw)
    till = tmp_path / "cli-till.db"
    done = sync("--db", str(till), "--hub", sw.url, "--token", sw.world.token, "--verify",
                "--detail")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert any(line.startswith("first_sync: ") for line in lines[:-1])
    last = json.loads(lines[-1])
    assert last["pulled"] > 0 and last["verified"] is True
    assert {"pushed", "pulled", "conflicts", "waiting", "online", "error"} <= last.keys()

    # The counter's clock agrees with the hub's (fixed at T0): the benefit is current.
    with Clienteling.open(str(till), mode="till", clock=FixedClock(T0)) as cl:
        ava = cl.staff.actor(sw.world.staff["associate"])
        cl.benefits.redeem(ava, shop.profile_ids[0], shop.benefit_ids[0])
    done = sync("--db", str(till), "--hub", sw.url, "--token", sw.world.token, "--verify")
    assert done.returncode == 0, done.stderr
    last = json.loads(done.stdout.strip().splitlines()[-1])
    assert (last["pushed"], last["waiting"], last["conflicts"], last["verified"]) == (1, 0, 0, True)


def test_sync_command_refuses_in_one_line(sync_world: SyncWorld, tmp_path: Path) -> None:
    sw = sync_world
    till = str(tmp_path / "t.db")
    cases = {
        "unreachable": ("--hub", closed_port(), "--token", sw.world.token),
        "token": ("--hub", sw.url, "--token", "clt_nope_nope"),
        "url": ("--hub", "ftp://hub", "--token", sw.world.token),
        "missing": ("--hub", sw.url),
        # An en dash pasted from a document (issue 19): named, not a crash.
        "dash": ("--hub", sw.url, "--token", sw.world.token[:6] + "\u2013" + sw.world.token[7:]),
    }
    words = {"unreachable": "reach the hub", "token": "token was revoked or is wrong",
             "url": "--hub ftp://hub: must be an http", "missing": "--token is required",
             "dash": "--token has '\u2013' (en dash) at character 7"}
    for name, args in cases.items():
        done = sync("--db", till, *args)
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and words[name] in done.stderr, (
            name, done.stderr)


def test_verify_with_a_hub_that_does_not_answer_is_one_line(sync_world: SyncWorld,
                                                            tmp_path: Path) -> None:
    """Issue 19: the hub's digest timed out and `sync --verify` ended in "unexpected error"
    with a traceback (exit 3). A hub that accepts the connection and never answers the digest
    (a real socket, a short --timeout), or answers it 503, is one line and exit 2."""
    sw = sync_world
    stock(sw)
    till = str(tmp_path / "verify-till.db")
    first = sync("--db", till, "--hub", sw.url, "--token", sw.world.token)
    assert first.returncode == 0, first.stderr
    quiet = FaultRates(0, 0, 0, 0)
    cases = {"silent": ({"hang": ("/sync/digest",)}, "did not answer in time"),
             "5xx": ({"fail": ("/sync/digest",)}, "HTTP 503")}
    for name, (faults, words) in cases.items():
        with FaultProxy(sw.url, rates=quiet, **faults) as proxy:
            done = sync("--db", till, "--hub", proxy.url, "--token", sw.world.token,
                        "--verify", "--timeout", "0.5")
            assert proxy.counts[{"silent": "hang", "5xx": "fail"}[name]] >= 1, proxy.counts
        assert done.returncode == 2, (name, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "--verify" in lines[0], (name, lines)
        assert "unexpected error" not in done.stderr and "Traceback" not in done.stderr
