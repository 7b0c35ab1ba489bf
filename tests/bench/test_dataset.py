"""The bench's data set (issue 10): the engine can use every row, the rows are stored exactly as
the engine stores them, the indexes are the migrated schema's, and a seed gives the same data."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, select

from clienteling.bench import dataset
from clienteling.engine.audit import verify_chain
from clienteling.engine.clock import FixedClock
from clienteling.engine.db import open_database
from clienteling.engine.models import (
    Base,
    Benefit,
    BenefitDefinition,
    Identity,
    Profile,
    Reward,
    RewardDefinition,
)
from clienteling.engine.services import Clienteling
from clienteling.engine.services.profiles import name_key, phone_key
from tests.bench.conftest import NOW, SMALL, build_small
from tests.internals import database_of

Built = tuple[Path, dict[str, Any]]
BULK = (Profile, Identity, Benefit, Reward)


def _rows(path: Path, table: str, where: str = "", args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(f"SELECT * FROM {table} {where} ORDER BY 1", args).fetchall()


def test_the_sizes_asked_for_are_built_and_reported(built: Built) -> None:
    path, report = built
    assert report["sizes"] == {
        "profiles": 1000, "benefits": 3000, "rewards": 2000, "benefit_definitions": 300,
        "reward_definitions": 50, "db_mb": round(path.stat().st_size / 1e6, 1)}
    assert isinstance(report["build_s"], float)
    with Clienteling.open(str(path)) as cl, database_of(cl).read() as s:
        defs = list(s.scalars(select(BenefitDefinition)))
        assert len(defs) == 300
        assert 230 <= sum(d.is_claimable for d in defs) <= 270
        assert sum(d.total_issued for d in defs) == SMALL.benefits
        assert sum(d.claim_timeframe is not None for d in defs) > 20
        assert sum(d.max_global_redemptions is not None for d in defs) > 10
        for model, n in ((Profile, 1000), (Identity, 1000), (Benefit, 3000), (Reward, 2000),
                         (RewardDefinition, 50)):
            assert len(list(s.scalars(select(model.id)))) == n


def test_every_profile_has_the_engines_search_keys_and_is_found(built: Built) -> None:
    with Clienteling.open(str(built[0])) as cl:
        with database_of(cl).read() as s:
            profiles = list(s.scalars(select(Profile)))
        for p in profiles:
            assert p.name_key == name_key(p.first_name, p.last_name)
            assert p.last_name_key == p.last_name.lower()
            assert p.email_key == (p.email or "").lower()
            assert p.phone_key == phone_key(p.mobile_phone)
            assert [r.id for r in cl.profiles.search(p.email or "")] == [p.id]
            card = p.identities[0].identifier
            assert cl.profiles.find_scan(card).profile_id == p.id
        assert cl.profiles.search("jane citizen")[0].card == "4000000000001"


def test_the_engine_opens_profiles_redeems_and_the_audit_chain_holds(
        built: Built, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    db.write_bytes(built[0].read_bytes())
    with Clienteling.open(str(db), clock=FixedClock(NOW)) as cl:
        ava = cl.staff.sign_in("ava", "4821")
        assert cl.staff.sign_in("max", "731405").role == "manager"
        assert cl.staff.sign_in("ada", "905238").role == "admin"
        with closing(sqlite3.connect(built[0])) as raw:
            held = dict(raw.execute("SELECT profile_id, count(*) FROM benefits GROUP BY profile_id"))
            rewards = dict(raw.execute("SELECT profile_id, count(*) FROM rewards GROUP BY profile_id"))
            ids = [r[0] for r in raw.execute("SELECT id FROM profiles ORDER BY id")]
        redeemed = amount = 0
        for i, pid in enumerate(ids):
            # Every profile opens; the claim options (300 definitions' checks) on every tenth.
            view = cl.overview(pid, ava.timezone, claims=i % 10 == 0)
            assert view.profile.id == pid
            assert (len(view.benefits), len(view.rewards)) == (held.get(pid, 0), rewards.get(pid, 0))
            if i % 10 == 0:
                assert view.claim_options, "about 250 claimable definitions: some are shown"
            if i % 25:
                continue
            live = [b for b in view.benefits if b.state.is_redeemable]
            if live:
                cl.benefits.redeem(ava, pid, live[0].id)
                redeemed += 1
            if view.balance >= 1:
                cl.rewards.redeem_amount(ava, pid, "1.00")
                amount += 1
        assert redeemed >= 10 and amount >= 10, (redeemed, amount)
        with database_of(cl).read() as s:
            assert verify_chain(s).ok


def test_rows_are_stored_as_the_engine_stores_them(built: Built, tmp_path: Path) -> None:
    """Bulk rows read through the engine's types and written back through them into a fresh
    database come out byte for byte as the bulk load wrote them (money as cents, instants as
    naive UTC text, JSON, booleans, dates). The definitions were written by the engine."""
    fresh = tmp_path / "fresh.db"
    open_database(str(fresh)).dispose()
    source = open_database(str(built[0]))
    plain = create_engine(f"sqlite:///{fresh}")  # no foreign keys: one table at a time
    try:
        for model in BULK:
            table = Base.metadata.tables[model.__tablename__]
            with source.read() as s:
                rows = [r._asdict() for r in s.execute(select(table).order_by(table.c.id).limit(40))]
            with plain.begin() as conn:
                for row in rows:  # an attribute never set is left out, as the ORM leaves it
                    conn.execute(insert(table).values({k: v for k, v in row.items() if v is not None}))
            ids = tuple(r["id"] for r in rows)
            where = f"WHERE id IN ({','.join('?' * len(ids))})"
            assert _rows(fresh, model.__tablename__, where, ids) == \
                _rows(built[0], model.__tablename__, where, ids), model.__tablename__
    finally:
        source.dispose()
        plain.dispose()


def test_indexes_are_the_migrated_schemas_and_the_file_is_back_in_wal(
        built: Built, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.db"
    open_database(str(fresh)).dispose()
    query = "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    with closing(sqlite3.connect(built[0])) as a, closing(sqlite3.connect(fresh)) as b:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        assert a.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert a.execute("SELECT count(*) FROM sqlite_stat1").fetchone()[0] > 0
        assert a.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_ids_are_version_4_uuids_in_key_order(built: Built) -> None:
    for table in ("profiles", "identities", "benefits", "rewards"):
        with closing(sqlite3.connect(built[0])) as conn:
            ids = [r[0] for r in conn.execute(f"SELECT id FROM {table} ORDER BY rowid")]
        assert ids == sorted(ids), f"{table} were not inserted in key order"
        assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 4 for i in ids)


def test_the_same_seed_and_clock_build_the_same_data(built: Built, tmp_path: Path) -> None:
    again = tmp_path / "again.db"
    build_small(again)
    for table in ("profiles", "identities", "benefits", "rewards", "benefit_definitions",
                  "reward_definitions", "stores"):
        assert _rows(again, table) == _rows(built[0], table), table


def test_another_seed_builds_other_data(built: Built, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    dataset.build(other, dataset.Sizes(profiles=50, benefits=10, rewards=10, benefit_definitions=10,
                                       reward_definitions=10), 2, lambda _m: None,
                  clock=FixedClock(NOW))
    names = {r[1:3] for r in _rows(other, "profiles")}
    assert names - {r[1:3] for r in _rows(built[0], "profiles")}


def test_an_existing_file_is_refused(tmp_path: Path) -> None:
    existing = tmp_path / "x.db"
    existing.write_bytes(b"")
    with pytest.raises(dataset.DomainError, match="already exists"):
        build_small(existing)


def test_the_liability_totals_are_the_rows_recount_and_kept_after(built: Built,
                                                                   tmp_path: Path) -> None:
    """The loader counts report_totals as it writes (migration 0012), as the triggers would
    have; the triggers are back for what comes after (a redeem here)."""
    import shutil

    from tests import reports_support as ref

    copy = tmp_path / "copy.db"
    shutil.copyfile(built[0], copy)
    with Clienteling.open(str(copy), clock=FixedClock(NOW)) as cl:
        kept = ref.kept_totals(cl)
        assert kept == ref.recounted_totals(cl)
        assert {k[0] for k in kept} == {"r", "b"} and {k[1] for k in kept} >= {"d", "m"}
        ava = cl.staff.sign_in("ava", "4821")
        with database_of(cl).read() as s:
            pid = s.scalars(select(Reward.profile_id).where(
                Reward.value_remaining >= 1, Reward.expires_at > NOW).limit(1)).one()
        cl.rewards.redeem_amount(ava, pid, "1.00")
        assert ref.kept_totals(cl) == ref.recounted_totals(cl) != kept
