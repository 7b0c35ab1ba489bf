"""``clienteling bench``'s hub reports part (issue 18: each report ≤ 1 s at 1,000,000 profiles
on the hub; SPEC §5 Reports, §7 ``/reports/...``) and the copy of the data set into
PostgreSQL it measures on. Speeds are reported, never asserted; the answers are checked."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from clienteling.bench import hubreports, local, reactionsload
from clienteling.bench.dataset import build
from clienteling.bench.pgcopy import NOT_COPIED, copy_to_postgres
from clienteling.bench.run import BenchRun, Sizes
from clienteling.engine.clock import FixedClock
from clienteling.engine.context import Context
from clienteling.engine.db import open_database
from clienteling.engine.errors import DomainError
from clienteling.engine.services import Clienteling
from tests.bench.test_hubload import bench_databases
from tests.hub.conftest import _conninfo, fresh_pg_database, pg_server_or_skip, quick_hashes

__all__ = ["quick_hashes"]

TWO_THOUSAND = Sizes(profiles=2000, benefits=6000, rewards=4000)


def _engine(url: str, clock: FixedClock) -> Clienteling:
    return Clienteling(Context(open_database(url), clock, mode="hub"))


def _every_report(cl: Clienteling) -> dict[str, Any]:
    """Each report of the chain and of every store, as the engine computes them."""
    admin = cl.staff.sign_in(*reactionsload.ADMIN)
    out: dict[str, Any] = {}
    for store in [None, *(s.id for s in cl.staff.stores())]:
        out[f"liability {store}"] = cl.reports.liability(admin, store_id=store)
        out[f"expiring {store}"] = cl.reports.expiring(admin, days=30, limit=5000,
                                                       store_id=store)
        out[f"redemptions {store}"] = cl.reports.redemptions(admin, by="day", store_id=store)
        out[f"reactions {store}"] = cl.reports.reactions(admin, store_id=store)
    return out


def _counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        names = [n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]
                for n in names if n not in NOT_COPIED}


def test_every_report_on_the_postgresql_copy_equals_the_sqlite_file(tmp_path: Path) -> None:
    """SPEC §5: the same numbers from the same rows on either backend. The copy's database
    reads instants in a zone 14 hours from UTC, so a naive instant read as local time would
    move every expiry and redemption day."""
    path = tmp_path / "set.db"
    build(path, TWO_THOUSAND, 7, lambda _m: None)
    run = BenchRun(scale=2000, sizes=TWO_THOUSAND, db_path=path, workdir=tmp_path,
                   progress=lambda _m: None)
    hubreports.prepare(path, run)  # redemptions and reaction issues to report
    with Clienteling.open(f"sqlite:///{path}", mode="hub") as cl:
        admin = cl.staff.sign_in(*reactionsload.ADMIN)
        with closing(sqlite3.connect(path)) as raw:
            (voided,) = raw.execute("SELECT id FROM redemptions WHERE type = 'redeem' "
                                    "ORDER BY id LIMIT 1").fetchone()
        cl.rewards.void(admin, voided)
    clock = FixedClock(datetime.now(UTC))
    with fresh_pg_database() as url, _engine(f"sqlite:///{path}", clock) as lite:
        with psycopg.connect(**_conninfo(make_url(url).set(database="postgres")),
                             autocommit=True) as server:
            server.execute(f'ALTER DATABASE "{make_url(url).database}" '
                           "SET timezone TO 'Pacific/Kiritimati'")
        copied = copy_to_postgres(path, url)
        assert copied == _counts(path)
        with _engine(url, clock) as pg:
            expected, found = _every_report(lite), _every_report(pg)
            assert found == expected
            # Not equal by being empty: every report has figures, voids included.
            chain = expected["redemptions None"].total
            assert chain.benefit_uses > 0 and chain.reward_dollars > 0
            assert chain.voided_uses + chain.voided_dollars > 0
            assert expected["reactions None"].total.issued > 0
            assert expected["expiring None"].total_customers > 0
            assert any(s.startswith("liability") and r.total > 0 for s, r in expected.items())

            # The copy is a working hub: the sequences run past the copied rows (the
            # redeem's audit event and feed row are inserted) and the totals' triggers are
            # back (what is owed falls by exactly the dollar redeemed).
            owed = found["liability None"].total
            holder = next(c.profile_id for c in found["expiring None"].customers
                          if c.reward_dollars >= 1)
            associate = pg.staff.sign_in(*local.ASSOCIATE)
            pg.rewards.redeem_amount(associate, holder, "1.00")
            admin = pg.staff.sign_in(*reactionsload.ADMIN)
            assert pg.reports.liability(admin).total == owed - Decimal("1.00")


def test_a_file_at_another_migration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "set.db"
    with Clienteling.open(f"sqlite:///{path}", mode="hub"):
        pass
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
        conn.commit()
    with fresh_pg_database() as url, \
            pytest.raises(DomainError, match="is at migration 0001, PostgreSQL at"):
        copy_to_postgres(path, url)


def test_measure_times_every_report_on_both_hubs(bench_run: BenchRun,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pg = pg_server_or_skip().render_as_string(hide_password=False)
    run = dataclasses.replace(bench_run, pg_url=pg)
    made: list[str] = []
    real_database = hubreports.hub_database

    @contextmanager
    def recorded(*args: Any) -> Iterator[str]:
        with real_database(*args) as url:
            made.append(make_url(url).database or "")
            yield url

    monkeypatch.setattr(hubreports, "hub_database", recorded)
    before = _counts(run.db_path)
    out = hubreports.measure(run)

    assert run.skipped == {}
    for key in hubreports.KEYS:
        assert isinstance(out[key], float) and out[key] > 0, key
    assert isinstance(out["hub_report_pg_load_s"], float)
    answers = out["hub_report_answers"]
    assert set(answers) == {"sqlite", "postgres"}
    assert answers["sqlite"]["reactions"]["issued"] == 2 * hubreports.MADE
    assert answers["sqlite"]["redemptions"]["benefit_uses"] > 0
    # The data set itself is untouched: the hub works on a copy, which is gone.
    assert _counts(run.db_path) == before
    assert not list(run.workdir.glob("hubreports-hub.db*"))
    assert len(made) == 1 and made[0] not in bench_databases(pg)  # dropped


def test_without_postgresql_its_keys_are_null_with_the_reason(bench_run: BenchRun) -> None:
    out = hubreports.measure(bench_run)
    for report in hubreports.REPORTS:
        assert isinstance(out[hubreports.key(report, "sqlite")], float)
        assert out[hubreports.key(report, "postgres")] is None
        assert bench_run.skipped[hubreports.key(report, "postgres")] == \
            "no PostgreSQL server answered"
    assert out["hub_report_pg_load_s"] is None
    assert set(out["hub_report_answers"]) == {"sqlite"}


@pytest.mark.parametrize(("report", "broken", "words"), [
    ("liability", {"total": "0.00", "rewards": [], "benefits": []}, "total owed 0.00"),
    ("liability", {"total": "10.00", "rewards": [{"reward_dollars": "9.00"}],
                   "benefits": [{"uses_outstanding": 1, "instances": 1}]}, "add up to 9.00"),
    ("expiring", {"total_customers": 0, "customers": [], "total_reward_dollars": "0.00",
                  "total_benefits": 0}, "no customer"),
    ("redemptions", {"total": {"benefit_uses": 0, "reward_dollars": "0.00"}, "buckets": []},
     "benefit uses 0"),
    ("reactions", {"total": {"issued": 0, "reward_dollars": "0.00"}, "reactions": []},
     "issued 0"),
])
def test_an_empty_or_inconsistent_answer_is_no_answer(report: str, broken: dict[str, Any],
                                                       words: str) -> None:
    """A broken endpoint must not produce a fast number: the check refuses its answer."""
    doc = {"scope": {"store_id": None}, **broken}
    with pytest.raises(hubreports.NotAnAnswer, match=words):
        hubreports.CHECKS[report](doc)
    with pytest.raises(hubreports.NotAnAnswer, match="not the chain"):
        hubreports.CHECKS[report]({**doc, "scope": {"store_id": "a-store"}})


def test_the_checks_hold_under_python_o() -> None:
    """``python -O`` strips ``assert``: the checks must refuse a broken answer there too."""
    code = ("from clienteling.bench import hubreports\n"
            "try:\n"
            "    hubreports.check_liability({'scope': {'store_id': None}, 'total': '0.00',"
            " 'rewards': [], 'benefits': []})\n"
            "except hubreports.NotAnAnswer as exc:\n"
            "    print('refused:', exc)\n")
    done = subprocess.run([sys.executable, "-O", "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.startswith("refused: total owed 0.00"), done.stdout + done.stderr
