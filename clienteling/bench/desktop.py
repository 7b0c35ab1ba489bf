"""The desktop's numbers (SPEC §8): start-up to a usable sign-in window, memory after
browsing, and a click on a search result to the profile painted.

They are measured by :mod:`clienteling.bench.desktop_probe` in a fresh Python process of its
own: start-up has to be timed from a process start, and the memory has to be the app's
alone, not the bench's with its data set builder and engine caches. The probe runs Qt's
``offscreen`` platform, so it needs no display and paints into memory as a screen would.

This part picks what to type (names, surnames, full names and emails of profiles sampled from
the data set, so the searches find people at any scale) and hands the probe the file; the
probe prints one JSON line, returned here. A probe that fails, or does not finish within
:data:`PROBE_TIMEOUT_S`, raises :class:`DesktopProbeFailed` with the end of its stderr.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from clienteling.bench.run import BenchRun
from clienteling.demo import STAFF as DEMO_STAFF

#: generous: at a million profiles the probe takes well under a minute on two busy cores
PROBE_TIMEOUT_S = 900
#: searches offered to the probe; it types them in order until it has opened enough profiles
QUERIES = 60
STDERR_TAIL = 2000
KEYS = ("startup_s", "rss_mb", "open_profile_ui_p95_ms")
PROBE = "clienteling.bench.desktop_probe"
#: who the probe signs in as: the associate of the demo's staff, whom the bench's data set
#: has too, with the same PIN
STAFF = DEMO_STAFF[0][0]


class DesktopProbeFailed(RuntimeError):
    """The desktop probe failed or timed out; the message carries the end of its stderr."""


def pick_queries(db_path: Path, *, seed: int, count: int = QUERIES) -> list[str]:
    """What an associate types: in turn a first name's first three letters, a surname, a
    full name and an email, each from a profile picked at random (by rowid, which costs one
    index probe at any size), none twice. The first is a name prefix, whose long result
    list the probe scrolls."""
    rng = random.Random(seed)
    con = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        (top,) = con.execute("SELECT max(rowid) FROM profiles").fetchone()
        if not top:
            raise DesktopProbeFailed(f"no profiles in {db_path} to search for")
        queries: list[str] = []
        kinds = ("prefix", "surname", "full", "email")
        tries = 0
        while len(queries) < count and tries < count * 20:
            tries += 1
            row = con.execute(
                "SELECT first_name, last_name, email FROM profiles WHERE rowid >= ? "
                "ORDER BY rowid LIMIT 1", (rng.randint(1, top),)).fetchone()
            if row is None:
                continue
            first, last, email = row
            kind = kinds[len(queries) % len(kinds)]
            text = {"prefix": first[:3], "surname": last, "full": f"{first} {last}",
                    "email": email or ""}[kind].strip()
            if len(text) >= 2 and text not in queries:
                queries.append(text)
        return queries
    finally:
        con.close()


def require_staff(db_path: Path, username: str = STAFF) -> None:
    """The probe signs in as ``username``; without staff the app would stop at its first-run
    question (connect to a hub, or make a demo store), which the probe cannot answer."""
    con = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        found = con.execute("SELECT count(*) FROM staff WHERE username = ?",
                            (username,)).fetchone()[0]
    finally:
        con.close()
    if not found:
        raise DesktopProbeFailed(f"no staff member {username!r} in {db_path} to sign in as")


def probe_command(db_path: Path, queries_file: Path) -> list[str]:
    return [sys.executable, "-m", PROBE, "--db", str(db_path), "--queries", str(queries_file)]


def probe_environment(workdir: Path) -> dict[str, str]:
    """Qt's offscreen platform, the app's log in ``workdir``, and bytecode: start-up is
    measured as an installed app's (warm) start, with its modules compiled, even where the
    environment says not to write bytecode (a development checkout): the compiled files go
    under ``workdir``, never into the source tree."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               CLIENTELING_LOG_DIR=str(workdir / "desktop-logs"),
               PYTHONPYCACHEPREFIX=str(workdir / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_probe(db_path: Path, workdir: Path, queries: list[str], *,
              timeout_s: float = PROBE_TIMEOUT_S) -> dict[str, Any]:
    """Run the probe on ``db_path`` and return what it printed."""
    workdir.mkdir(parents=True, exist_ok=True)
    queries_file = workdir / "desktop-queries.json"
    queries_file.write_text(json.dumps(queries))
    env = probe_environment(workdir)
    try:
        # A first import writes the bytecode and reads the files into the page cache.
        subprocess.run([sys.executable, "-c", f"import {PROBE}"], capture_output=True,
                       timeout=timeout_s, env=env, check=False)
        done = subprocess.run(probe_command(db_path, queries_file), capture_output=True,
                              text=True, timeout=timeout_s, env=env, check=False)
    except subprocess.TimeoutExpired as exc:
        tail = _tail(exc.stderr)
        raise DesktopProbeFailed(f"the desktop probe did not finish in {timeout_s:.0f} s"
                                 f"{': ' + tail if tail else ''}") from exc
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise DesktopProbeFailed(f"the desktop probe failed (exit {done.returncode}): "
                                 f"{_tail(done.stderr) or 'no output'}")
    measured: dict[str, Any] = json.loads(lines[-1])
    return measured


def _tail(stderr: str | bytes | None) -> str:
    if stderr is None:
        return ""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    return text.strip()[-STDERR_TAIL:]


def measure(run: BenchRun) -> dict[str, Any]:
    """``startup_s``, ``rss_mb`` and ``open_profile_ui_p95_ms``; the probe's other figures
    (median and worst open, how many distinct profiles it opened, searches typed, pages
    scrolled) under ``desktop``."""
    run.progress("desktop: starting the app on the data set, signing in, searching and "
                 "opening profiles")
    require_staff(run.db_path)
    queries = pick_queries(run.db_path, seed=run.seed)
    measured = run_probe(run.db_path, run.workdir / "desktop", queries)
    run.progress(f"desktop: start-up {measured['startup_s']} s, {measured['opens']} profiles "
                 f"opened, p95 {measured['open_profile_ui_p95_ms']} ms, "
                 f"{measured['rss_mb']} MB resident")
    detail = {k: v for k, v in measured.items() if k not in KEYS}
    return {**{k: measured[k] for k in KEYS}, "desktop": detail}
