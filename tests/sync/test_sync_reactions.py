"""SPEC 3.9 in sync (issue 17), with a real hub on loopback and two till files: a customer who
joins at a till with the network down gets the welcome benefit at once and redeems it in the
same visit (RX4); after sync the hub holds exactly one welcome benefit for them and one
redemption (RX3: the hub, applying the creation, derived the same id; the till's own entry for
the benefit was a no-op success, not a conflict), and every digest agrees. A purchase that
crosses a spend milestone offline ends exactly once the same way."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from clienteling.engine.models import Benefit, Redemption, Reward
from clienteling.engine.reactions import keys
from clienteling.sync.cycle import run_cycle
from clienteling.sync.resolve import definition_versions, keep_hub, keep_mine
from clienteling.sync.verify import verify
from tests.internals import context_of
from tests.sync.conftest import SyncWorld
from tests.sync.faultproxy import FaultProxy, FaultRates
from tests.sync.soak import QUICK_RETRY
from tests.sync.support import digests

BASKET = [{"sku": "JEAN-1", "category": "denim", "quantity": 1, "unit_price": "550.00"}]


def _rows(cl: Any, model: Any, *where: Any) -> list[Any]:
    with context_of(cl).reading() as s:
        return list(s.scalars(select(model).where(*where)))


def programme(sw: SyncWorld) -> tuple[Any, Any]:
    cl, admin = sw.hub.cl, sw.hub_actor("admin")
    welcome = cl.definitions.create_benefit_definition(admin, {
        "name": "Welcome coffee", "handle": "welcome-coffee", "period": 30,
        "max_redemptions": 1, "is_published": True})
    spend = cl.definitions.create_reward_definition(admin, {
        "name": "Spend reward", "handle": "spend-reward", "type": "spend", "value": "10.00",
        "period": 90})
    joined = cl.reactions.create(admin, {
        "handle": "member-activation", "name": "Member Activation", "limit": "once",
        "trigger": {"type": "joined"}, "effect": {"benefit_definition_id": welcome.id}})
    milestone = cl.reactions.create(admin, {
        "handle": "spend-500", "name": "Spend 500", "limit": "every_time",
        "trigger": {"type": "spend_milestone", "threshold": "500.00"},
        "effect": {"reward_definition_id": spend.id, "value": "25.00"}})
    return joined, milestone


def test_rx4_a_customer_who_joins_offline_gets_and_uses_the_welcome_benefit_once(
        sync_world: SyncWorld) -> None:
    sw = sync_world
    joined, _milestone = programme(sw)
    a, b = sw.till("a"), sw.till("b")
    for till in (a, b):
        assert run_cycle(till, sw.client()).error is None
    assert a.reactions.get("member-activation").id == joined.id  # synced to the till

    # The network is down: the customer joins, gets the welcome benefit at once, uses it.
    ava = sw.actor(a, "associate")
    kim = a.profiles.create(ava, {"first_name": "Kim", "last_name": "Offline"})
    held = a.benefits.for_profile(kim.id)
    assert [(h.benefit.source, h.state.is_redeemable) for h in held] == [
        ("reaction:member-activation", True)]
    welcome_id = held[0].benefit.id
    assert welcome_id == keys.instance_id(joined.id, kim.id, "once")
    a.benefits.redeem(ava, kim.id, welcome_id)
    # And spends past the milestone: the reward is earned at the counter, offline.
    done = a.checkout.confirm(ava, kim.id, BASKET, [], receipt_ref="R-550")
    assert [(e.kind, e.value, e.reaction) for e in done.earned] == [
        ("reward", Decimal("25.00"), "Spend 500")]
    offline = run_cycle(a, sw.offline())
    assert not offline.online and offline.waiting >= 4, offline

    # Back online: everything applied, nothing refused, and again applies nothing.
    pushed = run_cycle(a, sw.client(), force=True)
    assert pushed.error is None and pushed.conflicts == 0, pushed
    assert run_cycle(a, sw.client(), force=True).pushed == 0
    hub = sw.hub.cl
    assert [x.id for x in _rows(hub, Benefit, Benefit.profile_id == kim.id)] == [welcome_id]
    assert len(_rows(hub, Redemption, Redemption.profile_id == kim.id)) == 1
    rewards = _rows(hub, Reward, Reward.profile_id == kim.id)
    assert [(r.value_initial, r.source) for r in rewards] == [(Decimal("25.00"), "reaction:spend-500")]
    assert hub.benefits.get(welcome_id).benefit.redemptions_remaining == 0

    # Till b pulls; the hub, a and b agree.
    assert run_cycle(b, sw.client(), force=True).error is None
    assert run_cycle(a, sw.client(), force=True).error is None
    for till in (a, b):
        checked = verify(till, sw.client(), detail=True)
        assert checked.equal, checked.describe()
    hub_digest, a_digest, b_digest = digests(sw.till_view, a, b)
    assert a_digest == hub_digest and b_digest == hub_digest


def test_rx1_a_reaction_edited_offline_and_at_the_hub_lands_in_conflicts_with_both(
        sync_world: SyncWorld) -> None:
    sw = sync_world
    joined, _ = programme(sw)
    a = sw.till("a")
    assert run_cycle(a, sw.client()).error is None
    hub_admin, ada = sw.hub_actor("admin"), sw.actor(a, "admin")
    client = sw.client(sw.world.admin_token)  # admin edits come from an admin device only
    for choice in ("hub", "mine"):
        version = a.reactions.get(joined.id).version
        a.reactions.update(ada, joined.id, {"name": f"Till's name ({choice})"},
                           expected_version=version)
        sw.hub.cl.reactions.update(hub_admin, joined.id, {"name": f"Hub's name ({choice})"},
                                   expected_version=version)
        report = run_cycle(a, client)
        assert (report.pushed, report.conflicts) == (0, 1), report
        [conflict] = a.outbox.conflicts()
        assert conflict.last_code == "version_conflict" and conflict.entity_type == "reaction"
        mine, theirs = definition_versions(a, conflict.seq)
        assert (mine["name"], theirs.name) == (f"Till's name ({choice})", f"Hub's name ({choice})")
        if choice == "hub":
            keep_hub(a, ada, conflict.seq)
            expected = f"Hub's name ({choice})"
        else:
            keep_mine(a, ada, conflict.seq)
            expected = f"Till's name ({choice})"
        after = run_cycle(a, client)
        assert (after.conflicts, after.waiting, after.error) == (0, 0, None), after
        assert sw.hub.cl.reactions.get(joined.id).name == expected
        assert a.reactions.get(joined.id).name == expected
        assert digests(a) == digests(sw.till_view)


@pytest.mark.sync_faults
@pytest.mark.slow
def test_rx3_purchases_that_trigger_reactions_end_exactly_once_through_faults(
        sync_world: SyncWorld) -> None:
    """Two tills, offline, sign customers up and sell past the milestone; then sync through
    the fault proxy (drops, 503s, resets after the hub applied a write): every welcome benefit
    and every milestone reward exists exactly once on the hub, and all digests agree."""
    sw = sync_world
    joined, milestone = programme(sw)
    a, b = sw.till("a"), sw.till("b")
    for till in (a, b):
        assert run_cycle(till, sw.client()).error is None
    made: list[str] = []
    for n, till in enumerate((a, b)):
        ava = sw.actor(till, "associate")
        for i in range(6):
            p = till.profiles.create(ava, {"first_name": f"F{n}{i}", "last_name": "Faulty"})
            made.append(p.id)
            for k in range(3):  # 550 each: crossings 1, 2 and 3 of 500
                till.checkout.confirm(ava, p.id, BASKET, [], receipt_ref=f"T{n}-{i}-{k}")
    rates = FaultRates(drop=0.1, delay=0.05, error=0.1, reset=0.15, delay_seconds=(0.0, 0.02))
    with FaultProxy(sw.url, seed=17, rates=rates) as proxy:
        for till in (a, b):
            client = sw.client(url=proxy.url)
            for _ in range(200):
                report = run_cycle(till, client, backoff=QUICK_RETRY, force=True)
                if report.error is None and report.waiting == 0:
                    break
            assert report.waiting == 0 and report.conflicts == 0, report
        assert proxy.counts["reset_writes"] >= 1, proxy.counts
    hub = sw.hub.cl
    for pid in made:
        assert [x.id for x in _rows(hub, Benefit, Benefit.profile_id == pid)] == [
            keys.instance_id(joined.id, pid, "once")]
        rewards = sorted(r.id for r in _rows(hub, Reward, Reward.profile_id == pid))
        assert rewards == sorted(keys.instance_id(milestone.id, pid, f"crossing:{k}")
                                 for k in (1, 2, 3))
    for till in (a, b):
        assert run_cycle(till, sw.client(), force=True).error is None
    hub_digest, a_digest, b_digest = digests(sw.till_view, a, b)
    assert a_digest == hub_digest and b_digest == hub_digest
