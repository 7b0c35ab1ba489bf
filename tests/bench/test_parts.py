"""The bench's own parts on a small data set: local (search, open, redeem through the engine),
conditions and machine. Numbers are checked for presence and type only, never for speed."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from clienteling.bench import conditions, local, machine
from clienteling.bench.run import BenchRun, Sizes
from clienteling.engine.audit import verify_chain
from clienteling.engine.services import Clienteling
from tests.internals import database_of

LOCAL_KEYS = {"search_p95_ms", "open_profile_p95_ms", "redeem_benefit_p95_ms",
              "redeem_reward_p95_ms", *(f"search_{k}_p95_ms" for k in local.KINDS),
              *local.REPORT_KEYS}


def test_local_measures_every_key_with_real_redeems(bench_run: BenchRun) -> None:
    out = local.measure(bench_run)
    assert set(out) == LOCAL_KEYS
    assert all(isinstance(v, float) and v > 0 for v in out.values()), out
    assert out["search_p95_ms"] == max(out[f"search_{k}_p95_ms"] for k in local.KINDS)
    done = local.WARM_UP + local.samples_for(bench_run.scale)
    with closing(sqlite3.connect(bench_run.db_path)) as conn:
        kinds = dict(conn.execute("SELECT type, count(*) FROM redemption_items GROUP BY type").fetchall())
        outbox = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    # Every timed redeem was committed with its outbox entry (a till's database).
    assert kinds["benefit"] == done
    assert kinds["reward"] >= done  # a $1.00 redeem may draw on more than one reward
    assert outbox >= 2 * done
    with Clienteling.open(bench_run.db_url) as cl, database_of(cl).read() as s:
        assert verify_chain(s).ok


def test_local_queries_are_of_their_kind_and_find_their_profile(bench_run: BenchRun) -> None:
    import random

    with closing(sqlite3.connect(bench_run.db_path)) as raw:
        picker = local.Picker(raw, random.Random(5))
        last_names = picker.queries("last_name", 30)
        full = picker.queries("full_name", 30)
        prefixes = picker.queries("name_prefix", 30)
        for query, _pid in last_names:
            assert not picker._starts_a_name(query), query
            assert raw.execute("SELECT 1 FROM profiles WHERE last_name_key LIKE ? || '%'",
                               (query,)).fetchone()
        assert all(" " in q for q, _ in full)
        assert all(2 <= len(q) <= 4 and " " not in q for q, _ in prefixes)


def test_conditions_reports_ours_and_panzi(tmp_path: Path) -> None:
    run = BenchRun(scale=1000, sizes=Sizes.at(1000), db_path=tmp_path / "x.db",
                   workdir=tmp_path, progress=lambda _m: None)
    out = conditions.measure(run)
    assert isinstance(out["condition_evals_per_s"], int) and out["condition_evals_per_s"] > 0
    assert isinstance(out["panzi_evals_per_s"], int) and out["panzi_evals_per_s"] > 0
    assert run.skipped == {}


def test_machine_describes_this_machine(tmp_path: Path) -> None:
    run = BenchRun(scale=1000, sizes=Sizes.at(1000), db_path=tmp_path / "x.db",
                   workdir=tmp_path, progress=lambda _m: None)
    m = machine.measure(run)["machine"]
    assert set(m) == {"cores", "memory_gb", "cpu", "python", "sqlite", "postgresql", "platform",
                      "python_reference_ms"}
    assert isinstance(m["python_reference_ms"], float) and m["python_reference_ms"] > 0
    assert isinstance(m["cores"], int) and m["cores"] >= 1
    assert m["postgresql"] is None and "machine.postgresql" in run.skipped
    assert m["sqlite"] == sqlite3.sqlite_version


def test_memory_is_read_from_meminfo(tmp_path: Path) -> None:
    info = tmp_path / "meminfo"
    info.write_text("MemFree: 1 kB\nMemTotal:       24684084 kB\n", encoding="ascii")
    assert machine.memory_gb(info) == 25.3
    assert machine.memory_gb(tmp_path / "missing") is None
