"""The liability report's kept totals (migration 0012, ``engine/report_totals.py``): every
service that changes reward dollars or benefit uses — issue, redeem, void, extend, expire,
reassign, delete, a customer moving store — leaves ``report_totals`` equal to a recount from
the rows, and the liability report equal to its brute-force reference, on SQLite and
PostgreSQL; time passing needs no write."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select, text

from clienteling.engine import report_totals, security
from clienteling.engine.clock import FixedClock
from clienteling.engine.errors import DomainError
from clienteling.engine.models import ReportTotalDelta
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from tests import reports_support as ref
from tests.engine.test_reports import liability_numbers
from tests.internals import database_of

T0 = datetime(2026, 3, 30, 23, 0, tzinfo=UTC)  # the last hours of a month in Melbourne and UTC
MEL, PER = "Australia/Melbourne", "Australia/Perth"


@dataclass
class Env:
    cl: Clienteling
    clock: FixedClock
    mel: str
    per: str
    manager: Actor
    admin: Actor
    url: str


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def env(request: pytest.FixtureRequest, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                           parallelism=1))
    clock = FixedClock(T0)
    if request.param == "sqlite":
        yield from _env(f"sqlite:///{tmp_path / 'till.db'}", clock)
    else:
        from tests.hub.conftest import fresh_pg_database
        with fresh_pg_database() as url:
            yield from _env(url, clock)


def _env(url: str, clock: FixedClock) -> Iterator[Env]:
    with Clienteling.open(url, clock=clock) as cl:
        mel = cl.staff.create_store(None, {"name": "Melbourne", "timezone": MEL})
        per = cl.staff.create_store(None, {"name": "Perth", "timezone": PER})
        people = {}
        for username, role, pin in (("max", "manager", "731405"), ("ada", "admin", "905238")):
            people[role] = cl.staff.actor(cl.staff.create_staff(None, {
                "username": username, "display_name": username, "role": role,
                "store_id": mel.id, "pin": pin}).id)
        yield Env(cl, clock, mel.id, per.id, people["manager"], people["admin"], url)


def check(env: Env) -> None:
    """The kept totals are the rows' recount, and liability is its reference everywhere."""
    assert ref.kept_totals(env.cl) == ref.recounted_totals(env.cl)
    data = ref.dataset_of(env.cl)
    assert liability_numbers(env.cl.reports.liability(env.admin)) == ref.liability(data, None, MEL)
    for store in (env.mel, env.per):
        report = env.cl.reports.liability(env.admin, store_id=store)
        assert liability_numbers(report) == ref.liability(data, store, data.stores[store])
    with database_of(env.cl).read() as s:  # PostgreSQL's deltas were folded into the totals
        assert s.scalar(select(func.count()).select_from(ReportTotalDelta)) == 0
    assert ref.kept_totals(env.cl) == ref.recounted_totals(env.cl)


def test_every_service_write_keeps_the_totals(env: Env) -> None:
    cl, admin, manager = env.cl, env.admin, env.manager
    rdef = cl.definitions.create_reward_definition(admin, {
        "name": "Goodwill", "handle": "goodwill", "type": "customer-service", "period": 60,
        "is_extendable": True, "extend_days": 30})
    bdef = cl.definitions.create_benefit_definition(admin, {
        "name": "Coffee", "handle": "coffee", "is_published": True, "is_assignable": True,
        "is_reassignable": True, "is_extendable": True, "max_redemptions": 2, "period": 30})
    unlimited = cl.definitions.create_benefit_definition(admin, {
        "name": "Lounge", "handle": "lounge", "is_published": True, "is_assignable": True})
    ann = cl.profiles.create(admin, {"first_name": "Ann", "last_name": "A",
                                     "home_store_id": env.mel})
    bob = cl.profiles.create(admin, {"first_name": "Bob", "last_name": "B",
                                     "home_store_id": env.per})
    cat = cl.profiles.create(admin, {"first_name": "Cat", "last_name": "C",
                                     "home_store_id": env.mel})
    check(env)

    def reward(profile: Any, amount: str, **extra: Any) -> Any:
        return cl.rewards.issue(admin, {"profile_id": profile.id, "reward_definition_id": rdef.id,
                                        "value_initial": amount, "reason": "goodwill", **extra})

    # Issue: a month edge in Melbourne (local midnight, 13:00 UTC), one without expiry.
    r1 = reward(ann, "10.00", expires_at="2026-04-30T13:00:00+00:00")
    reward(ann, "20.00", expires_at="2026-04-30T12:59:00+00:00")
    reward(bob, "15.00")
    reward(cat, "5.55", expires_at="2026-03-31T00:30:00+00:00")  # today in UTC, tomorrow locally
    check(env)
    b1 = cl.benefits.issue(manager, {"benefit_definition_id": bdef.id, "profile_id": ann.id})
    cl.benefits.issue(manager, {"benefit_definition_id": bdef.id, "profile_id": bob.id})
    cl.benefits.issue(manager, {"benefit_definition_id": unlimited.id, "profile_id": cat.id})
    check(env)

    cl.benefits.redeem(manager, ann.id, b1.id)  # 2 → 1 use left
    check(env)
    cl.benefits.redeem(manager, ann.id, b1.id)  # none left: it no longer counts
    check(env)
    spent = cl.rewards.redeem_amount(manager, ann.id, "25.00")  # across both of Ann's
    check(env)
    cl.rewards.void(manager, spent.id)
    check(env)
    cl.rewards.extend(admin, r1.id)
    check(env)
    b2 = cl.benefits.issue(manager, {"benefit_definition_id": bdef.id, "profile_id": ann.id})
    cl.benefits.extend(admin, b2.id, days=10)
    check(env)
    cl.benefits.reassign(admin, b2.id, bob.id)  # to a customer of another store
    check(env)
    cl.profiles.update(admin, cat.id, {"home_store_id": env.per})  # Cat moves store
    check(env)
    cl.profiles.update(admin, cat.id, {"home_store_id": None})  # and has none
    check(env)
    cl.benefits.expire(admin, b2.id)
    check(env)
    cl.benefits.delete(admin, b2.id)
    check(env)
    # Time passing writes nothing: the reports start at the new now.
    for hours in (1, 12, 24 * 31, 24 * 70):
        env.clock.set(T0 + timedelta(hours=hours))
        check(env)


