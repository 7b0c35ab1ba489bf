"""The command line: demo data on a fresh database and the audit chain check (issue 2, point 6)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from clienteling.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clienteling.cli", *args],
                          capture_output=True, text=True, timeout=300)


def test_demo_then_audit_verify_passes_and_detects_an_edited_row(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    done = run("demo", "--db", str(db), "--profiles", "300", "--seed", "7")
    assert done.returncode == 0, done.stderr
    assert "ava" in done.stdout and "Traceback" not in done.stderr

    ok = run("audit", "verify", "--db", str(db))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout

    with sqlite3.connect(db) as conn:
        seq = conn.execute("SELECT seq FROM audit_events ORDER BY seq LIMIT 1 OFFSET 3").fetchone()[0]
        conn.execute("UPDATE audit_events SET after = json_set(after, '$.name', 'Tampered') "
                     "WHERE seq = ?", (seq,))
    broken = run("audit", "verify", "--db", str(db))
    assert broken.returncode == 1
    assert f"#{seq}" in broken.stdout


def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from clienteling.demo import create_demo
    from clienteling.engine.clock import FixedClock

    dumps = []
    for name in ("a.db", "b.db"):
        path = tmp_path / name
        create_demo(str(path), profiles=200, seed=3, clock=FixedClock(datetime(2026, 5, 1, tzinfo=UTC)))
        with sqlite3.connect(path) as conn:
            dumps.append([
                conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
                for table in ("profiles", "identities", "benefits", "rewards")
            ])
    assert dumps[0] == dumps[1]
    assert len(dumps[0][0]) == 200


def test_demo_contains_jane_citizen_ready_to_serve(tmp_path: Path) -> None:
    from clienteling.demo import JANE_CARD, create_demo
    from clienteling.engine.services import Clienteling

    url = str(tmp_path / "d.db")
    create_demo(url, profiles=50)
    cl = Clienteling.open(url)
    try:
        [row] = cl.profiles.search(JANE_CARD)
        assert (row.name, row.email, row.tier) == ("Jane Citizen", "jane@example.com", "gold")
        view = cl.overview(row.id, "Australia/Melbourne")
        assert view.profile.gender == "female"
        assert any(b.state.is_redeemable for b in view.benefits)
        assert any(o.claimable for o in view.claim_options)
        assert view.balance > 0
    finally:
        cl.close()


def test_demo_refuses_a_database_that_already_has_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "d.db")
    assert main(["demo", "--db", db, "--profiles", "5"]) == 0
    assert main(["demo", "--db", db, "--profiles", "5"]) == 2
    assert "already has data" in capsys.readouterr().err


def test_bad_database_url_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    done = run("audit", "verify", "--db", "nosuchdialect://x")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("clienteling:")


def test_a_damaged_database_is_said_in_words_without_a_traceback(tmp_path: Path) -> None:
    """Issue 19: the app on a damaged file said so, then printed SQLAlchemy's traceback on
    stderr; the traceback belongs in the log file only."""
    damaged = tmp_path / "till.db"
    damaged.write_bytes(b"not a database at all " * 200)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "CLIENTELING_LOG_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "clienteling.cli", "app", "--db", str(damaged)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    assert "damaged" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" in (tmp_path / "clienteling.log").read_text(encoding="utf-8")


def test_hub_serve_refuses_a_port_out_of_range_in_one_line() -> None:
    done = run("hub", "serve", "--db", "sqlite:///:memory:", "--port", "99999")
    assert done.returncode == 2
    assert done.stderr.strip() == ("clienteling hub: error: --port must be a port number from "
                                   "0 to 65535 (got 99999)")
