"""Every change writes its audit event and its outbox entry in the same transaction (SPEC §2,
§3.7 "every change writes an audit event naming the staff member and store", §6 outbox), and the
hash-chained audit trail verifies and detects an edited or removed row (§9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clienteling.engine import audit
from clienteling.engine.permissions import Actor
from tests.conftest import World
from tests.engine.support import (
    audit_events,
    give_reward,
    issue,
    make_claimable,
    make_definition,
    make_profile,
    make_reward_definition,
    outbox,
    snapshot,
    sql,
)
from tests.internals import context_of


def verify(world: World) -> audit.ChainReport:
    with context_of(world.cl).reading() as s:
        return audit.verify_chain(s)


def test_each_change_writes_one_outbox_entry_and_its_audit_events(world: World) -> None:
    cl = world.cl
    seen_keys: set[str] = set()

    def step(actor: Actor, call: Callable[[], Any], method: str, path: Callable[[Any], str],
             actions: list[str]) -> Any:
        events_before, entries_before = len(audit_events(world)), len(outbox(world))
        result = call()
        new_events = audit_events(world)[events_before:]
        new_entries = outbox(world)[entries_before:]
        assert [e.action for e in new_events] == actions
        for e in new_events:
            assert (e.staff_id, e.store_id) == (actor.staff_id, actor.store_id)
            assert e.at == world.clock.now()
        assert len(new_entries) == 1, [(e.method, e.path) for e in new_entries]
        [entry] = new_entries
        assert (entry.method, entry.path) == (method, path(result))
        assert entry.idempotency_key and entry.idempotency_key not in seen_keys
        seen_keys.add(entry.idempotency_key)
        assert entry.status == "pending"
        assert entry.occurred_at == world.clock.now()
        assert (entry.staff_id, entry.store_id) == (actor.staff_id, actor.store_id)
        assert entry.entity_id == new_events[-1].entity_id
        world.clock.advance(minutes=1)
        return result

    a, m, ad = world.associate, world.manager, world.admin
    p = step(a, lambda: cl.profiles.create(a, {"first_name": "Olivia", "last_name": "Ng"}),
             "POST", lambda r: "/profiles", ["profile.create"])
    q = make_profile(world)
    step(a, lambda: cl.profiles.update(a, p.id, {"email": "olivia@example.com"}),
         "PUT", lambda r: f"/profiles/{p.id}", ["profile.update"])
    d = step(ad, lambda: cl.definitions.create_benefit_definition(
        ad, {"name": "Free coffee", "handle": "free-coffee", "is_published": True, "is_claimable": True,
             "is_extendable": True, "is_reassignable": True, "period": 30, "is_reclaimable": True}),
        "POST", lambda r: "/benefits/definitions", ["benefit_definition.create"])
    step(ad, lambda: cl.definitions.update_benefit_definition(ad, d.id, {"max_redemptions": 5},
                                                                expected_version=1),
         "PUT", lambda r: f"/benefits/definitions/{d.id}", ["benefit_definition.update"])
    assert outbox(world)[-1].headers == {"If-Match": "1"}
    assert outbox(world)[-1].body == {"max_redemptions": 5}
    rd = step(ad, lambda: cl.definitions.create_reward_definition(
        ad, {"name": "Sorry", "handle": "sorry", "type": "customer-service", "period": 60,
             "is_extendable": True, "extend_days": 30}),
        "POST", lambda r: "/rewards/definitions", ["reward_definition.create"])
    b = step(m, lambda: cl.benefits.issue(m, {"benefit_definition_id": d.id, "profile_id": p.id}),
             "POST", lambda r: "/benefits", ["benefit.issue"])
    assert outbox(world)[-1].body["id"] == b.id
    r1 = step(a, lambda: cl.benefits.redeem(a, p.id, b.id, receipt="POS-1"),
              "POST", lambda r: f"/profiles/{p.id}/benefits/{b.id}/redeem", ["benefit.redeem"])
    assert outbox(world)[-1].body["redemption_id"] == r1.id
    step(a, lambda: cl.benefits.redeem_by_definition(a, p.id, d.handle),
         "POST", lambda r: f"/profiles/{p.id}/benefits/{b.id}/redeem", ["benefit.redeem"])
    c = step(a, lambda: cl.benefits.claim(a, q.id, d.handle),
             "POST", lambda r: f"/profiles/{q.id}/benefits/claim", ["benefit.claim"])
    step(m, lambda: cl.benefits.expire(m, c.id), "PUT", lambda r: f"/benefits/{c.id}", ["benefit.update"])
    step(a, lambda: cl.benefits.claim_and_redeem(a, q.id, d.handle),
         "POST", lambda r: f"/profiles/{q.id}/benefits/claim-redeem", ["benefit.claim", "benefit.redeem"])
    step(m, lambda: cl.benefits.extend(m, b.id, days=7), "POST", lambda r: "/benefits/extend",
         ["benefit.extend"])
    step(m, lambda: cl.benefits.reassign(m, b.id, q.id), "PUT", lambda r: f"/benefits/{b.id}",
         ["benefit.reassign"])
    rw = step(m, lambda: cl.rewards.issue(m, {"profile_id": p.id, "reward_definition_id": rd.id,
                                             "value_initial": "40.00", "reason": "late parcel"}),
              "POST", lambda r: "/rewards", ["reward.issue"])
    red = step(a, lambda: cl.rewards.redeem_amount(a, p.id, "12.50"),
               "POST", lambda r: f"/profiles/{p.id}/redeem", ["reward.redeem"])
    assert outbox(world)[-1].body["amount"] == "12.50"
    step(m, lambda: cl.rewards.void(m, red.id), "POST", lambda r: f"/redemptions/{red.id}/reversal",
         ["redemption.void"])
    step(m, lambda: cl.rewards.extend(m, rw.id), "POST", lambda r: "/rewards/extend", ["reward.extend"])
    step(ad, lambda: cl.benefits.delete(ad, c.id), "DELETE", lambda r: f"/benefits/{c.id}",
         ["benefit.delete"])
    step(ad, lambda: cl.definitions.archive_benefit_definition(ad, d.id),
         "PUT", lambda r: f"/benefits/definitions/{d.id}", ["benefit_definition.update"])

    report = verify(world)
    assert report.ok, str(report)
    assert report.checked == len(audit_events(world))
    assert "intact" in str(report)


def _history(world: World) -> None:
    d = make_definition(world, max_redemptions=5)
    rd = make_reward_definition(world)
    p = make_profile(world)
    b = issue(world, d, p)
    world.cl.benefits.redeem(world.associate, p.id, b.id)
    give_reward(world, rd, p, "30.00")
    world.cl.rewards.redeem_amount(world.associate, p.id, "10.00")
    assert verify(world).ok


def test_audit_chain_detects_an_edited_row(world: World) -> None:
    _history(world)
    events = audit_events(world)
    target = next(e for e in events if e.action == "benefit.redeem")
    sql(world, "UPDATE audit_events SET after = :a WHERE seq = :s",
        a='{"redemptions_remaining": 99}', s=target.seq)
    report = verify(world)
    assert not report.ok
    assert report.broken_seq == target.seq and report.broken_id == target.id
    assert "changed" in str(report) and f"#{target.seq}" in str(report)
    assert report.checked == sum(1 for e in events if e.seq < target.seq)


@pytest.mark.parametrize("column", ["staff_id", "action", "meta", "before"])
def test_audit_chain_detects_any_edited_column(world: World, column: str) -> None:
    _history(world)
    target = audit_events(world)[-3]
    sql(world, f"UPDATE audit_events SET {column} = :v WHERE seq = :s", v='"x"', s=target.seq)
    report = verify(world)
    assert not report.ok and report.broken_seq == target.seq


def test_audit_chain_detects_a_deleted_row(world: World) -> None:
    _history(world)
    events = audit_events(world)
    gone, following = events[-3], events[-2]
    sql(world, "DELETE FROM audit_events WHERE seq = :s", s=gone.seq)
    report = verify(world)
    assert not report.ok
    assert report.broken_seq == following.seq
    assert "removed" in str(report)


def test_audit_chain_detects_a_rehashed_edit(world: World) -> None:
    """Editing a row and fixing up its own hash still breaks the next row's link."""
    _history(world)
    events = audit_events(world)
    target, following = events[-3], events[-2]
    target.after = {"forged": True}
    forged = audit.event_hash(target, target.prev_hash)
    sql(world, "UPDATE audit_events SET after = :a, hash = :h WHERE seq = :s",
        a='{"forged": true}', h=forged, s=target.seq)
    report = verify(world)
    assert not report.ok and report.broken_seq == following.seq


