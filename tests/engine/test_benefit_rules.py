"""Benefit rules B1–B6 and visibility V1 (SPEC §3.1, §3.2), on a real SQLite file and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clienteling.engine import rules
from clienteling.engine.errors import NotFound, RuleRefused, ValidationError
from clienteling.engine.frozen import BenefitRecord
from tests.conftest import T0, World
from tests.engine.support import (
    MEL,
    audit_events,
    benefit_row,
    definition_row,
    issue,
    make_definition,
    make_profile,
    mel,
    redemptions_of,
    refused,
    snapshot,
)

# -- B1 issue ------------------------------------------------------------------------------


def test_B1_expiry_keeps_local_time_across_dst(world: World) -> None:
    """Melbourne leaves daylight time on Sunday 5 April 2026: 09:00 AEDT + 14 days is 09:00 AEST,
    which is a different hour in UTC."""
    world.clock.set(mel(2026, 3, 30, 9, 0))
    d = make_definition(world, period=14, max_redemptions=2)
    p = make_profile(world)
    b = issue(world, d, p)
    stored = benefit_row(world, b.id)
    assert stored is not None
    assert stored.issued_at == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert stored.timezone == "Australia/Melbourne"  # the store's
    assert stored.expires_at == datetime(2026, 4, 12, 23, 0, tzinfo=UTC)
    assert stored.expires_at.astimezone(MEL).replace(tzinfo=None) == datetime(2026, 4, 13, 9, 0)
    assert stored.issued_at.hour != stored.expires_at.hour
    assert stored.redemptions_remaining == 2
    assert stored.source == "issued"
    assert stored.issued_by_staff_id == world.manager.staff_id


def test_B1_explicit_issued_at_and_timezone(world: World) -> None:
    """issued_at without an offset is wall time in the given timezone; expiry is on that calendar."""
    d = make_definition(world, period=1)
    p = make_profile(world)
    b = issue(world, d, p, issued_at="2026-03-28 18:00:00", timezone="Europe/Copenhagen")
    # Europe leaves winter time on 29 March 2026: 18:00 CET + 1 day is 18:00 CEST.
    assert b.issued_at == datetime(2026, 3, 28, 17, 0, tzinfo=UTC)
    assert b.expires_at == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)
    assert b.timezone == "Europe/Copenhagen"


def test_B1_end_at_caps_expiry(world: World) -> None:
    d = make_definition(world, period=30, end_at="2026-03-10 18:00:00")  # read in the store's zone
    b = issue(world, d, make_profile(world))
    assert b.expires_at == mel(2026, 3, 10, 18, 0).astimezone(UTC)
    # A later end_at does not stretch the period.
    d2 = make_definition(world, period=5, end_at="2026-12-31 00:00:00")
    b2 = issue(world, d2, make_profile(world))
    assert b2.expires_at == T0 + timedelta(days=5)


def test_B1_no_period_and_no_end_at_never_expires_and_unlimited(world: World) -> None:
    d = make_definition(world)
    b = issue(world, d, make_profile(world))
    assert b.expires_at is None
    assert b.redemptions_remaining is None
    world.clock.advance(days=3650)
    item = world.cl.benefits.get(b.id)
    assert item.state.is_redeemable and not item.state.is_expired


def test_B1_end_at_without_period_is_the_expiry(world: World) -> None:
    d = make_definition(world, end_at="2026-04-01 12:00:00")
    b = issue(world, d, make_profile(world))
    assert b.expires_at == mel(2026, 4, 1, 12, 0).astimezone(UTC)


def test_B1_archived_definition_cannot_be_issued(world: World) -> None:
    d = make_definition(world, is_archived=True)
    p = make_profile(world)
    refused(world, rules.ARCHIVED, issue, world, d, p)


def test_B1_non_assignable_definition_cannot_be_issued(world: World) -> None:
    d = make_definition(world, is_assignable=False)
    p = make_profile(world)
    refused(world, rules.NOT_ASSIGNABLE, issue, world, d, p)


def test_B1_archiving_later_stops_issue(world: World) -> None:
    d = make_definition(world)
    p = make_profile(world)
    world.cl.definitions.archive_benefit_definition(world.admin, d.id)
    refused(world, rules.ARCHIVED, issue, world, d, p)


# -- B2 / B3 redeem ------------------------------------------------------------------------


def test_B2_B3_exhaustion_after_max_redemptions(world: World) -> None:
    d = make_definition(world, max_redemptions=3)
    p = make_profile(world)
    b = issue(world, d, p)
    for left in (2, 1, 0):
        r = world.cl.benefits.redeem(world.associate, p.id, b.id, receipt=f"R{left}")
        assert r.type == "redeem"
        assert [(i.type, i.item_id, i.count) for i in r.items] == [("benefit", b.id, 1)]
        stored = benefit_row(world, b.id)
        assert stored is not None and stored.redemptions_remaining == left
    assert definition_row(world, d.id).total_global_redemptions == 3
    item = world.cl.benefits.get(b.id)
    assert not item.state.is_redeemable and item.state.reason == rules.EXHAUSTED
    refused(world, rules.EXHAUSTED, world.cl.benefits.redeem, world.associate, p.id, b.id)
    assert len(redemptions_of(world, b.id)) == 3


def test_B2_B3_global_limit_reached(world: World) -> None:
    d = make_definition(world, max_global_redemptions=2)
    p1, p2, p3 = make_profile(world), make_profile(world), make_profile(world)
    b1, b2, b3 = issue(world, d, p1), issue(world, d, p2), issue(world, d, p3)
    world.cl.benefits.redeem(world.associate, p1.id, b1.id)
    world.cl.benefits.redeem(world.associate, p2.id, b2.id)
    item = world.cl.benefits.get(b3.id)
    assert item.state.total_global_redemptions_remaining == 0
    assert item.state.reason == rules.GLOBAL_LIMIT
    refused(world, rules.GLOBAL_LIMIT, world.cl.benefits.redeem, world.associate, p3.id, b3.id)
    assert definition_row(world, d.id).total_global_redemptions == 2


def test_B2_B3_window_closed_when_definition_end_at_passed(world: World) -> None:
    d = make_definition(world, end_at="2026-03-05 12:00:00")
    p = make_profile(world)
    b = issue(world, d, p)
    world.cl.benefits.redeem(world.associate, p.id, b.id)  # still open
    world.clock.set(mel(2026, 3, 5, 12, 0))  # end_at itself is closed
    refused(world, rules.WINDOW_CLOSED, world.cl.benefits.redeem, world.associate, p.id, b.id)


def test_B2_window_closed_even_if_instance_expiry_is_later(world: World) -> None:
    """An admin shortens end_at after issue: the instance's stored expiry is later, but the
    definition's window decides (B2)."""
    d = make_definition(world, period=30)
    p = make_profile(world)
    b = issue(world, d, p)
    world.cl.definitions.update_benefit_definition(world.admin, d.id, {"end_at": "2026-03-03 00:00:00"})
    world.clock.advance(days=2)
    assert world.cl.benefits.get(b.id).state.reason == rules.WINDOW_CLOSED
    refused(world, rules.WINDOW_CLOSED, world.cl.benefits.redeem, world.associate, p.id, b.id)


