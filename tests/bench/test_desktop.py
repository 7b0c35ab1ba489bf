"""The desktop part of ``clienteling bench`` (issue 10): the probe starts the real app in a
process of its own, signs in, searches and opens profiles by clicking results; here on a
small demo database, checking what it reports and that it really did the browsing. Times
are reported by the bench, never asserted."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from clienteling.bench import desktop
from clienteling.bench.run import BenchRun, Sizes
from clienteling.demo import create_demo

PROFILES = 300


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store (ava, max, ada with their PINs), as the bench's data set has them."""
    path = tmp_path_factory.mktemp("desktop") / "till.db"
    create_demo(f"sqlite:///{path}", profiles=PROFILES)
    return path


def _profile_texts(db: Path) -> tuple[set[str], set[str], set[str], set[str]]:
    con = sqlite3.connect(db)
    try:
        rows = con.execute("SELECT first_name, last_name, email FROM profiles").fetchall()
    finally:
        con.close()
    return ({f for f, _, _ in rows}, {la for _, la, _ in rows},
            {f"{f} {la}" for f, la, _ in rows}, {e for _, _, e in rows if e})


def test_the_queries_are_names_surnames_full_names_and_emails_of_profiles(demo_db: Path) -> None:
    queries = desktop.pick_queries(demo_db, seed=1, count=12)
    firsts, lasts, fulls, emails = _profile_texts(demo_db)
    assert len(queries) == len(set(queries)) == 12
    assert queries[0] in {f[:3] for f in firsts}  # the first is a prefix: its list is scrolled
    assert queries[1] in lasts
    assert queries[2] in fulls
    assert queries[3] in emails
    assert desktop.pick_queries(demo_db, seed=1, count=12) == queries  # the seed decides


def test_the_part_reports_its_keys_after_opening_distinct_profiles(demo_db: Path,
                                                                   tmp_path: Path) -> None:
    progress: list[str] = []
    run = BenchRun(scale=PROFILES, sizes=Sizes.at(PROFILES), db_path=demo_db,
                   workdir=tmp_path, progress=progress.append)

    measured = desktop.measure(run)

    assert set(measured) == {"startup_s", "rss_mb", "open_profile_ui_p95_ms", "desktop"}
    for key in ("startup_s", "rss_mb", "open_profile_ui_p95_ms"):
        assert isinstance(measured[key], float) and measured[key] > 0, key
    detail = measured["desktop"]
    # Every open clicked a result not opened before, and the probe checked that the panel
    # painted that customer's name; so the opens are of as many distinct profiles.
    assert detail["opens"] >= 50
    assert detail["distinct_profiles"] == detail["opens"]
    assert detail["searches"] >= 20
    assert detail["open_profile_ui_p50_ms"] <= measured["open_profile_ui_p95_ms"] \
        <= detail["open_profile_ui_max_ms"]
    assert 0 < detail["imports_s"] < measured["startup_s"]
    assert progress and progress[0].startswith("desktop:")
    assert (tmp_path / "desktop" / "desktop-logs").is_dir()  # the app's log, not the user's


def test_a_probe_that_fails_raises_with_its_stderr(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"this is not a database" * 100)

    with pytest.raises(desktop.DesktopProbeFailed) as failed:
        desktop.run_probe(broken, tmp_path / "work", ["Oli"])

    message = str(failed.value)
    assert "exit 2" in message
    assert "cannot start" in message


def test_a_database_without_the_staff_to_sign_in_as_is_refused_before_starting_the_app(
        demo_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "no-staff.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{demo_db}{suffix}").exists():
            shutil.copyfile(f"{demo_db}{suffix}", f"{db}{suffix}")
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE staff SET username = 'nobody' WHERE username = 'ava'")
    con.close()
    run = BenchRun(scale=PROFILES, sizes=Sizes.at(PROFILES), db_path=db, workdir=tmp_path,
                   progress=lambda _text: None)

    with pytest.raises(desktop.DesktopProbeFailed) as refused:
        desktop.measure(run)

    assert str(refused.value) == f"no staff member 'ava' in {db} to sign in as"
