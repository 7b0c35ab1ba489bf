"""``clienteling sync --verify`` at the data set's size (issue 19: at a million customers it
gave up after 344 s, the till at 2.2 GB).

A hub serving a copy of the data set (``clienteling hub serve``, its own process), and a till
holding the same records: another copy, given the staff as this till's token receives them
(the remote door, from ``GET /sync/records``) and the hub's feed position as its cursor, as a
till that finished its first sync has. A first sync of the whole set is not run here: it takes
minutes at full scale and ``syncload`` measures it.

Keys:

- ``verify_s``: ``sync.verify.verify`` on the till against the hub, equal copies: both
  summaries (the till's read of its kept buckets and the hub's answer over HTTP). SPEC-style
  target: ≤ 10 s at 1,000,000 profiles;
- ``verify_detail_s``: the same after one profile changed on the till, ``detail=True``: the
  walk down the differing buckets to the record;
- ``verify_rss_mb``: peak resident memory of ``clienteling sync --verify --detail`` as a
  person runs it (its own process, which reports its ``ru_maxrss``); ``verify_hub_rss_mb``:
  the hub process's peak (``VmHWM``, Linux) after answering. Both stay flat with the size;
- ``verify_profiles``: the size verified.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from clienteling.bench.hubserver import (
    child_env,
    copy_sqlite_file,
    hub_server,
    remove_sqlite_file,
)
from clienteling.bench.memory import peak_kb
from clienteling.bench.run import BenchRun
from clienteling.demo import FIRST_NAMES
from clienteling.engine.services import Clienteling
from clienteling.sync.client import HubClient
from clienteling.sync.verify import verify

CLIENT_TIMEOUT_S = 600.0
# Runs the command as a person does and reports its own peak memory on stderr's last line.
# Its own peak (``bench.memory``): ``ru_maxrss`` would carry over the bench process's.
_REPORTING = ("import sys\n"
              "from clienteling.bench.memory import own_peak_kb\n"
              "from clienteling.cli import main\n"
              "code = main(sys.argv[1:])\n"
              "print('maxrss_kb', own_peak_kb(), file=sys.stderr)\n"
              "sys.exit(code)\n")


def measure(run: BenchRun) -> dict[str, Any]:
    hub_path, till_path = run.workdir / "verify-hub.db", run.workdir / "verify-till.db"
    try:
        run.progress("verifyload: copying the data set for a hub and a till")
        copy_sqlite_file(run.db_path, hub_path)
        hub_url = f"sqlite:///{hub_path}"
        with Clienteling.open(hub_url, mode="hub") as hub_cl:
            staff = hub_cl.staff.list_staff(active_only=False)
            manager = next(m for m in staff if m.role == "manager")
            # A till of the manager's store: the change below is theirs to make there.
            token, _ = hub_cl.devices.create_token(None, {"store_id": manager.store_id,
                                                          "name": "Verify bench"})
            cursor = hub_cl.listing.last_seq()
            staff_ids = [s.id for s in staff]
        copy_sqlite_file(hub_path, till_path)
        with hub_server(hub_url, run.workdir / "hub-verify.log") as hub, \
                HubClient(hub.base_url, token, timeout=CLIENT_TIMEOUT_S) as client:
            till = Clienteling.open(str(till_path), mode="till")
            try:
                # The staff as this device receives them (PIN hashes of its scope only).
                given = client.get_json("/sync/records", {"type": "staff", "id": staff_ids})
                till.remote.apply(given["data"], cursor=cursor)
                run.progress("verifyload: verify, equal copies")
                started = time.perf_counter()
                equal = verify(till, client)
                verify_s = time.perf_counter() - started
                if not equal.equal:
                    raise RuntimeError(f"the copies differ: {equal.describe()}")
                run.progress("verifyload: verify --detail, one profile changed")
                changed = _change_one_profile(till, manager.id)
                started = time.perf_counter()
                found = verify(till, client, detail=True)
                detail_s = time.perf_counter() - started
                if (found.first_type, found.first_id) != ("profile", changed):
                    raise RuntimeError(f"verify found {found.describe()}, not profile {changed}")
            finally:
                till.close()
            run.progress("verifyload: clienteling sync --verify --detail in its own process")
            command_rss_kb = _command_rss_kb(till_path, hub.base_url, token)
            hub_rss_kb = peak_kb(hub.pid)
    finally:
        remove_sqlite_file(hub_path)
        remove_sqlite_file(till_path)
    return {
        "verify_s": round(verify_s, 3),
        "verify_detail_s": round(detail_s, 3),
        "verify_rss_mb": round(command_rss_kb / 1024),
        "verify_hub_rss_mb": None if hub_rss_kb is None else round(hub_rss_kb / 1024),
        "verify_profiles": run.scale,
    }


def _change_one_profile(till: Clienteling, manager_id: str) -> str:
    """One profile changed through the till's services (its entry stays in the outbox: the
    walk must find it; the command then sends it, and the copies agree again)."""
    target = till.profiles.search(FIRST_NAMES[0], limit=1)[0].id
    till.profiles.update(till.staff.actor(manager_id), target, {"tier": "verify-bench"})
    return target


def _command_rss_kb(till_path: Path, hub_url: str, token: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _REPORTING, "sync", "--db", str(till_path), "--hub", hub_url,
         "--token", token, "--verify", "--detail", "--timeout", str(CLIENT_TIMEOUT_S)],
        capture_output=True, text=True, env=child_env(), timeout=3600)
    last = json.loads(done.stdout.strip().splitlines()[-1])
    if last.get("verified") is not True or last.get("pushed") != 1:
        raise RuntimeError(f"sync --verify did not verify: {done.stdout[-300:]} "
                           f"{done.stderr[-300:]}")
    marks = [line.split() for line in done.stderr.splitlines() if line.startswith("maxrss_kb")]
    if not marks:
        raise RuntimeError(f"sync --verify ended without its memory: {done.stderr[-300:]}")
    return int(marks[-1][1])


