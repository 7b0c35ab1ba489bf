"""SPEC 3.9 RX2/RX4 time triggers: the daily run on the hub, set-based (one query per
reaction and timezone), exactly once (RX3) — twice the same day, after a crash part way, with
``at`` across a year end and across time zones (a birthday that has begun in Sydney while UTC
is still on the day before), 29 February in a year without one, and lapsed customers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from clienteling.engine.errors import RuleRefused
from clienteling.engine.models import AuditEvent, Benefit, ChangeLog, Reward
from clienteling.engine.reactions import keys
from tests.conftest import T0, World
from tests.internals import context_of


def _gift(w: World) -> Any:
    return w.cl.definitions.create_benefit_definition(w.admin, {
        "name": "Birthday gift", "handle": "birthday-gift", "period": 30, "is_published": True})


def _reaction(w: World, trigger: dict[str, Any], limit: str = "once_per_year",
              handle: str = "birthday", effect: dict[str, Any] | None = None) -> Any:
    return w.cl.reactions.create(w.admin, {
        "handle": handle, "name": handle.title(), "trigger": trigger, "limit": limit,
        "effect": effect or {"benefit_definition_id": _gift(w).id}})


def _person(w: World, first: str, **fields: Any) -> str:
    return str(w.cl.profiles.create(w.associate, {"first_name": first, "last_name": "Daily",
                                                  **fields}).id)


def _held(w: World, model: Any = Benefit) -> dict[str, int]:
    with context_of(w.cl).reading() as s:
        rows = s.execute(select(model.profile_id, func.count()).group_by(model.profile_id))
        return {pid: n for pid, n in rows}


def test_birthday_month_twice_the_same_day_issues_nothing_more(hub: World) -> None:
    w = hub
    r = _reaction(w, {"type": "birthday", "when": "month"})
    march = [_person(w, f"M{i}", birth_date=f"19{80 + i}-03-{10 + i}") for i in range(3)]
    _person(w, "April", birth_date="1990-04-02")
    _person(w, "Nobody")
    first = w.cl.reactions.run_daily(None, T0)
    assert first.issued == {"birthday": 3} and first.ran
    assert _held(w) == {pid: 1 for pid in march}
    with context_of(w.cl).reading() as s:
        ids = set(s.scalars(select(Benefit.id)))
        assert ids == {keys.instance_id(r.id, pid, "2026") for pid in march}
        # One audit event and one change-feed row per instance, as every hub write has.
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity_id.in_(ids))) == 3
        assert s.scalar(select(func.count()).select_from(ChangeLog).where(
            ChangeLog.entity_id.in_(ids))) == 3
    again = w.cl.reactions.run_daily(None, T0 + timedelta(hours=5))
    assert again.issued == {"birthday": 0}
    assert _held(w) == {pid: 1 for pid in march}
    assert w.cl.benefits.for_profile(march[0])[0].benefit.source == "reaction:birthday"


def test_a_crash_in_the_middle_then_a_rerun_completes_exactly_once(hub: World) -> None:
    w = hub
    _reaction(w, {"type": "birthday", "when": "month"})
    march = [_person(w, f"M{i}", birth_date=f"1990-03-{i + 1:02d}") for i in range(7)]

    def crash(batch: int) -> None:
        if batch == 2:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        w.cl.reactions.run_daily(None, T0, batch_size=2, after_batch=crash)
    assert sum(_held(w).values()) == 4  # two batches committed
    rerun = w.cl.reactions.run_daily(None, T0, batch_size=2)
    assert rerun.issued == {"birthday": 3}
    assert _held(w) == {pid: 1 for pid in march}


def test_at_across_a_year_end(hub: World) -> None:
    w = hub
    r = _reaction(w, {"type": "birthday", "when": "day"}, limit="every_time")
    # Melbourne: 31 Dec 2026 10:00 local is 30 Dec 23:00 UTC.
    eve = _person(w, "Eve", birth_date="1985-12-31")
    jan = _person(w, "Jan", birth_date="1985-01-01")
    w.cl.reactions.run_daily(None, datetime(2026, 12, 30, 23, 0, tzinfo=UTC))
    w.cl.reactions.run_daily(None, datetime(2026, 12, 31, 14, 0, tzinfo=UTC))  # 1 Jan 2027 local
    w.cl.reactions.run_daily(None, datetime(2027, 12, 30, 23, 0, tzinfo=UTC))  # 31 Dec 2027 local
    with context_of(w.cl).reading() as s:
        ids = set(s.scalars(select(Benefit.id)))
    assert ids == {keys.instance_id(r.id, eve, "birthday:2026"),
                   keys.instance_id(r.id, jan, "birthday:2027"),
                   keys.instance_id(r.id, eve, "birthday:2027")}


def test_a_sydney_birthday_begins_while_utc_is_the_day_before(hub: World) -> None:
    w = hub
    sydney = w.cl.staff.create_store(None, {"name": "Sydney", "timezone": "Australia/Sydney"})
    _reaction(w, {"type": "birthday", "when": "day"})
    syd = _person(w, "Syd", birth_date="1990-03-03", home_store_id=sydney.id)
    utc = _person(w, "Uma", birth_date="1990-03-03")  # no home store: UTC
    uma_store = w.cl.profiles.update(w.admin, utc, {"home_store_id": None})
    assert uma_store.home_store_id is None
    at = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 3 March 01:00 in Sydney, 2 March in UTC
    assert w.cl.reactions.run_daily(None, at).issued == {"birthday": 1}
    assert set(_held(w)) == {syd}
    w.cl.reactions.run_daily(None, datetime(2026, 3, 3, 1, 0, tzinfo=UTC))  # 3 March in UTC
    assert _held(w) == {syd: 1, utc: 1}


def test_29_february_counts_as_28_february_in_other_years(hub: World) -> None:
    w = hub
    _reaction(w, {"type": "birthday", "when": "day"})
    leap = _person(w, "Leap", birth_date="2000-02-29")
    w.cl.reactions.run_daily(None, datetime(2027, 2, 27, 13, 30, tzinfo=UTC))  # 28 Feb 2027 local
    assert _held(w) == {leap: 1}
    w.cl.reactions.run_daily(None, datetime(2028, 2, 27, 13, 30, tzinfo=UTC))  # 28 Feb 2028
    assert _held(w) == {leap: 1}  # a leap year: the birthday is the 29th
    w.cl.reactions.run_daily(None, datetime(2028, 2, 28, 13, 30, tzinfo=UTC))  # 29 Feb 2028
    assert _held(w) == {leap: 2}


def test_join_anniversary_not_in_the_year_of_joining(hub: World) -> None:
    w = hub
    _reaction(w, {"type": "join_anniversary"}, handle="anniversary")
    old = _person(w, "Old", join_date="2024-03-02")
    _person(w, "New", join_date="2026-03-02")
    assert w.cl.reactions.run_daily(None, T0).issued == {"anniversary": 1}
    assert set(_held(w)) == {old}


def test_lapsed_once_per_lapse_with_a_reward(hub: World) -> None:
    w = hub
    rd = w.cl.definitions.create_reward_definition(w.admin, {
        "name": "Come back", "handle": "come-back", "type": "reactivation", "value": "15.00",
        "period": 30})
    _reaction(w, {"type": "lapsed", "days": 180}, limit="every_time", handle="reactivation",
              effect={"reward_definition_id": rd.id})
    gone = _person(w, "Gone")
    recent = _person(w, "Recent")
    w.clock.set(T0 - timedelta(days=200))
    w.cl.purchases.record(w.associate, gone, {"receipt_ref": "G1", "total": "10.00"})
    w.clock.set(T0 - timedelta(days=10))
    w.cl.purchases.record(w.associate, recent, {"receipt_ref": "R1", "total": "10.00"})
    w.clock.set(T0)
    assert w.cl.reactions.run_daily(None, T0).issued == {"reactivation": 1}
    assert w.cl.reactions.run_daily(None, T0 + timedelta(days=1)).issued == {"reactivation": 0}
    assert _held(w, Reward) == {gone: 1}
    # Back, then gone again for 180 days: a new lapse, a new reward.
    w.cl.purchases.record(w.associate, gone, {"receipt_ref": "G2", "total": "10.00"})
    later = T0 + timedelta(days=190)
    w.clock.set(later)
    assert w.cl.reactions.run_daily(None, later).issued == {"reactivation": 2}
    assert _held(w, Reward) == {gone: 2, recent: 1}


def test_switched_off_archived_definition_and_window_are_skipped_with_reasons(hub: World) -> None:
    w = hub
    r = _reaction(w, {"type": "birthday", "when": "month"})
    _person(w, "M", birth_date="1990-03-05")
    w.cl.reactions.update(w.admin, r.id, {"active_from": "2026-04-01T00:00:00+00:00"})
    assert w.cl.reactions.run_daily(None, T0).skipped == {"birthday": "outside its active window"}
    w.cl.reactions.update(w.admin, r.id, {"active_from": None, "enabled": False})
    assert w.cl.reactions.run_daily(None, T0).issued == {}
    assert _held(w) == {}


def test_dry_run_counts_without_issuing(hub: World) -> None:
    w = hub
    r = _reaction(w, {"type": "birthday", "when": "month"})
    _person(w, "Mia", birth_date="1990-03-05")
    _person(w, "Max", birth_date="1991-03-06", attributes={"vip": True})
    dry = w.cl.reactions.dry_run(w.admin, r.id)
    assert dry.count == 2 and {name for _, name in dry.sample} == {"Mia Daily", "Max Daily"}
    unsaved = w.cl.reactions.dry_run(w.admin, {
        "handle": "vip-birthday", "name": "VIP", "limit": "once",
        "trigger": {"type": "birthday", "when": "month"},
        "condition": {"==": [{"var": "attributes.vip"}, True]},
        "effect": r.effect})
    assert unsaved.count == 1 and unsaved.sample[0][1] == "Max Daily"
    assert _held(w) == {}


def test_the_daily_run_is_the_hubs(world: World) -> None:
    with pytest.raises(RuleRefused):
        world.cl.reactions.run_daily(None, T0)


def test_tier_changed_fires_on_the_hub_not_at_a_till(hub: World, world: World) -> None:
    for w in (hub, world):
        _reaction(w, {"type": "tier_changed", "to": "gold"}, limit="once", handle="gold")
        pid = _person(w, "Tia", tier="silver")
        w.cl.profiles.update(w.admin, pid, {"tier": "platinum"})
        assert _held(w) == {}  # not to gold
        w.cl.profiles.update(w.admin, pid, {"tier": "gold"})
        w.cl.profiles.update(w.admin, pid, {"tier": "silver"})
        w.cl.profiles.update(w.admin, pid, {"tier": "gold"})  # once: not again
        assert _held(w) == ({pid: 1} if w is hub else {})