def test_B2_B3_expired(world: World) -> None:
    d = make_definition(world, period=7)
    p = make_profile(world)
    b = issue(world, d, p)
    world.clock.advance(days=7)  # expires_at itself is expired
    item = world.cl.benefits.get(b.id)
    assert item.state.is_expired and not item.state.is_redeemable
    refused(world, rules.EXPIRED, world.cl.benefits.redeem, world.associate, p.id, b.id)


def test_B2_state_is_computed_at_read_time(world: World) -> None:
    d = make_definition(world, period=1)
    p = make_profile(world)
    b = issue(world, d, p)
    assert world.cl.benefits.get(b.id).state.is_redeemable
    world.clock.advance(days=2)
    [item] = world.cl.benefits.for_profile(p.id)
    assert item.state.is_expired and item.state.reason == rules.EXPIRED


def test_B3_wrong_profile(world: World) -> None:
    d = make_definition(world)
    owner, other = make_profile(world), make_profile(world)
    b = issue(world, d, owner)
    refused(world, rules.WRONG_PROFILE, world.cl.benefits.redeem, world.associate, other.id, b.id)


def test_B3_not_found(world: World) -> None:
    p = make_profile(world)
    before = snapshot(world)
    with pytest.raises(NotFound) as info:
        world.cl.benefits.redeem(world.associate, p.id, "00000000-0000-0000-0000-000000000000")
    assert info.value.code == rules.NOT_FOUND
    assert snapshot(world) == before


def test_B3_success_writes_everything_in_one_transaction(world: World) -> None:
    d = make_definition(world, max_redemptions=2, max_global_redemptions=10)
    p = make_profile(world)
    b = issue(world, d, p)
    events = len(audit_events(world))
    r = world.cl.benefits.redeem(world.associate, p.id, b.id, receipt="POS-1")
    stored = benefit_row(world, b.id)
    assert stored is not None and stored.redemptions_remaining == 1
    assert definition_row(world, d.id).total_global_redemptions == 1
    assert r.transaction_receipt_ref == "POS-1"
    assert r.staff_id == world.associate.staff_id and r.location_id == world.store_id
    new = audit_events(world)[events:]
    assert [e.action for e in new] == ["benefit.redeem"]
    assert world.cl.benefits.get(b.id).state.total_global_redemptions_remaining == 9


