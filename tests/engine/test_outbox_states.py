"""The outbox sync can trust (SPEC §6 outbox, GUIDE principle 5): each entry records the
entities it touches and the unit (local transaction) it belongs to; its state moves
pending -> in_flight -> done | conflict | pending only by conditional UPDATEs; the pusher
claims entries in order, never past one they depend on that is not settled."""

from __future__ import annotations

from datetime import timedelta

import pytest

from clienteling.engine.errors import NotFound, PermissionDenied
from clienteling.engine.services.outbox import OutboxItem, OutboxStateError
from tests.conftest import World
from tests.engine.support import (
    audit_events,
    give_reward,
    issue,
    make_claimable,
    make_definition,
    make_profile,
    make_reward_definition,
)


def _items(world: World) -> list[OutboxItem]:
    return world.cl.outbox.pending()


def _settle_all(world: World) -> None:
    """Mark what exists so far as accepted, so a test starts from an empty queue."""
    while batch := world.cl.outbox.claim_next(100):
        for item in batch:
            world.cl.outbox.mark_done(item.seq, {"ok": True})


def test_each_entry_records_the_entities_it_touches(world: World) -> None:
    cl = world.cl
    jane = make_profile(world)
    d = make_definition(world, max_redemptions=2)
    benefit = issue(world, d, jane)
    redemption = cl.benefits.redeem(world.associate, jane.id, benefit.id)
    by_entity = {i.entity_id: i for i in _items(world)}
    assert by_entity[jane.id].entities == (("profile", jane.id, "created"),)
    # issuing counts against the definition's allocations (C1): referred to, not changed
    assert set(by_entity[benefit.id].entities) == {("benefit", benefit.id, "created"),
                                                  ("benefit_definition", d.id, "ref"),
                                                  ("profile", jane.id, "ref")}
    # the redeem creates the redemption, changes the benefit, only counts against its definition
    assert set(by_entity[redemption.id].entities) == {
        ("redemption", redemption.id, "created"), ("benefit", benefit.id, "changed"),
        ("benefit_definition", d.id, "ref"), ("profile", jane.id, "ref")}
    # pending_ids reads exactly these: the profile, the benefit, the redemption
    assert cl.outbox.pending_ids(jane.id) == {jane.id, benefit.id, redemption.id}


def test_reward_redemption_touches_the_rewards_it_drew_on(world: World) -> None:
    jane = make_profile(world)
    rd = make_reward_definition(world)
    r1, r2 = give_reward(world, rd, jane, "10.00"), give_reward(world, rd, jane, "10.00")
    redemption = world.cl.rewards.redeem_amount(world.associate, jane.id, "15.00")
    [entry] = [i for i in _items(world) if i.entity_id == redemption.id]
    assert {(t, i) for t, i, role in entry.entities if role == "changed"} == {
        ("reward", r1.id), ("reward", r2.id)}


def test_a_checkout_is_one_unit(world: World) -> None:
    cl, admin = world.cl, world.admin
    jane = make_profile(world)
    d1, d2 = make_definition(world), make_definition(world)
    b1, b2 = issue(world, d1, jane), issue(world, d2, jane)
    rd = make_reward_definition(world)
    give_reward(world, rd, jane, "30.00")
    before = {i.seq for i in _items(world)}
    result = cl.checkout.confirm(admin, jane.id, [
        {"sku": "TEE", "category": "tops", "quantity": 1, "unit_price": "100.00"}],
        [b1.id, b2.id], "10.00")
    new = [i for i in _items(world) if i.seq not in before]
    # two benefit redeems, one reward redeem and the purchase (SPEC P2)
    assert len(new) == 4
    assert len({i.unit_id for i in new}) == 1
    assert result.purchase is not None
    assert {i.entity_id for i in new} == {r.id for r in result.redemptions} | {result.purchase.id}
    # earlier entries each stand alone
    assert len({i.unit_id for i in _items(world) if i.seq in before}) == len(before)


def test_claim_and_redeem_is_one_entry_touching_both_records(world: World) -> None:
    cl = world.cl
    jane = make_profile(world)
    d = make_claimable(world)
    events_before = len(audit_events(world))
    before = {i.seq for i in _items(world)}
    redemption = cl.benefits.claim_and_redeem(world.associate, jane.id, d.handle)
    [entry] = [i for i in _items(world) if i.seq not in before]
    benefit_id = redemption.items[0].item_id
    assert (entry.method, entry.path) == ("POST", f"/profiles/{jane.id}/benefits/claim-redeem")
    assert entry.body["benefit_id"] == benefit_id
    assert (entry.entity_type, entry.entity_id) == ("redemption", redemption.id)
    assert set(entry.entities) == {
        ("benefit", benefit_id, "created"), ("redemption", redemption.id, "created"),
        ("benefit_definition", d.id, "ref"), ("profile", jane.id, "ref")}
    # both changes are still audited, one event each
    assert [e.action for e in audit_events(world)[events_before:]] == [
        "benefit.claim", "benefit.redeem"]


