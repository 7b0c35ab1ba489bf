"""Claiming C1–C3 (SPEC §3.3) and the claim timeframe as a claim sees it (§3.4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clienteling.engine import rules
from clienteling.engine.errors import NotFound, RuleRefused
from clienteling.engine.models import Benefit, Profile
from tests.conftest import T0, World
from tests.engine.support import (
    benefit_row,
    count,
    definition_row,
    issue,
    make_claimable,
    make_profile,
    mel,
    outbox,
    redemptions_of,
    refused,
    snapshot,
    sql,
)

SEED_003_CONDITION = {"and": [{"===": ["female", {"var": "gender"}]}]}
SEED_001_SHORTHAND = {"rule": "tier", "value": "gold"}
MONDAY_WINDOWS = {
    "timezone": "Australia/Melbourne",
    "timeframe": {"custom": {"Monday": [{"start": "10:00", "end": "14:00"},
                                        {"start": "15:00", "end": "18:00"}]}},
}


def claim(world: World, profile: Profile, definition: Any, **kw: Any) -> Benefit:
    handle = definition if isinstance(definition, str) else definition.handle
    return world.cl.benefits.claim(world.associate, profile.id, handle, **kw)


def refused_claim(world: World, code: str, profile: Profile, definition: Any) -> RuleRefused:
    """A refused claim: the reason code, and no change at all (C2)."""
    return refused(world, code, claim, world, profile, definition)


def option(world: World, profile: Profile, definition: Any) -> Any:
    [found] = [o for o in world.cl.benefits.claim_options(profile.id) if o.definition.id == definition.id]
    return found


# -- C1 claimable -----------------------------------------------------------------------------


def test_C1_condition_from_seed_003(world: World) -> None:
    d = make_claimable(world, claim_condition=SEED_003_CONDITION)
    woman = make_profile(world, gender="female")
    man = make_profile(world, gender="male")
    unknown = make_profile(world)
    assert claim(world, woman, d).profile_id == woman.id
    refused_claim(world, rules.CONDITION_FAILED, man, d)
    refused_claim(world, rules.CONDITION_FAILED, unknown, d)
    assert [o.definition.id for o in world.cl.benefits.claim_options(man.id) if o.claimable] == []


def test_C1_seed_001_shorthand_condition(world: World) -> None:
    d = make_claimable(world, claim_condition=SEED_001_SHORTHAND)
    gold = make_profile(world, tier="gold")
    silver = make_profile(world, tier="silver")
    assert option(world, gold, d).claimable
    opt = option(world, silver, d)
    assert not opt.claimable and opt.code == rules.CONDITION_FAILED
    assert opt.message == "Gold members only"
    error = refused_claim(world, rules.CONDITION_FAILED, silver, d)
    assert "Gold" in error.message
    claim(world, gold, d)


def test_C1_condition_on_attributes(world: World) -> None:
    d = make_claimable(world, claim_condition={">=": [{"var": "attributes.visits"}, 3]})
    regular = make_profile(world, attributes={"visits": 5})
    newcomer = make_profile(world, attributes={"visits": 1})
    claim(world, regular, d)
    refused_claim(world, rules.CONDITION_FAILED, newcomer, d)


@pytest.mark.parametrize("fields", [
    {"is_claimable": False},
    {"is_published": False},
    {"is_assignable": False},
    {"is_archived": True},
], ids=["not-claimable", "unpublished", "not-assignable", "archived"])
def test_C1_flags(world: World, fields: dict[str, Any]) -> None:
    d = make_claimable(world, **fields)
    refused_claim(world, rules.NOT_CLAIMABLE, make_profile(world), d)


def test_C1_claim_period_of_seed_003_read_in_store_timezone(world: World) -> None:
    d = make_claimable(world, claim_period_start_at="2020-12-25 07:00:00",
                       claim_period_end_at="2022-01-05 23:00:00")
    stored = definition_row(world, d.id)
    assert stored.claim_period_start_at == datetime(2020, 12, 24, 20, 0, tzinfo=UTC)  # AEDT +11
    assert stored.claim_period_end_at == datetime(2022, 1, 5, 12, 0, tzinfo=UTC)
    p = make_profile(world)
    # now (2026) is after the end
    err = refused_claim(world, rules.OUTSIDE_CLAIM_PERIOD, p, d)
    assert "ended" in err.message
    world.clock.set(mel(2020, 12, 25, 6, 59))
    err = refused_claim(world, rules.OUTSIDE_CLAIM_PERIOD, p, d)
    assert "starts" in err.message
    world.clock.set(mel(2020, 12, 25, 7, 0))  # the start itself is inside
    claim(world, p, d)
    world.clock.set(mel(2022, 1, 5, 23, 0))  # the end itself is outside
    refused_claim(world, rules.OUTSIDE_CLAIM_PERIOD, make_profile(world), d)


def test_C1_timeframe_open_and_closed(world: World) -> None:
    """T0 is Monday 11:00 in Melbourne; the windows are Monday 10:00–14:00 and 15:00–18:00."""
    d = make_claimable(world, claim_timeframe=MONDAY_WINDOWS, is_reclaimable=True, period=0)
    p = make_profile(world)
    for at, is_open in [
        (mel(2026, 3, 2, 10, 0), True),
        (mel(2026, 3, 2, 13, 59), True),
        (mel(2026, 3, 2, 14, 0), False),  # end is exclusive
        (mel(2026, 3, 2, 14, 30), False),
        (mel(2026, 3, 2, 15, 0), True),
        (mel(2026, 3, 2, 9, 59), False),
        (mel(2026, 3, 3, 11, 0), False),  # Tuesday has no key: no window
        (mel(2026, 3, 9, 16, 0), True),  # next Monday
    ]:
        world.clock.set(at)
        assert option(world, p, d).claimable is is_open, at
        if is_open:
            claim(world, p, d)  # period 0: born expired, so it can be claimed again
        else:
            refused_claim(world, rules.OUTSIDE_TIMEFRAME, p, d)


def test_C1_timeframe_disabled_or_empty_is_no_check(world: World) -> None:
    p = make_profile(world)
    world.clock.set(mel(2026, 3, 3, 3, 0))  # Tuesday 3 am
    claim(world, p, make_claimable(world, claim_timeframe={}))
    claim(world, p, make_claimable(world, claim_timeframe={**MONDAY_WINDOWS, "disable": True}))


@pytest.mark.parametrize("block", [
    {"timezone": "Australia/Melbourne",
     "timeframe": {"custom": {"Monday": [{"start": "00:00", "end": "24:00"}],
                              "Staturday": [{"start": "10:00", "end": "12:00"}]}}},
    {"timeframe": {"repeat": [{"start": "00:00", "end": "24:00"}]}},  # T2: no timezone
    {"timezone": "Australia/Melbourne"},  # T2: no timeframe
    {"timezone": "Mars/Olympus", "timeframe": {"repeat": [{"start": "00:00", "end": "24:00"}]}},
    "every day",
], ids=["Staturday", "no-timezone", "no-timeframe", "bad-zone", "not-an-object"])
def test_C1_invalid_synced_timeframe_is_closed(world: World, block: Any) -> None:
    """T2/T6: a bad block that arrived by sync is kept as received and treated as closed."""
    d = make_claimable(world)
    sql(world, "UPDATE benefit_definitions SET claim_timeframe = :b WHERE id = :id",
        b=json.dumps(block), id=d.id)
    assert definition_row(world, d.id).claim_timeframe == block
    p = make_profile(world)
    opt = option(world, p, d)
    assert not opt.claimable and opt.code == rules.OUTSIDE_TIMEFRAME
    assert "invalid" in (opt.message or "")
    refused_claim(world, rules.OUTSIDE_TIMEFRAME, p, d)


def test_C1_not_reclaimable_refuses_already_claimed(world: World) -> None:
    d = make_claimable(world, period=7, is_reclaimable=False)
    p = make_profile(world)
    claim(world, p, d)
    refused_claim(world, rules.ALREADY_CLAIMED, p, d)
    world.clock.advance(days=30)  # the held one has expired: still refused
    refused_claim(world, rules.ALREADY_CLAIMED, p, d)


def test_C1_null_reclaimable_means_not_reclaimable(world: World) -> None:
    d = make_claimable(world, period=7)  # seed 003 sends "is_reclaimable": null
    p = make_profile(world)
    claim(world, p, d)
    world.clock.advance(days=30)
    refused_claim(world, rules.ALREADY_CLAIMED, p, d)


def test_C1_reclaimable_once_the_held_one_is_no_longer_redeemable(world: World) -> None:
    d = make_claimable(world, period=7, is_reclaimable=True)
    p = make_profile(world)
    first = claim(world, p, d)
    err = refused_claim(world, rules.ALREADY_CLAIMED, p, d)  # the held one is still usable
    assert "usable" in err.message
    world.clock.advance(days=7)  # it expires
    second = claim(world, p, d)
    assert second.id != first.id
    assert count(world, Benefit, Benefit.profile_id == p.id) == 2
    # taken away by a manager (B5) also counts as no longer redeemable
    world.cl.benefits.expire(world.manager, second.id)
    claim(world, p, d)


def test_C1_profile_max_redemptions_reached(world: World) -> None:
    d = make_claimable(world, max_redemptions=1, is_reclaimable=True)
    p = make_profile(world)
    world.cl.benefits.claim_and_redeem(world.associate, p.id, d.handle)
    refused_claim(world, rules.MAX_REDEMPTIONS_REACHED, p, d)


def test_C1_total_allocations(world: World) -> None:
    d = make_claimable(world, total_allocations=2)
    claim(world, make_profile(world), d)
    issue(world, d, make_profile(world))  # a manual issue uses up an allocation too
    assert definition_row(world, d.id).total_issued == 2
    late = make_profile(world)
    assert option(world, late, d).code == rules.ALLOCATIONS_EXHAUSTED
    refused_claim(world, rules.ALLOCATIONS_EXHAUSTED, late, d)
    before = snapshot(world)
    with pytest.raises(RuleRefused) as info:
        issue(world, d, late)
    assert info.value.code == rules.ALLOCATIONS_EXHAUSTED
    assert snapshot(world) == before


def test_C1_global_limit(world: World) -> None:
    d = make_claimable(world, max_global_redemptions=1)
    world.cl.benefits.claim_and_redeem(world.associate, make_profile(world).id, d.handle)
    refused_claim(world, rules.GLOBAL_LIMIT, make_profile(world), d)


def test_C1_unknown_definition_and_profile(world: World) -> None:
    d = make_claimable(world)
    p = make_profile(world)
    before = snapshot(world)
    with pytest.raises(NotFound):
        world.cl.benefits.claim(world.associate, p.id, "no-such-benefit")
    with pytest.raises(NotFound):
        world.cl.benefits.claim(world.associate, "no-such-profile", d.handle)
    assert snapshot(world) == before


def test_C1_claim_options_explain_why_not(world: World) -> None:
    p = make_profile(world, tier="silver")
    ok = make_claimable(world, name="A ok")
    gold = make_claimable(world, name="B gold", claim_condition=SEED_001_SHORTHAND)
    make_claimable(world, name="C hidden", visibility_condition={"rule": "tier", "value": "gold"})
    make_claimable(world, name="D plain", is_claimable=False)  # not a claimable type: not listed
    options = world.cl.benefits.claim_options(p.id)
    assert [(o.definition.name, o.claimable, o.code) for o in options] == [
        ("A ok", True, None), ("B gold", False, rules.CONDITION_FAILED)]
    assert [d.id for d in world.cl.benefits.claimable(p.id)] == [ok.id]
    assert gold.id not in {d.id for d in world.cl.benefits.claimable(p.id)}


# -- C2 claim ---------------------------------------------------------------------------------


def test_C2_claim_creates_an_unredeemed_claimed_instance(world: World) -> None:
    d = make_claimable(world, period=50, max_redemptions=1, max_global_redemptions=10)
    p = make_profile(world)
    b = claim(world, p, d)
    stored = benefit_row(world, b.id)
    assert stored is not None
    assert stored.claimed_at == stored.issued_at == T0
    assert stored.source == "claimed"
    assert stored.timezone == "Australia/Melbourne"
    # 11:00 AEDT + 50 local days is 11:00 AEST, across the April DST change
    assert stored.expires_at == T0 + timedelta(days=50, hours=1)
    assert stored.redemptions_remaining == 1
    assert stored.issued_by_staff_id == world.associate.staff_id
    assert redemptions_of(world, b.id) == []
    after = definition_row(world, d.id)
    assert after.total_global_redemptions == 0 and after.total_issued == 1
    assert world.cl.benefits.get(b.id).state.is_redeemable
    entry = outbox(world)[-1]
    assert (entry.method, entry.path) == ("POST", f"/profiles/{p.id}/benefits/claim")
    assert entry.body["definition"] == d.handle and entry.body["benefit_id"] == b.id


def test_C2_claim_in_another_timezone_uses_its_calendar(world: World) -> None:
    world.clock.set(datetime(2026, 3, 28, 17, 0, tzinfo=UTC))  # 18:00 in Copenhagen (CET)
    d = make_claimable(world, period=1)
    b = claim(world, make_profile(world), d, tz="Europe/Copenhagen")
    assert b.timezone == "Europe/Copenhagen"
    assert b.expires_at == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)  # 18:00 CEST


# -- C3 claim-and-redeem ----------------------------------------------------------------------


def test_C3_claim_and_redeem(world: World) -> None:
    d = make_claimable(world, max_redemptions=2)
    p = make_profile(world)
    r = world.cl.benefits.claim_and_redeem(world.associate, p.id, d.handle, receipt="POS-9")
    [item] = r.items
    b = benefit_row(world, item.item_id)
    assert b is not None and b.source == "claimed" and b.redemptions_remaining == 1
    assert definition_row(world, d.id).total_global_redemptions == 1
    entries = outbox(world)
    assert (entries[-1].method, entries[-1].path) == ("POST", f"/profiles/{p.id}/benefits/claim-redeem")
    assert entries[-1].body["benefit_id"] == b.id and entries[-1].body["redemption_id"] == r.id
    # the claim and the redeem are one outbox entry: the hub repeats them as one call
    assert [e.path for e in entries].count(f"/profiles/{p.id}/benefits/claim") == 0


@pytest.mark.parametrize(("fields", "code"), [
    ({"period": 0}, rules.EXPIRED),  # the new instance is born expired
    ({"end_at": "2026-03-01 00:00:00"}, rules.WINDOW_CLOSED),  # claimable, but the window closed
], ids=["born-expired", "window-closed"])
def test_C3_failed_redeem_leaves_nothing_behind(world: World, fields: dict[str, Any], code: str) -> None:
    d = make_claimable(world, **fields)
    p = make_profile(world)
    before = snapshot(world)
    with pytest.raises(RuleRefused) as info:
        world.cl.benefits.claim_and_redeem(world.associate, p.id, d.handle)
    assert info.value.code == code
    assert snapshot(world) == before  # no benefit row, no counter moved, no audit, no outbox
    assert count(world, Benefit, Benefit.profile_id == p.id) == 0
    assert definition_row(world, d.id).total_issued == 0


def test_C1_B1_a_closed_redemption_window_cannot_be_claimed_or_issued(world: World) -> None:
    """A definition whose end_at has passed would only create instances expired at birth."""
    cl = world.cl
    p = cl.profiles.create(world.associate, {"first_name": "Jo", "last_name": "Bloggs"})
    d = cl.definitions.create_benefit_definition(world.admin, {
        "name": "Closed", "handle": "closed", "period": 10, "is_claimable": True,
        "is_published": True, "end_at": "2026-03-01 09:00:00"})
    [option] = [o for o in cl.benefits.claim_options(p.id) if o.definition.id == d.id]
    assert (option.claimable, option.code) == (False, "window_closed")
    for attempt in (lambda: cl.benefits.claim(world.associate, p.id, "closed"),
                    lambda: cl.benefits.issue(world.manager, {"benefit_definition_id": d.id,
                                                              "profile_id": p.id})):
        with pytest.raises(RuleRefused) as refused:
            attempt()
        assert refused.value.code == "window_closed"
    assert cl.benefits.for_profile(p.id) == []


@pytest.mark.parametrize(("rule", "words"), [
    ({"rule": "tier", "value": "gold"}, "Gold members only"),
    ({"and": [{"===": ["female", {"var": "gender"}]}]}, "Female customers only"),
    ({"==": [{"var": "attributes.favourite_category"}, "denim"]},
     "Customers whose favourite category is denim only"),
    ({">=": [{"var": "age"}, 18]}, "This customer does not meet the conditions"),
])
def test_C1_why_not_is_said_in_words(rule: Any, words: str) -> None:
    from clienteling.engine.services.claim_terms import describe_condition

    assert describe_condition(rule) == words


def test_C4_an_edited_condition_takes_effect_at_once(world: World) -> None:
    """Conditions are compiled once per definition version; an edit is a new version."""
    cl = world.cl
    p = cl.profiles.create(world.associate, {"first_name": "Mia", "last_name": "Ng", "tier": "gold"})
    d = cl.definitions.create_benefit_definition(world.admin, {
        "name": "Gold gift", "handle": "gold-gift", "is_claimable": True, "is_published": True,
        "claim_condition": {"rule": "tier", "value": "gold"}})

    def claimable() -> bool:
        return any(o.claimable for o in cl.benefits.claim_options(p.id) if o.definition.id == d.id)

    assert claimable()
    cl.definitions.update_benefit_definition(world.admin, d.id, {
        "claim_condition": {"rule": "tier", "value": "platinum"}})
    assert not claimable()
    cl.definitions.update_benefit_definition(world.admin, d.id, {"claim_condition": None})
    assert claimable()