def test_B3_unlimited_instance_never_exhausts(world: World) -> None:
    d = make_definition(world)
    p = make_profile(world)
    b = issue(world, d, p)
    for _ in range(5):
        world.cl.benefits.redeem(world.associate, p.id, b.id)
    stored = benefit_row(world, b.id)
    assert stored is not None and stored.redemptions_remaining is None
    assert definition_row(world, d.id).total_global_redemptions == 5


# -- B4 redeem by definition ------------------------------------------------------------------


def test_B4_redeems_the_instance_with_the_nearest_expiry(world: World) -> None:
    d = make_definition(world, period=30, max_redemptions=1)
    p = make_profile(world)
    later = issue(world, d, p)
    sooner = issue(world, d, p, issued_at="2026-02-20 10:00:00")
    r = world.cl.benefits.redeem_by_definition(world.associate, p.id, d.handle)
    assert [i.item_id for i in r.items] == [sooner.id]
    # By id this time: the other one is next.
    r2 = world.cl.benefits.redeem_by_definition(world.associate, p.id, d.id)
    assert [i.item_id for i in r2.items] == [later.id]
    refused(world, rules.EXHAUSTED, world.cl.benefits.redeem_by_definition,
            world.associate, p.id, d.id)


def test_B4_skips_expired_and_prefers_expiring_over_no_expiry(world: World) -> None:
    d = make_definition(world, period=10)
    p = make_profile(world)
    old = issue(world, d, p, issued_at="2026-02-01 10:00:00")  # expired by T0
    current = issue(world, d, p)
    r = world.cl.benefits.redeem_by_definition(world.associate, p.id, d.handle)
    assert [i.item_id for i in r.items] == [current.id]
    assert old.id not in {i.item_id for i in r.items}


def test_B4_none_redeemable(world: World) -> None:
    d = make_definition(world, period=1)
    p = make_profile(world)
    refused(world, rules.EXHAUSTED, world.cl.benefits.redeem_by_definition,
            world.associate, p.id, d.handle)  # holds none
    issue(world, d, p)
    world.clock.advance(days=2)
    refused(world, rules.EXPIRED, world.cl.benefits.redeem_by_definition,
            world.associate, p.id, d.handle)


# -- B5 expire / delete --------------------------------------------------------------------


def test_B5_expire_by_past_expiry_keeps_the_record(world: World) -> None:
    d = make_definition(world, period=30)
    p = make_profile(world)
    b = issue(world, d, p)
    world.cl.benefits.expire(world.manager, b.id)
    item = world.cl.benefits.get(b.id)
    assert item.state.is_expired and item.benefit.expires_at is not None
    assert item.benefit.expires_at < world.clock.now()
    refused(world, rules.EXPIRED, world.cl.benefits.redeem, world.associate, p.id, b.id)
    # an explicit past expiry through set_expiry works the same
    b2 = issue(world, d, p)
    world.cl.benefits.set_expiry(world.manager, b2.id, "2026-03-01 09:00:00")
    assert world.cl.benefits.get(b2.id).benefit.expires_at == mel(2026, 3, 1, 9).astimezone(UTC)
    [ev] = [e for e in audit_events(world) if e.action == "benefit.update" and e.entity_id == b2.id]
    assert ev.before["expires_at"] == (T0 + timedelta(days=30)).isoformat()


def test_B5_delete_removes_instance_and_audit_keeps_before(world: World) -> None:
    d = make_definition(world)
    p = make_profile(world)
    b = issue(world, d, p)
    world.cl.benefits.redeem(world.associate, p.id, b.id)
    world.cl.benefits.delete(world.admin, b.id)
    assert benefit_row(world, b.id) is None
    with pytest.raises(NotFound):
        world.cl.benefits.get(b.id)
    [ev] = [e for e in audit_events(world) if e.action == "benefit.delete"]
    assert ev.entity_id == b.id and ev.profile_id == p.id
    assert ev.before["id"] == b.id and ev.before["benefit_definition_id"] == d.id
    assert ev.before["redeem_code_pos"] == b.redeem_code_pos
    assert ev.staff_id == world.admin.staff_id and ev.store_id == world.store_id
    # the redemption history stays
    assert len(redemptions_of(world, b.id)) == 1


# -- B6 extend / reassign --------------------------------------------------------------------


def test_B6_extend_only_when_extendable(world: World) -> None:
    d = make_definition(world, period=10, is_extendable=True)
    fixed = make_definition(world, period=10)
    p = make_profile(world)
    b = issue(world, d, p)
    before = b.expires_at
    assert before is not None
    out = world.cl.benefits.extend(world.manager, b.id, days=30)
    # 10 + 30 days from 2 March 11:00 AEDT, across the April DST change: 11:00 AEST.
    assert out.expires_at == before + timedelta(days=30, hours=1)
    assert out.expires_at.astimezone(MEL).hour == before.astimezone(MEL).hour
    assert [e.action for e in audit_events(world)][-1] == "benefit.extend"
    b2 = issue(world, fixed, p)
    refused(world, rules.NOT_EXTENDABLE, world.cl.benefits.extend, world.manager, b2.id, days=5)