def test_dependents_same_unit_same_entity_or_created_entity(world: World) -> None:
    cl = world.cl
    jane, omar = make_profile(world), make_profile(world)
    d = make_claimable(world, max_redemptions=5)
    _settle_all(world)
    claim = cl.benefits.claim(world.associate, jane.id, d.handle)
    other = issue(world, make_definition(world), omar)  # unrelated: another profile
    issue_jane = issue(world, make_definition(world), jane)  # only refers to jane
    redeem = cl.benefits.redeem(world.associate, jane.id, claim.id)  # uses what the claim made
    again = cl.benefits.redeem(world.associate, jane.id, claim.id)  # same benefit again
    seq = {i.entity_id: i.seq for i in _items(world)}
    assert cl.outbox.dependents(seq[claim.id]) == [seq[redeem.id], seq[again.id]]
    assert cl.outbox.dependents(seq[redeem.id]) == [seq[again.id]]
    assert cl.outbox.dependents(seq[other.id]) == []
    assert cl.outbox.dependents(seq[issue_jane.id]) == []
    with pytest.raises(NotFound):
        cl.outbox.dependents(10**9)


def test_claim_next_orders_and_holds_back_dependents(world: World) -> None:
    cl, now = world.cl, world.clock.now()
    jane, omar = make_profile(world), make_profile(world)
    d = make_claimable(world, max_redemptions=5)
    _settle_all(world)
    claim = cl.benefits.claim(world.associate, jane.id, d.handle)
    redeem = cl.benefits.redeem(world.associate, jane.id, claim.id)
    other = issue(world, make_definition(world), omar)
    [first] = cl.outbox.claim_next(1, now)
    assert (first.entity_id, first.status, first.attempts) == (claim.id, "in_flight", 1)
    # the redeem waits while the claim it depends on is in flight; omar's records go
    second = cl.outbox.claim_next(10, now)
    assert redeem.id not in {i.entity_id for i in second}
    assert other.id in {i.entity_id for i in second}
    assert cl.outbox.claim_next(10, now) == []  # nothing else free: no double claim
    # a retry later: the claim and everything behind it wait until then
    cl.outbox.mark_retry(first.seq, "timed out", now + timedelta(minutes=5))
    for item in second:
        cl.outbox.mark_done(item.seq)
    assert cl.outbox.claim_next(10, now) == []
    later = cl.outbox.claim_next(10, now + timedelta(minutes=5))
    # once due, the claim and its dependent go in one batch, in order
    assert [i.entity_id for i in later] == [claim.id, redeem.id]
    assert later[0].attempts == 2 and later[0].last_error == "timed out"
    assert [i.seq for i in later] == sorted(i.seq for i in later)


def test_a_refused_entry_parks_its_dependents(world: World) -> None:
    cl, now = world.cl, world.clock.now()
    jane = make_profile(world)
    d = make_claimable(world, max_redemptions=5)
    _settle_all(world)
    claim = cl.benefits.claim(world.associate, jane.id, d.handle)
    redeem = cl.benefits.redeem(world.associate, jane.id, claim.id)
    sent, behind = cl.outbox.claim_next(10, now)
    assert behind.entity_id == redeem.id
    cl.outbox.mark_conflict(sent.seq, "not_claimable", "Already holds one")
    assert cl.outbox.dependents(sent.seq) == [behind.seq]
    for seq in cl.outbox.dependents(sent.seq):
        cl.outbox.park(seq, "depends on a refused change")
    assert cl.outbox.claim_next(10, now) == []
    counts = cl.outbox.counts()
    assert (counts.pending, counts.conflicts) == (0, 2)
    refused = cl.outbox.conflicts()
    assert [(i.entity_id, i.status, i.last_code) for i in refused] == [
        (redeem.id, "parked", "depends_on_refused"), (claim.id, "conflict", "not_claimable")]
    assert refused[1].last_error == "Already holds one"
    # nothing of jane's is pending any more: the hub's answer stands
    assert cl.outbox.pending_ids(jane.id) == frozenset()


def test_state_moves_from_the_wrong_state_are_refused(world: World) -> None:
    cl, now = world.cl, world.clock.now()
    make_profile(world)
    make_profile(world)
    [item] = cl.outbox.claim_next(1, now)
    pending = next(i for i in cl.outbox.pending() if i.status == "pending")
    with pytest.raises(OutboxStateError) as info:
        cl.outbox.mark_done(pending.seq)  # never claimed
    assert (info.value.actual, info.value.expected) == ("pending", ("in_flight",))
    with pytest.raises(OutboxStateError):
        cl.outbox.mark_conflict(pending.seq, "c", "m")  # not in flight
    with pytest.raises(OutboxStateError):
        cl.outbox.dismiss(item.seq, world.manager)  # not refused
    cl.outbox.mark_done(item.seq, {"ok": 1})
    for move in (lambda: cl.outbox.mark_done(item.seq),
                 lambda: cl.outbox.mark_retry(item.seq, "x", now),
                 lambda: cl.outbox.mark_conflict(item.seq, "c", "m")):
        with pytest.raises(OutboxStateError) as info:
            move()
        assert info.value.actual == "done"
    assert cl.outbox.get(item.seq).status == "done"
    assert cl.outbox.get(item.seq).response == {"ok": 1}
    with pytest.raises(OutboxStateError) as info:
        cl.outbox.mark_done(10**9)
    assert info.value.actual is None


