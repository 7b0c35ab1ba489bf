"""SPEC 3.9 reactions through ``cl.reactions`` on a real till file: every bad shape of RX2 is
refused naming its field with nothing saved; edits carry versions; an admin only; what fires
(joined, purchase, spend milestone) is issued once per key (RX3) in the triggering unit of
work, with its source (RX5) and outbox entry."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from clienteling.engine.errors import PermissionDenied, ValidationError, VersionConflict
from clienteling.engine.models import Benefit, OutboxEntry, Reaction, Reward
from clienteling.engine.reactions import keys
from tests.conftest import World
from tests.engine.support import (
    count,
    make_definition,
    make_profile,
    make_reward_definition,
    outbox,
)
from tests.internals import context_of

D = Decimal


@pytest.fixture
def welcome(world: World) -> Any:
    return make_definition(world, name="Welcome coffee", handle="welcome-coffee", period=30)


@pytest.fixture
def spend_reward(world: World) -> Any:
    return make_reward_definition(world, name="Spend reward", handle="spend-reward", type="spend",
                                  value="10.00", max_value="50.00", period=90)


def body(effect: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"handle": "welcome", "name": "Member Activation", "trigger": {"type": "joined"},
            "effect": effect, "limit": "once", "enabled": True, **fields}


def _bad(world: World, data: dict[str, Any]) -> dict[str, list[str]]:
    before = (count(world, Reaction), len(outbox(world)))
    with pytest.raises(ValidationError) as error:
        world.cl.reactions.create(world.admin, data)
    assert (count(world, Reaction), len(outbox(world))) == before  # nothing saved
    return error.value.errors


def test_rx1_create_get_update_archive_with_versions(world: World, welcome: Any) -> None:
    cl = world.cl
    made = cl.reactions.create(world.admin, body({"benefit_definition_id": welcome.id}))
    assert (made.version, made.limit, made.enabled, made.archived, made.problem) == (
        1, "once", True, False, None)
    assert cl.reactions.get("welcome").id == made.id
    entry = outbox(world)[-1]
    assert (entry.method, entry.path, entry.entity_type) == ("POST", "/reactions", "reaction")
    edited = cl.reactions.update(world.admin, made.id, {"name": "Welcome"}, expected_version=1)
    assert (edited.name, edited.version) == ("Welcome", 2)
    assert outbox(world)[-1].headers == {"If-Match": "1"}
    with pytest.raises(VersionConflict):
        cl.reactions.update(world.admin, made.id, {"name": "Stale"}, expected_version=1)
    archived = cl.reactions.archive(world.admin, made.id, expected_version=2)
    assert archived.archived and archived.version == 3
    assert outbox(world)[-1].method == "DELETE"
    assert [r.handle for r in cl.reactions.list(include_archived=False)] == []
    assert archived.wire()["archived"] is True and "problem" in archived.wire()


@pytest.mark.parametrize("role", ["associate", "manager"])
def test_rx1_only_an_admin_edits_reactions(world: World, welcome: Any, role: str) -> None:
    with pytest.raises(PermissionDenied):
        world.cl.reactions.create(world.actor(role), body({"benefit_definition_id": welcome.id}))


@pytest.mark.parametrize(("trigger", "field"), [
    ({"type": "wedding"}, "trigger.type"),
    ({}, "trigger.type"),
    ("joined", "trigger"),
    ({"type": "joined", "threshold": "5.00"}, "trigger.threshold"),
    ({"type": "birthday"}, "trigger.when"),
    ({"type": "birthday", "when": "week"}, "trigger.when"),
    ({"type": "purchase", "min_spend": "-1.00"}, "trigger.min_spend"),
    ({"type": "purchase", "min_spend": "1.001"}, "trigger.min_spend"),
    ({"type": "spend_milestone"}, "trigger.threshold"),
    ({"type": "spend_milestone", "threshold": "-500"}, "trigger.threshold"),
    ({"type": "spend_milestone", "threshold": "abc"}, "trigger.threshold"),
    ({"type": "lapsed", "days": 0}, "trigger.days"),
    ({"type": "lapsed", "days": 1.5}, "trigger.days"),
    ({"type": "lapsed", "days": "180"}, "trigger.days"),
    ({"type": "tier_changed", "to": 5}, "trigger.to"),
])
def test_rx2_every_bad_trigger_shape_names_its_field(world: World, welcome: Any,
                                                     trigger: Any, field: str) -> None:
    errors = _bad(world, body({"benefit_definition_id": welcome.id}, trigger=trigger))
    assert field in errors, errors


def test_rx2_bad_effects_limits_and_windows_name_their_fields(
        world: World, welcome: Any, spend_reward: Any) -> None:
    cl = world.cl
    assert "effect.benefit_definition_id" in _bad(world, body({"benefit_definition_id": "nope"}))
    assert "effect" in _bad(world, body({}))
    assert "effect.value" in _bad(world, body({"reward_definition_id": spend_reward.id,
                                               "value": "50.01"}))
    assert "effect.value" in _bad(world, body({"reward_definition_id": spend_reward.id,
                                               "value": "1.234"}))
    assert "limit" in _bad(world, body({"benefit_definition_id": welcome.id}, limit="twice"))
    assert "active_to" in _bad(world, body({"benefit_definition_id": welcome.id},
                                           active_from="2026-03-01T00:00:00+00:00",
                                           active_to="2026-02-01T00:00:00+00:00"))
    assert "condition" in _bad(world, body({"benefit_definition_id": welcome.id},
                                           condition={"nope": [1]}))
    old = make_definition(world, name="Old")
    cl.definitions.archive_benefit_definition(world.admin, old.id)
    errors = _bad(world, body({"benefit_definition_id": old.id}))
    assert "archived" in errors["effect.benefit_definition_id"][0]


def test_rx2_a_definition_archived_later_stops_it_and_says_why(world: World, welcome: Any) -> None:
    cl = world.cl
    cl.reactions.create(world.admin, body({"benefit_definition_id": welcome.id}))
    cl.definitions.archive_benefit_definition(world.admin, welcome.id)
    assert cl.reactions.get("welcome").problem == (
        "Its benefit definition Welcome coffee is archived.")
    jane = make_profile(world)
    assert count(world, Benefit, Benefit.profile_id == jane.id) == 0


def test_rx3_rx4_rx5_joined_issues_the_welcome_benefit_in_the_creation_unit(
        world: World, welcome: Any) -> None:
    cl = world.cl
    reaction = cl.reactions.create(world.admin, body({"benefit_definition_id": welcome.id}))
    jane = make_profile(world)
    held = cl.benefits.for_profile(jane.id)
    assert len(held) == 1
    benefit = held[0].benefit
    assert benefit.source == "reaction:welcome" and held[0].state.is_redeemable
    assert benefit.id == keys.instance_id(reaction.id, jane.id, "once")
    entries = [e for e in outbox(world) if e.profile_id == jane.id]
    assert [(e.method, e.path) for e in entries] == [
        ("POST", "/profiles"), ("POST", f"/reactions/{reaction.id}/issues")]
    assert entries[0].unit_id == entries[1].unit_id  # one unit of work
    assert entries[1].body["period"] == "once"
    # Redeemable in the same visit, offline.
    cl.benefits.redeem(world.associate, jane.id, benefit.id)


def test_rx3_spend_milestone_once_per_crossing_across_a_return(
        world: World, spend_reward: Any) -> None:
    cl = world.cl
    cl.reactions.create(world.admin, {
        "handle": "spend-500", "name": "Spend 500", "trigger": {"type": "spend_milestone",
                                                                 "threshold": "500.00"},
        "effect": {"reward_definition_id": spend_reward.id, "value": "25.00"},
        "limit": "every_time"})
    jane = make_profile(world)
    cl.purchases.record(world.associate, jane.id, {"receipt_ref": "A1", "total": "400.00"})
    assert count(world, Reward, Reward.profile_id == jane.id) == 0
    sale = cl.purchases.record(world.associate, jane.id, {"receipt_ref": "A2", "total": "150.00"})
    assert [(e.kind, e.value, e.reaction) for e in sale.earned] == [
        ("reward", D("25.00"), "Spend 500")]
    cl.purchases.record_return(world.associate, jane.id, sale.id,
                               {"receipt_ref": "A2-R", "total": "150.00"})
    again = cl.purchases.record(world.associate, jane.id, {"receipt_ref": "A3",
                                                           "total": "100.00"})
    assert again.earned == ()  # the same crossing: the same key
    rewards = cl.rewards.for_profile(jane.id)
    assert [(r.value_initial, r.source) for r in rewards] == [(D("25.00"), "reaction:spend-500")]


def test_rx2_purchase_min_spend_condition_and_checkout_earned(
        world: World, spend_reward: Any) -> None:
    cl = world.cl
    cl.reactions.create(world.admin, {
        "handle": "big-spend", "name": "Big spender", "limit": "every_time",
        "trigger": {"type": "purchase", "min_spend": "100.00"},
        "condition": {">=": [{"var": "event.eligible_spend"}, 100]},
        "effect": {"reward_definition_id": spend_reward.id}})
    jane = make_profile(world)
    small = cl.purchases.record(world.associate, jane.id, {"receipt_ref": "S", "total": "99.99"})
    assert small.earned == ()
    result = cl.checkout.confirm(world.associate, jane.id, [
        {"sku": "TEE", "category": "apparel", "quantity": 2, "unit_price": "60.00"}],
        receipt_ref="C-1")
    assert [(e.kind, e.name, e.value) for e in result.earned] == [
        ("reward", "Spend reward", D("10.00"))]
    receipt = cl.checkout.confirm_receipt(world.associate, jane.id, [
        {"sku": "TEE", "category": "apparel", "quantity": 2, "unit_price": "60.00"}],
        receipt_ref="C-2")
    assert len(receipt.earned) == 1 and receipt.earned[0].expires_at is not None


def test_rx3_the_insert_decides_a_second_firing_of_the_same_key_issues_nothing(
        world: World, welcome: Any) -> None:
    cl = world.cl
    reaction = cl.reactions.create(world.admin, body({"benefit_definition_id": welcome.id},
                                                     limit="once_per_year"))
    jane = make_profile(world)
    ctx = context_of(cl)
    from clienteling.engine.reactions.fire import fire

    with ctx.transaction(world.associate) as uow:
        assert fire(uow, "joined", jane.id, {"type": "joined"}, at=uow.now, every="joined",
                    on=jane.join_date) == []
    with ctx.reading() as s:
        ids = list(s.scalars(select(Benefit.id).where(Benefit.profile_id == jane.id)))
        assert ids == [keys.instance_id(reaction.id, jane.id, "2026")]
        assert s.scalar(select(OutboxEntry.seq).where(
            OutboxEntry.path == f"/reactions/{reaction.id}/issues")) is not None


def test_rx5_history_says_what_was_issued_automatically_and_by_which_reaction(
        world: World, welcome: Any, spend_reward: Any) -> None:
    cl = world.cl
    cl.reactions.create(world.admin, body({"benefit_definition_id": welcome.id}))
    cl.reactions.create(world.admin, {
        "handle": "spend-100", "name": "Spend reward 2026", "limit": "once",
        "trigger": {"type": "spend_milestone", "threshold": "100.00"},
        "effect": {"reward_definition_id": spend_reward.id}})
    jane = make_profile(world)
    cl.purchases.record(world.associate, jane.id, {"receipt_ref": "H1", "total": "120.00"})
    rows = [(r.text, r.staff, r.amount, r.pending) for r in cl.timeline(jane.id)]
    # What was issued, by which reaction, and why: its trigger in words.
    assert ("Issued Welcome coffee automatically — Member Activation (when a customer joins)",
            "System", None, True) in rows
    assert ("Issued Spend reward automatically — Spend reward 2026 (when lifetime spend reaches "
            "$100.00)", "System", D("10.00"), True) in rows
    assert sum("Issued" in text for text, *_ in rows) == 2  # not also as a manual issue


def test_rx4_imported_purchases_and_returns_fire_nothing(world: World, spend_reward: Any) -> None:
    cl = world.cl
    cl.reactions.create(world.admin, {
        "handle": "any-purchase", "name": "Any purchase", "limit": "every_time",
        "trigger": {"type": "purchase"}, "effect": {"reward_definition_id": spend_reward.id}})
    jane = make_profile(world)
    old = cl.purchases.record(world.admin, jane.id, {"receipt_ref": "OLD", "total": "80.00"},
                              source="import")
    assert old.earned == ()
    cl.purchases.record_return(world.associate, jane.id, old.id,
                               {"receipt_ref": "OLD-R", "total": "10.00"})
    assert cl.rewards.for_profile(jane.id) == []
    live = cl.purchases.record(world.associate, jane.id, {"receipt_ref": "NEW", "total": "1.00"})
    assert len(live.earned) == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"trigger": {"type": "wedding"}}, "trigger.type"),
    ({"trigger": {"type": "spend_milestone", "threshold": "1.001"}}, "trigger.threshold"),
    ({"effect": {}}, "effect"),
    ({"limit": "sometimes"}, "limit"),
    ({"active_to": "2025-01-01T00:00:00+00:00"}, "active_to"),
    ({"condition": {"nope": [1]}}, "condition"),
])
def test_s4_a_bad_synced_reaction_is_refused_naming_its_field(
        world: World, welcome: Any, change: dict[str, Any], field: str) -> None:
    from clienteling.engine import entities, wire

    record = wire.reaction(world.cl.reactions.create(
        world.admin, body({"benefit_definition_id": welcome.id},
                          active_from="2026-01-01T00:00:00+00:00")))
    assert entities.parse("reaction", record).row["handle"] == "welcome"
    with pytest.raises(ValidationError) as error:
        entities.parse("reaction", {**record, **change})
    assert field in error.value.errors and "synced reaction" in str(error.value)
