"""docs/setup.md runs as written (issue 16): its ```sh blocks, in order, in one bash with
``set -euo pipefail``, against a fresh PostgreSQL database, with only the variables of its
first block (HUB_DB, HUB_URL, TILLS) pointed at that database, a free port and a temporary
folder. ``hub serve`` runs in the background until the script ends; every ``sync --verify``
must end with a JSON line that says verified. The doc and the test cannot drift: the test
has no commands of its own."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

from tests.hub.conftest import fresh_pg_database

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "setup.md"
VARIABLES = ("HUB_DB", "HUB_URL", "TILLS")


def sh_lines(doc: Path) -> list[str]:
    """Every command of every ```sh block, in order (continuation lines joined)."""
    lines: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                lines.append(line)
    return lines


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def script(lines: list[str], values: dict[str, str]) -> str:
    """The doc's lines with its variables set to ``values`` and ``hub serve`` in the
    background (stopped when the script exits), the script going on once the hub answers."""
    out = ["set -euo pipefail",
           f"clienteling() {{ {shlex.quote(sys.executable)} -m clienteling.cli \"$@\"; }}",
           "trap 'echo \"setup.md command failed: $BASH_COMMAND\" >&2' ERR"]
    set_ = set()
    for line in lines:
        name = line.split("=", 1)[0]
        if name in VARIABLES and "=" in line:
            out.append(f"{name}={shlex.quote(values[name])}")
            set_.add(name)
        elif " hub serve " in f" {line} ":
            out.append(f"{line} >\"$SETUP_HUB_LOG\" 2>&1 &")
            out.append("HUB_PID=$!")
            out.append("trap 'kill $HUB_PID 2>/dev/null || true' EXIT")
            # Bounded wait until the hub answers (it has to migrate-check and bind first).
            out.append(f"{shlex.quote(sys.executable)} -c {shlex.quote(WAIT_FOR_HUB)} "
                       "\"$HUB_URL/api/v3/health\"")
        else:
            out.append(line)
    assert set_ == set(VARIABLES), f"setup.md's first block must set {VARIABLES}"
    return "\n".join(out)


WAIT_FOR_HUB = """
import sys, time, httpx
deadline = time.monotonic() + 60
while True:
    try:
        if httpx.get(sys.argv[1], timeout=2).status_code == 200:
            break
    except httpx.HTTPError:
        pass
    if time.monotonic() > deadline:
        sys.exit("the hub did not start: see its log")
    time.sleep(0.1)
"""


def test_setup_doc_runs_as_written(tmp_path: Path) -> None:
    lines = sh_lines(DOC)
    # What the page promises is really in it.
    text = " ".join(lines)
    for needed in ("hub init", "--kind stores", "--kind staff", "--kind profiles",
                   "--kind benefit_definitions", "--kind reward_definitions", "--kind reactions",
                       "--admin",
                   "hub serve", "connect --db", "sync --db", "--verify"):
        assert needed in text, needed
    port = free_port()
    with fresh_pg_database() as hub_db:
        values = {"HUB_DB": hub_db, "HUB_URL": f"http://127.0.0.1:{port}",
                  "TILLS": str(tmp_path / "tills")}
        env = {k: v for k, v in os.environ.items() if k != "CLIENTELING_HUB_DB"}
        env.update({"PYTHONPATH": str(REPO), "XDG_CONFIG_HOME": str(tmp_path / "config"),
                    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                    "SETUP_HUB_LOG": str(tmp_path / "hub.log")})
        done = subprocess.run(["bash", "-c", script(lines, values)], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=600)
    log = tmp_path / "hub.log"
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:],
                                  log.read_text()[-2000:] if log.exists() else "")
    assert "Traceback" not in done.stderr, done.stderr
    # Each sync --verify ends with its JSON line, and it says verified; the two tills each
    # belong to their own store.
    verified = [json.loads(line) for line in done.stdout.splitlines()
                if line.startswith("{") and '"verified"' in line]
    assert len(verified) == 2 and all(v["verified"] is True for v in verified), verified
    assert "of Melbourne Central" in done.stdout and "of Sydney Pitt Street" in done.stdout
    # The hub imported the samples: every import's summary rejected nothing.
    summaries = [json.loads(line) for line in done.stdout.splitlines()
                 if line.startswith("{") and '"rejected"' in line]
    assert len(summaries) == 6 and all(s["rejected"] == 0 for s in summaries), summaries