def test_every_trigger_exists_at_head(env: Env) -> None:
    """A later migration that rebuilds rewards, benefits or profiles on SQLite drops their
    triggers; it must call ``report_totals.install`` again (this fails until it does)."""
    db = database_of(env.cl)
    with db.reader.connect() as conn:
        if db.dialect == "sqlite":
            names = {r[0] for r in conn.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
        else:
            names = {r[0] for r in conn.execute(text(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))}
    assert set(report_totals.trigger_names()) <= names


def test_install_recounts_what_was_written_without_the_triggers(env: Env) -> None:
    """The bench's bulk load drops the triggers and calls ``install`` after: the recount."""
    cl = env.cl
    rdef = cl.definitions.create_reward_definition(env.admin, {
        "name": "Goodwill", "handle": "goodwill", "type": "customer-service", "period": 60})
    ann = cl.profiles.create(env.admin, {"first_name": "Ann", "last_name": "A",
                                         "home_store_id": env.mel})
    db = database_of(cl)
    with db.writer.begin() as conn:
        report_totals.uninstall(conn)
    cl.rewards.issue(env.admin, {"profile_id": ann.id, "reward_definition_id": rdef.id,
                                 "value_initial": "9.99", "reason": "goodwill"})
    assert ref.kept_totals(cl) != ref.recounted_totals(cl)
    with db.writer.begin() as conn:
        report_totals.install(conn)
    check(env)


STAMP = "2026-03-01T23:00:00+00:00"


def _entries(env: Env, rdef: str, bdef: str, n: int, *, remaining: str, uses: int | None,
             home: str | None, expires: str | None) -> list[dict[str, Any]]:
    pid, bid, rid = (f"00000000-0000-4000-8000-{k}{n:011d}" for k in "123")
    staff = env.manager.staff_id
    return [
        {"type": "profile", "id": pid, "op": "upsert", "data": {
            "id": pid, "first_name": "Remote", "last_name": f"P{n}", "email": None,
            "mobile_phone": None, "gender": None, "birth_date": None, "tier": None,
            "join_date": None, "home_store_id": home, "attributes": {}, "identities": [],
            "created_at": STAMP, "updated_at": STAMP}},
        {"type": "benefit", "id": bid, "op": "upsert", "data": {
            "id": bid, "profile_id": pid, "benefit_definition_id": bdef, "external_id": None,
            "issued_at": STAMP, "expires_at": expires, "timezone": MEL, "claimed_at": None,
            "redemptions_remaining": uses, "meta": None, "redeem_code_pos": f"P{n}",
            "redeem_code_online": None, "source": "issued", "issued_by": staff,
            "created_at": STAMP, "updated_at": STAMP, "is_expired": False,
            "is_redeemable": True}},
        {"type": "reward", "id": rid, "op": "upsert", "data": {
            "id": rid, "profile_id": pid, "reward_definition_id": rdef, "value_initial": "20.00",
            "value_remaining": remaining, "issued_at": STAMP, "expires_at": expires,
            "timezone": MEL, "is_active": True, "extended_at": None, "issued_by": staff,
            "reason": "goodwill", "meta": None, "created_at": STAMP, "updated_at": STAMP}},
    ]


def test_sync_apply_keeps_the_totals(env: Env) -> None:
    """The hub's feed applied on a till (bulk upserts, a first sync's deferred indexes,
    changed balances, a customer's new store, deletes)."""
    cl = env.cl
    rdef = cl.definitions.create_reward_definition(env.admin, {
        "name": "Goodwill", "handle": "goodwill", "type": "customer-service"}).id
    bdef = cl.definitions.create_benefit_definition(env.admin, {
        "name": "Coffee", "handle": "coffee", "is_published": True, "is_assignable": True}).id
    first = [e for n in range(6) for e in _entries(
        env, rdef, bdef, n, remaining="20.00", uses=3, home=(env.mel, env.per, None)[n % 3],
        expires=(None, "2026-04-30T13:00:00+00:00", "2026-03-31T05:00:00+00:00")[n % 3])]
    cl.remote.apply(first[:9], defer_indexes=True)
    if database_of(cl).dialect == "sqlite":  # a first sync writes without the triggers
        with pytest.raises(DomainError, match="first sync has finished"):
            cl.reports.liability(env.manager)
    cl.remote.apply(first[9:], build_indexes=True)
    check(env)
    test_every_trigger_exists_at_head(env)
    changed = [e for n in range(3) for e in _entries(
        env, rdef, bdef, n, remaining=("0.00", "7.25", "19.99")[n], uses=(0, None, 1)[n],
        home=env.per, expires="2026-05-31T14:00:00+00:00")]
    cl.remote.apply(changed)
    check(env)
    gone = [{"type": e["type"], "id": e["id"], "op": "delete"}
            for e in _entries(env, rdef, bdef, 4, remaining="0", uses=0, home=None, expires=None)
            if e["type"] != "profile"]
    cl.remote.apply(gone)
    check(env)


def test_what_reactions_issue_is_in_the_totals(env: Env) -> None:
    """Reactions issue by insert-if-absent (RX3): in a profile's creation, in a purchase's
    unit of work, and in the daily run's batches — each kept like any other issue."""
    cl, admin = env.cl, env.admin
    welcome = cl.definitions.create_benefit_definition(admin, {
        "name": "Welcome", "handle": "welcome-coffee", "is_published": True,
        "is_assignable": True, "period": 30})
    spend = cl.definitions.create_reward_definition(admin, {
        "name": "Spend", "handle": "spend-reward", "type": "spend", "value": "10.00",
        "max_value": "50.00", "period": 45})
    birthday = cl.definitions.create_reward_definition(admin, {
        "name": "Birthday", "handle": "birthday-reward", "type": "birthday", "value": "15.00",
        "period": 31})
    cl.reactions.create(admin, {"handle": "welcome", "name": "Member Activation",
                                "trigger": {"type": "joined"}, "limit": "once",
                                "effect": {"benefit_definition_id": welcome.id}})
    cl.reactions.create(admin, {"handle": "big-spend", "name": "Big spender",
                                "trigger": {"type": "purchase", "min_spend": "100.00"},
                                "limit": "every_time",
                                "effect": {"reward_definition_id": spend.id}})
    cl.reactions.create(admin, {"handle": "birthday", "name": "Birthday",
                                "trigger": {"type": "birthday", "when": "month"},
                                "limit": "once_per_year",
                                "effect": {"reward_definition_id": birthday.id}})
    ann = cl.profiles.create(admin, {"first_name": "Ann", "last_name": "A",
                                     "home_store_id": env.mel, "birth_date": "1990-03-12"})
    bob = cl.profiles.create(admin, {"first_name": "Bob", "last_name": "B",
                                     "home_store_id": env.per, "birth_date": "1985-03-30"})
    check(env)
    cl.purchases.record(env.manager, ann.id, {"receipt_ref": "R1", "total": "150.00"})
    cl.purchases.record(env.manager, bob.id, {"receipt_ref": "R2", "total": "120.00"})
    check(env)
    with Clienteling.open(env.url, clock=env.clock, mode="hub") as hub:  # it runs there
        hub.reactions.run_daily(None, T0)
        hub.reactions.run_daily(None, T0)  # again: nothing more
    check(env)
    data = ref.dataset_of(cl)
    assert sum(1 for r in data.rewards if r["value_initial"] == 15) == 2  # two birthdays
    report = cl.reports.reactions(admin)
    assert {x.handle: x.issued for x in report.reactions} == {
        "welcome": 2, "big-spend": 2, "birthday": 2}
