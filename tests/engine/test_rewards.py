"""Rewards R1–R6 (SPEC §3.5): issue, manual issue cap, balance, redeem an amount, void, extend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from clienteling.engine import rules
from clienteling.engine.context import Policy
from clienteling.engine.errors import NotFound, PermissionDenied, ValidationError
from clienteling.engine.models import Redemption
from tests.conftest import T0, World
from tests.engine.support import (
    MEL,
    D,
    audit_events,
    benefit_row,
    definition_row,
    give_reward,
    issue,
    make_definition,
    make_profile,
    make_reward_definition,
    outbox,
    refused,
    reward_row,
    snapshot,
    sql,
)
from tests.internals import context_of


def draws(r: Redemption) -> list[tuple[str, Decimal]]:
    return [(i.item_id, i.value) for i in r.items]


# -- R1 issue -------------------------------------------------------------------------------


def test_R1_issue_sets_remaining_and_expiry_on_the_local_calendar(world: World) -> None:
    world.clock.set(datetime(2026, 3, 30, 9, 0, tzinfo=MEL))
    d = make_reward_definition(world, period=14)
    p = make_profile(world)
    r = give_reward(world, d, p, "20.50")
    assert r.value_initial == r.value_remaining == D("20.50")
    assert r.expires_at is not None
    assert r.expires_at.astimezone(MEL).replace(tzinfo=None) == datetime(2026, 4, 13, 9, 0)
    assert r.expires_at == datetime(2026, 4, 12, 23, 0, tzinfo=UTC)
    assert r.timezone == "Australia/Melbourne" and r.reason == "goodwill"
    assert r.issued_by_staff_id == world.admin.staff_id
    assert world.cl.rewards.balance(p.id) == D("20.50")


def test_R1_default_value_from_definition_and_no_expiry(world: World) -> None:
    d = make_reward_definition(world, value="15.00")
    r = give_reward(world, d, make_profile(world), None)
    assert r.value_initial == D("15.00") and r.expires_at is None


def test_R1_bad_values_are_refused_naming_the_field(world: World) -> None:
    d = make_reward_definition(world)
    p = make_profile(world)
    before = snapshot(world)
    for amount in ["0", 0, "-5", -5, "20.001", 0.1 + 0.2, "abc", True, "1e3"]:
        with pytest.raises(ValidationError) as info:
            give_reward(world, d, p, amount)
        assert "value_initial" in info.value.errors, amount
        assert snapshot(world) == before, amount


def test_R1_max_value_of_definition(world: World) -> None:
    d = make_reward_definition(world, max_value="50.00")
    p = make_profile(world)
    give_reward(world, d, p, "50.00")
    with pytest.raises(ValidationError) as info:
        give_reward(world, d, p, "50.01")
    assert "value_initial" in info.value.errors


def test_R1_archived_definition_cannot_be_issued(world: World) -> None:
    d = make_reward_definition(world, is_archived=True)
    refused(world, rules.ARCHIVED, give_reward, world, d, make_profile(world), "5.00")


# -- R2 manual issue --------------------------------------------------------------------------


def manual(world: World, actor: Any, profile_id: str, definition_id: str, amount: str, **kw: Any) -> Any:
    data = {"profile_id": profile_id, "reward_definition_id": definition_id,
            "value_initial": amount, "reason": "parcel arrived late", **kw}
    return world.cl.rewards.issue(actor, data)


def test_R2_manager_cap(world: World) -> None:
    d = make_reward_definition(world)
    p = make_profile(world)
    assert manual(world, world.manager, p.id, d.id, "100.00").value_initial == D("100.00")
    err = refused(world, rules.OVER_CAP, manual, world, world.manager, p.id, d.id, "100.01")
    assert "100.00" in err.message


def test_R2_cap_is_configurable(world: World) -> None:
    context_of(world.cl).policy = Policy(manager_reward_cap=D("25.00"))
    d = make_reward_definition(world)
    p = make_profile(world)
    manual(world, world.manager, p.id, d.id, "25.00")
    refused(world, rules.OVER_CAP, manual, world, world.manager, p.id, d.id, "25.01")


def test_R2_admin_is_not_capped(world: World) -> None:
    d = make_reward_definition(world)
    p = make_profile(world)
    manual(world, world.admin, p.id, d.id, "5000.00")
    assert world.cl.rewards.balance(p.id) == D("5000.00")


def test_R2_associate_is_refused_by_the_engine(world: World) -> None:
    d = make_reward_definition(world)
    p = make_profile(world)
    before = snapshot(world)
    with pytest.raises(PermissionDenied):
        manual(world, world.associate, p.id, d.id, "5.00")
    assert snapshot(world) == before


def test_R2_associate_with_manager_override_is_allowed_and_audited(world: World) -> None:
    d = make_reward_definition(world)
    p = make_profile(world)
    manager = world.cl.staff.authorise_override("max", "731405")
    acting = world.associate.with_override(manager)
    r = manual(world, acting, p.id, d.id, "30.00")
    assert r.issued_by_staff_id == world.associate.staff_id
    ev = audit_events(world)[-1]
    assert ev.action == "reward.issue"
    assert ev.staff_id == world.associate.staff_id
    assert ev.meta["authorised_by"] == world.manager.staff_id
    # the override is a manager's: the manager cap applies
    refused(world, rules.OVER_CAP, manual, world, acting, p.id, d.id, "100.01")


def test_R2_reason_is_required(world: World) -> None:
    d = make_reward_definition(world)
    p = make_profile(world)
    for reason in (None, "", "   "):
        with pytest.raises(ValidationError) as info:
            manual(world, world.manager, p.id, d.id, "5.00", reason=reason)
        assert "reason" in info.value.errors


# -- R3 balance -----------------------------------------------------------------------------


def test_R3_balance_excludes_expired_and_inactive(world: World) -> None:
    short = make_reward_definition(world, period=5)
    long = make_reward_definition(world, period=60)
    forever = make_reward_definition(world)
    p = make_profile(world)
    give_reward(world, short, p, "10.00")
    give_reward(world, long, p, "20.00")
    off = give_reward(world, forever, p, "40.00")
    give_reward(world, forever, make_profile(world), "99.00")  # someone else's
    assert world.cl.rewards.balance(p.id) == D("70.00")
    sql(world, "UPDATE rewards SET is_active = 0 WHERE id = :id", id=off.id)
    assert world.cl.rewards.balance(p.id) == D("30.00")
    world.clock.advance(days=5)  # the short one expires exactly now
    assert world.cl.rewards.balance(p.id) == D("20.00")
    world.clock.advance(days=100)
    assert world.cl.rewards.balance(p.id) == D("0.00")
    refused(world, rules.OVER_BALANCE, world.cl.rewards.redeem_amount, world.associate, p.id, "0.01")


# -- R4 redeem an amount --------------------------------------------------------------------


def test_R4_nearest_expiry_first_with_a_partial_draw(world: World) -> None:
    soon = make_reward_definition(world, period=10)
    later = make_reward_definition(world, period=30)
    never = make_reward_definition(world)
    p = make_profile(world)
    c = give_reward(world, never, p, "50.00")  # issued first, but never expires: drawn last
    b = give_reward(world, later, p, "20.00")
    a = give_reward(world, soon, p, "15.00")
    r = world.cl.rewards.redeem_amount(world.associate, p.id, "25.00", receipt="POS-1")
    assert r.total == D("25.00") and r.type == "redeem"
    assert draws(r) == [(a.id, D("15.00")), (b.id, D("10.00"))]
    assert [i.type for i in r.items] == ["reward", "reward"]
    assert reward_row(world, a.id).value_remaining == D("0.00")
    assert reward_row(world, b.id).value_remaining == D("10.00")
    assert reward_row(world, c.id).value_remaining == D("50.00")
    assert world.cl.rewards.balance(p.id) == D("60.00")
    r2 = world.cl.rewards.redeem_amount(world.associate, p.id, "30.00")
    assert draws(r2) == [(b.id, D("10.00")), (c.id, D("20.00"))]
    entry = outbox(world)[-1]
    assert (entry.method, entry.path) == ("POST", f"/profiles/{p.id}/redeem")
    assert entry.body["amount"] == "30.00"


def test_R4_ties_by_issued_at_then_id(world: World) -> None:
    twenty = make_reward_definition(world, period=20)
    ten = make_reward_definition(world, period=10)
    p = make_profile(world)
    early = give_reward(world, twenty, p, "5.00")  # T0 + 20 days
    world.clock.advance(days=10)
    # three more, issued at the same instant with the same expiry as `early`: by id
    middle = give_reward(world, ten, p, "5.00", id="88888888-0000-4000-8000-000000000000")
    last = give_reward(world, ten, p, "5.00", id="ffffffff-0000-4000-8000-000000000000")
    first = give_reward(world, ten, p, "5.00", id="00000000-0000-4000-8000-000000000000")
    assert early.expires_at == middle.expires_at == last.expires_at == first.expires_at
    assert early.issued_at < first.issued_at == middle.issued_at == last.issued_at
    r = world.cl.rewards.redeem_amount(world.associate, p.id, "17.50")
    assert draws(r) == [(early.id, D("5.00")), (first.id, D("5.00")), (middle.id, D("5.00")),
                        (last.id, D("2.50"))]


def test_R4_preview_matches_the_draw(world: World) -> None:
    d = make_reward_definition(world, period=10)
    p = make_profile(world)
    a = give_reward(world, d, p, "5.00")
    world.clock.advance(days=1)
    b = give_reward(world, d, p, "5.00")
    plan = world.cl.rewards.preview(p.id, "7.00")
    assert [(x.reward_id, x.amount) for x in plan] == [(a.id, D("5.00")), (b.id, D("2.00"))]
    r = world.cl.rewards.redeem_amount(world.associate, p.id, "7.00")
    assert draws(r) == [(x.reward_id, x.amount) for x in plan]


def test_R4_expired_rewards_are_not_drawn(world: World) -> None:
    short = make_reward_definition(world, period=1)
    never = make_reward_definition(world)
    p = make_profile(world)
    old = give_reward(world, short, p, "10.00")
    keep = give_reward(world, never, p, "10.00")
    world.clock.advance(days=2)
    r = world.cl.rewards.redeem_amount(world.associate, p.id, "4.00")
    assert draws(r) == [(keep.id, D("4.00"))]
    assert reward_row(world, old.id).value_remaining == D("10.00")


def test_R4_over_balance_changes_nothing(world: World) -> None:
    d = make_reward_definition(world)
    p = make_profile(world)
    give_reward(world, d, p, "10.00")
    give_reward(world, d, p, "5.00")
    refused(world, rules.OVER_BALANCE, world.cl.rewards.redeem_amount, world.associate, p.id, "15.01")
    world.cl.rewards.redeem_amount(world.associate, p.id, "15.00")  # exactly the balance is fine
    assert world.cl.rewards.balance(p.id) == D("0.00")


BAD_AMOUNTS = [0, "0", "0.00", -5, "-5", "0.001", "20.005", "abc", "", 0.1 + 0.2, True, None, "NaN", "1e2",
               [5], {"amount": 5}]


def test_R4_bad_amounts_are_validation_errors_naming_amount(world: World) -> None:
    """Zero, negative, over-precise and non-numbers: a ValidationError naming ``amount``, never a
    MoneyError (a ValueError the hub would turn into a 500), and nothing changes."""
    d = make_reward_definition(world)
    p = make_profile(world)
    give_reward(world, d, p, "100.00")
    before = snapshot(world)
    for amount in BAD_AMOUNTS:
        with pytest.raises(ValidationError) as info:
            world.cl.rewards.redeem_amount(world.associate, p.id, amount)
        assert list(info.value.errors) == ["amount"], amount
        assert "amount" in str(info.value)
        with pytest.raises(ValidationError):
            world.cl.rewards.preview(p.id, amount)
        assert snapshot(world) == before, amount


def test_R4_amount_as_json_number_and_decimal(world: World) -> None:
    d = make_reward_definition(world)
    p = make_profile(world)
    give_reward(world, d, p, "100.00")
    assert world.cl.rewards.redeem_amount(world.associate, p.id, 20.5).total == D("20.50")
    assert world.cl.rewards.redeem_amount(world.associate, p.id, D("9.5")).total == D("9.50")
    assert world.cl.rewards.balance(p.id) == D("70.00")


def test_R4_unknown_profile(world: World) -> None:
    before = snapshot(world)
    with pytest.raises(NotFound):
        world.cl.rewards.redeem_amount(world.associate, "nobody", "5.00")
    assert snapshot(world) == before


# -- R5 void --------------------------------------------------------------------------------


def test_R5_void_puts_allocations_back_and_twice_changes_nothing(world: World) -> None:
    soon = make_reward_definition(world, period=10)
    later = make_reward_definition(world, period=30)
    p = make_profile(world)
    a = give_reward(world, soon, p, "15.00")
    b = give_reward(world, later, p, "20.00")
    r = world.cl.rewards.redeem_amount(world.associate, p.id, "25.00")
    assert world.cl.rewards.balance(p.id) == D("10.00")
    reversal = world.cl.rewards.void(world.manager, r.id)
    assert reversal.type == "reversal" and reversal.reversal_of_id == r.id
    assert draws(reversal) == draws(r) and reversal.total == D("25.00")
    assert reward_row(world, a.id).value_remaining == D("15.00")
    assert reward_row(world, b.id).value_remaining == D("20.00")
    assert world.cl.rewards.balance(p.id) == D("35.00")
    assert world.cl.rewards.redemption(r.id).reversed_by_id == reversal.id
    entry = outbox(world)[-1]
    assert (entry.method, entry.path) == ("POST", f"/redemptions/{r.id}/reversal")
    refused(world, rules.ALREADY_REVERSED, world.cl.rewards.void, world.manager, r.id)
    refused(world, rules.ALREADY_REVERSED, world.cl.rewards.void, world.admin, r.id)
    refused(world, rules.NOT_REVERSIBLE, world.cl.rewards.void, world.manager, reversal.id)
    assert world.cl.rewards.balance(p.id) == D("35.00")


def test_R5_void_of_a_benefit_redemption_restores_the_counters(world: World) -> None:
    d = make_definition(world, max_redemptions=1, max_global_redemptions=1)
    p = make_profile(world)
    b = issue(world, d, p)
    r = world.cl.benefits.redeem(world.associate, p.id, b.id)
    assert definition_row(world, d.id).total_global_redemptions == 1
    world.cl.rewards.void(world.manager, r.id)
    stored = benefit_row(world, b.id)
    assert stored is not None and stored.redemptions_remaining == 1
    assert definition_row(world, d.id).total_global_redemptions == 0
    assert world.cl.benefits.get(b.id).state.is_redeemable
    refused(world, rules.ALREADY_REVERSED, world.cl.rewards.void, world.manager, r.id)
    # and it can be used again
    world.cl.benefits.redeem(world.associate, p.id, b.id)


def test_R5_void_of_an_unlimited_benefit_redemption(world: World) -> None:
    d = make_definition(world)
    p = make_profile(world)
    b = issue(world, d, p)
    r = world.cl.benefits.redeem(world.associate, p.id, b.id)
    world.cl.rewards.void(world.manager, r.id)
    stored = benefit_row(world, b.id)
    assert stored is not None and stored.redemptions_remaining is None
    assert definition_row(world, d.id).total_global_redemptions == 0


def test_R5_void_unknown_redemption(world: World) -> None:
    before = snapshot(world)
    with pytest.raises(NotFound):
        world.cl.rewards.void(world.manager, "no-such-redemption")
    assert snapshot(world) == before


# -- R6 extend ------------------------------------------------------------------------------


def test_R6_extend(world: World) -> None:
    d = make_reward_definition(world, period=10, is_extendable=True, extend_days=30)
    p = make_profile(world)
    r = give_reward(world, d, p, "10.00")
    world.clock.advance(hours=1)
    out = world.cl.rewards.extend(world.manager, r.id)
    assert r.expires_at is not None
    # 12 March 11:00 AEDT + 30 local days = 11 April 11:00 AEST
    assert out.expires_at == r.expires_at + timedelta(days=30, hours=1)
    assert out.extended_at == T0 + timedelta(hours=1)
    ev = audit_events(world)[-1]
    assert ev.action == "reward.extend"
    assert ev.before["expires_at"] == r.expires_at.isoformat()
    assert ev.after["expires_at"] == out.expires_at.isoformat()
    entry = outbox(world)[-1]
    assert (entry.method, entry.path) == ("POST", "/rewards/extend")


def test_R6_not_extendable(world: World) -> None:
    fixed = make_reward_definition(world, period=10)
    forever = make_reward_definition(world, is_extendable=True, extend_days=30)
    p = make_profile(world)
    r = give_reward(world, fixed, p, "10.00")
    refused(world, rules.NOT_EXTENDABLE, world.cl.rewards.extend, world.manager, r.id)
    r2 = give_reward(world, forever, p, "10.00")
    refused(world, rules.NOT_EXTENDABLE, world.cl.rewards.extend, world.manager, r2.id)
    with pytest.raises(NotFound):
        world.cl.rewards.extend(world.manager, "no-such-reward")