# -- atomicity --------------------------------------------------------------------------------


def _operations(world: World) -> dict[str, Callable[[], Any]]:
    d = make_definition(world, max_redemptions=5)
    claimable = make_claimable(world)
    rd = make_reward_definition(world)
    p, q = make_profile(world), make_profile(world)
    b = issue(world, d, p)
    give_reward(world, rd, p, "30.00")
    redemption = world.cl.rewards.redeem_amount(world.associate, p.id, "1.00")
    cl, a, m = world.cl, world.associate, world.manager
    return {
        "redeem benefit": lambda: cl.benefits.redeem(a, p.id, b.id),
        "claim": lambda: cl.benefits.claim(a, p.id, claimable.handle),
        "claim and redeem": lambda: cl.benefits.claim_and_redeem(a, q.id, claimable.handle),
        "issue benefit": lambda: cl.benefits.issue(m, {"benefit_definition_id": d.id, "profile_id": p.id}),
        "redeem amount": lambda: cl.rewards.redeem_amount(a, p.id, "5.00"),
        "issue reward": lambda: cl.rewards.issue(m, {"profile_id": p.id, "reward_definition_id": rd.id,
                                                     "value_initial": "5.00", "reason": "x"}),
        "void": lambda: cl.rewards.void(m, redemption.id),
        "profile": lambda: cl.profiles.update(a, p.id, {"first_name": "Changed"}),
        "definition": lambda: cl.definitions.update_benefit_definition(world.admin, d.id, {"name": "X"}),
    }


