"""The hub recipes in the docs run as written (issue 16), so they cannot drift from the
command line: the ```sh block under "## Running a hub" in README.md and the one under "## A
trial on SQLite" in docs/hub.md, each run by bash in a temporary folder, every command but
``hub serve``, with ``clienteling`` being this checkout's ``python -m clienteling.cli``."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def sh_block(doc: Path, heading: str) -> list[str]:
    """The commands of the first ```sh block under ``heading`` (continuation lines joined)."""
    text = doc.read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end != -1 else len(text)]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, f"no ```sh block under {heading!r} in {doc.name}"
    commands = []
    for line in match.group(1).replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            commands.append(line)
    return commands


def run_recipe(commands: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the commands one after another in one bash, stopping at the first that fails and
    naming it on stderr."""
    script = "\n".join([
        "set -euo pipefail",
        f"clienteling() {{ {shlex.quote(sys.executable)} -m clienteling.cli \"$@\"; }}",
        "trap 'echo \"recipe command failed: $BASH_COMMAND\" >&2' ERR",
        *commands,
        'echo "STORE=${STORE:-} TOKEN=${TOKEN:-} ADMIN_TOKEN=${ADMIN_TOKEN:-}"',
    ])
    env = {k: v for k, v in os.environ.items() if k != "CLIENTELING_HUB_DB"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.parametrize(("doc", "heading"), [
    ("README.md", "## Running a hub"),
    ("docs/hub.md", "## A trial on SQLite"),
])
def test_the_hub_recipe_runs_as_written(doc: str, heading: str, tmp_path: Path) -> None:
    commands = sh_block(REPO / doc, heading)
    assert any("hub serve" in c for c in commands), "the recipe ends by serving the hub"
    runnable = [c for c in commands if "hub serve" not in c]
    # the recipe sets up staff who can sign in on a till, not only an admin (issue 16)
    roles = {m.group(1) for c in runnable for m in [re.search(r"--role (\w+)", c)] if m}
    assert {"admin", "manager", "associate"} <= roles, roles

    done = run_recipe(runnable, tmp_path)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "error" not in done.stderr, done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    values = dict(part.split("=", 1) for part in summary.split())
    assert len(values["STORE"]) == 36, summary
    assert values["TOKEN"].startswith("clt_") and values["ADMIN_TOKEN"].startswith("clt_"), summary
    assert (tmp_path / "hub.db").is_file()