def test_dismiss_is_for_managers_and_audited(world: World) -> None:
    cl, now = world.cl, world.clock.now()
    jane = make_profile(world)
    [item] = cl.outbox.claim_next(1, now)
    cl.outbox.mark_conflict(item.seq, "duplicate", "Already exists")
    with pytest.raises(PermissionDenied):
        cl.outbox.dismiss(item.seq, world.associate)
    assert cl.outbox.get(item.seq).status == "conflict"
    events_before = len(audit_events(world))
    entries_before = len(cl.outbox.pending())
    cl.outbox.dismiss(item.seq, world.manager)
    assert cl.outbox.get(item.seq).status == "dismissed"
    [event] = audit_events(world)[events_before:]
    assert (event.action, event.entity_id, event.staff_id, event.profile_id) == (
        "outbox.dismiss", item.id, world.manager.staff_id, jane.id)
    assert event.before["status"] == "conflict" and event.after == {"status": "dismissed"}
    assert len(cl.outbox.pending()) == entries_before  # dismissing is not sent to the hub
    assert cl.outbox.counts().conflicts == 0
    with pytest.raises(OutboxStateError):
        cl.outbox.dismiss(item.seq, world.manager)


def test_release_stale_returns_a_crashed_senders_entries(world: World) -> None:
    cl = world.cl
    make_profile(world)
    make_profile(world)
    claimed = cl.outbox.claim_next(1, world.clock.now())
    world.clock.advance(minutes=10)
    assert cl.outbox.release_stale(world.clock.now() - timedelta(minutes=15)) == []
    fresh = cl.outbox.claim_next(1, world.clock.now())
    released = cl.outbox.release_stale(world.clock.now() - timedelta(minutes=5))
    assert released == [claimed[0].seq]  # the one claimed 10 minutes ago, not the fresh one
    assert cl.outbox.get(claimed[0].seq).status == "pending"
    assert cl.outbox.get(fresh[0].seq).status == "in_flight"
    again = cl.outbox.claim_next(5, world.clock.now())
    assert claimed[0].seq in {i.seq for i in again}


def test_claims_and_dependents_read_across_pages(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox is read a page at a time; a dependency across a page boundary still holds."""
    from clienteling.engine.services import outbox as outbox_module

    monkeypatch.setattr(outbox_module, "PAGE", 2)
    cl, now = world.cl, world.clock.now()
    jane = make_profile(world)
    d = make_claimable(world, max_redemptions=5)
    _settle_all(world)
    claim = cl.benefits.claim(world.associate, jane.id, d.handle)
    others = [make_profile(world) for _ in range(3)]  # pages of two: the redeem is on page 3
    redeem = cl.benefits.redeem(world.associate, jane.id, claim.id)
    seq = {i.entity_id: i.seq for i in cl.outbox.pending()}
    assert cl.outbox.dependents(seq[claim.id]) == [seq[redeem.id]]
    [first] = cl.outbox.claim_next(1, now)
    assert first.entity_id == claim.id
    rest = cl.outbox.claim_next(10, now)
    assert [i.entity_id for i in rest] == [p.id for p in others]  # not the redeem
    cl.outbox.mark_done(first.seq)
    assert [i.entity_id for i in cl.outbox.claim_next(10, now)] == [redeem.id]


def test_a_batchs_applied_entries_are_settled_in_one_transaction(world: World) -> None:
    """SPEC §6: the pusher settles what the hub applied with one commit for the batch; an
    entry no longer in flight (another sender on this till file settled it first) keeps its
    state and answer and is reported, the others are done with their responses."""
    cl, now = world.cl, world.clock.now()
    for _ in range(4):
        make_profile(world)
    first, second, third, fourth = cl.outbox.claim_next(4, now)
    cl.outbox.mark_conflict(second.seq, "c", "m")  # settled by another sender
    commits: list[str] = []
    stop = cl.on_statement(lambda sql: commits.append(sql) if sql.startswith("BEGIN") else None)
    try:
        lost = cl.outbox.mark_done_many([(first.seq, {"n": 1}), (second.seq, {"n": 2}),
                                         (third.seq, {"n": 3})])
    finally:
        stop()
    assert lost == [second.seq]
    assert len(commits) == 1
    assert [(cl.outbox.get(i.seq).status, cl.outbox.get(i.seq).response)
            for i in (first, second, third, fourth)] == [
        ("done", {"n": 1}), ("conflict", None), ("done", {"n": 3}), ("in_flight", None)]
    assert cl.outbox.mark_done_many([]) == []