def test_B6_extend_to_a_date(world: World) -> None:
    d = make_definition(world, period=10, is_extendable=True)
    b = issue(world, d, make_profile(world))
    out = world.cl.benefits.extend(world.manager, b.id, until="2026-06-30 23:59:00")
    assert out.expires_at == mel(2026, 6, 30, 23, 59).astimezone(UTC)
    # "extend" never shortens: that is B5's change of expiry
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        world.cl.benefits.extend(world.manager, b.id, until="2026-06-01 00:00:00")
    assert "extend_date" in info.value.errors
    assert snapshot(world) == before


def test_B6_extend_never_gives_an_expiry_to_a_benefit_without_one(world: World) -> None:
    d = make_definition(world, is_extendable=True)  # no period, no end_at
    b = issue(world, d, make_profile(world))
    err = refused(world, rules.NOT_EXTENDABLE, world.cl.benefits.extend, world.manager, b.id, days=30)
    assert "never expires" in err.message
    refused(world, rules.NOT_EXTENDABLE, world.cl.benefits.extend, world.manager, b.id,
            until="2030-01-01 00:00:00")
    assert world.cl.benefits.get(b.id).benefit.expires_at is None


def test_B6_extend_an_expired_benefit_counts_from_its_expiry(world: World) -> None:
    d = make_definition(world, period=1, is_extendable=True)
    p = make_profile(world)
    b = issue(world, d, p)
    world.clock.advance(days=3)
    out = world.cl.benefits.extend(world.manager, b.id, days=7)
    assert out.expires_at == T0 + timedelta(days=8)
    world.cl.benefits.redeem(world.associate, p.id, b.id)


def test_B6_reassign_only_when_reassignable(world: World) -> None:
    d = make_definition(world, is_reassignable=True)
    fixed = make_definition(world)
    a, b = make_profile(world), make_profile(world)
    movable = issue(world, d, a)
    out = world.cl.benefits.reassign(world.manager, movable.id, b.id)
    assert out.profile_id == b.id
    assert [i.benefit.id for i in world.cl.benefits.for_profile(b.id)] == [movable.id]
    assert world.cl.benefits.for_profile(a.id) == []
    stuck = issue(world, fixed, a)
    refused(world, rules.NOT_REASSIGNABLE, world.cl.benefits.reassign, world.manager, stuck.id, b.id)
    stored = benefit_row(world, stuck.id)
    assert stored is not None and stored.profile_id == a.id


# -- V1 visibility ------------------------------------------------------------------------


def test_V1_visibility(world: World) -> None:
    gold = make_profile(world, tier="gold", gender="female")
    silver = make_profile(world, tier="silver", gender="male")
    shown = make_definition(world, name="A shown")
    make_definition(world, name="B unpublished", is_published=False)
    make_definition(world, name="C archived", is_archived=True)
    capped = make_definition(world, name="D capped", max_global_redemptions=1)
    make_definition(world, name="E gold", visibility_condition={"rule": "tier", "value": "gold"})
    make_definition(
        world, name="F women", visibility_condition={"and": [{"===": ["female", {"var": "gender"}]}]})

    def names(p: object) -> list[str]:
        return [d.name for d in world.cl.benefits.visible(p.id)]  # type: ignore[attr-defined]

    assert names(gold) == ["A shown", "D capped", "E gold", "F women"]
    assert names(silver) == ["A shown", "D capped"]
    b = issue(world, capped, silver)
    world.cl.benefits.redeem(world.associate, silver.id, b.id)
    assert names(gold) == ["A shown", "E gold", "F women"]
    world.cl.definitions.archive_benefit_definition(world.admin, shown.id)
    assert names(silver) == []
    assert isinstance(b, BenefitRecord)


def test_B6_extending_several_benefits_is_all_or_nothing(world: World) -> None:
    """One request, one transaction: a refusal for the second leaves the first as it was."""
    cl = world.cl
    jane = make_profile(world)
    extendable = make_definition(world, period=30, is_extendable=True)
    fixed = make_definition(world, period=30, is_extendable=False)
    first, second = issue(world, extendable, jane), issue(world, fixed, jane)
    before = snapshot(world)
    with pytest.raises(RuleRefused) as refused:
        cl.benefits.extend_many(world.manager, [first.id, second.id], profile_id=jane.id, days=7)
    assert refused.value.code == "not_extendable"
    assert snapshot(world) == before
    [done] = cl.benefits.extend_many(world.manager, [first.id], profile_id=jane.id, days=7)
    assert done.expires_at == rules.add_local_days(first.expires_at, 7, first.timezone)