class Boom(Exception):
    pass


def _boom(*_args: Any, **_kwargs: Any) -> Any:
    raise Boom("the disk is full")


@pytest.mark.parametrize("where", ["audit hash", "outbox entry"])
def test_a_failure_after_the_change_writes_nothing(world: World, monkeypatch: pytest.MonkeyPatch,
                                                    where: str) -> None:
    operations = _operations(world)
    before = snapshot(world)
    target = ("clienteling.engine.audit.event_hash" if where == "audit hash"
              else "clienteling.engine.context.OutboxEntry")
    with monkeypatch.context() as patch:
        patch.setattr(target, _boom)
        for name, call in operations.items():
            with pytest.raises(Boom):
                call()
            assert snapshot(world) == before, name
    # with the fault gone, each goes through (so the faults above hit real work)
    for call in operations.values():
        call()
    assert verify(world).ok


def test_listeners_hear_only_committed_changes(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    operations = _operations(world)
    heard: list[Any] = []
    world.cl.subscribe(heard.append)
    monkeypatch.setattr("clienteling.engine.audit.event_hash", _boom)
    with pytest.raises(Boom):
        operations["redeem amount"]()
    assert heard == []
    monkeypatch.undo()
    operations["redeem amount"]()
    [changes] = heard
    assert "rewards" in changes.areas


def test_a_manager_override_travels_to_the_hub_with_the_change(world: World) -> None:
    """R2: the hub checks roles again, so the outbox entry names the authorising manager."""
    cl = world.cl
    p = cl.profiles.create(world.associate, {"first_name": "Ann", "last_name": "Lee"})
    d = cl.definitions.create_reward_definition(world.admin, {
        "name": "Customer service", "handle": "cs-override", "type": "customer-service"})
    reward = cl.rewards.issue(world.associate.with_override(world.manager), {
        "profile_id": p.id, "reward_definition_id": d.id, "value_initial": "15.00",
        "reason": "damaged item"})
    [entry] = [e for e in outbox(world) if e.entity_id == reward.id]
    assert entry.headers == {"X-Authorised-By": world.manager.staff_id}
    assert entry.staff_id == world.associate.staff_id
