"""One sync cycle against a real hub on loopback: first sync, push, pull, and two tills
that worked offline converging with the hub (issue 8, must-show 1)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from clienteling.sync.cycle import run_cycle
from clienteling.sync.verify import verify
from tests.sync.conftest import SyncWorld
from tests.sync.support import digests, stock


def test_two_tills_work_offline_and_agree_with_the_hub_after_sync(sync_world: SyncWorld) -> None:
    sw = sync_world
    shop = stock(sw)
    a, b = sw.till("a"), sw.till("b")
    for till in (a, b):
        first = run_cycle(till, sw.client())
        assert first.online and first.error is None and first.pulled > 0, first
    assert digests(a) == digests(b) == digests(sw.till_view)

    # The hub goes away; both tills keep serving customers.
    for till, pid, bid in ((a, shop.profile_ids[0], shop.benefit_ids[0]),
                           (b, shop.profile_ids[1], shop.benefit_ids[1])):
        ava, max_ = sw.actor(till, "associate"), sw.actor(till, "manager")
        till.benefits.redeem(ava, pid, bid)
        till.benefits.claim(ava, pid, shop.gift_handle, tz="Australia/Melbourne")
        till.benefits.issue(max_, {"benefit_definition_id": shop.coffee_id, "profile_id": pid})
        till.rewards.issue(max_, {"profile_id": pid, "reward_definition_id": shop.sorry_id,
                                  "value_initial": "15.00", "reason": "late"})
        till.rewards.redeem_amount(ava, pid, "25.00")
        till.profiles.update(ava, pid, {"mobile_phone": "+61 400 000 111"})
        offline = run_cycle(till, sw.offline())
        assert not offline.online and offline.pushed == 0 and offline.waiting == 6, offline
        assert offline.error and "reach the hub" in offline.error
    # Both edit the same customer too (different fields of profile 2).
    a.profiles.update(sw.actor(a, "associate"), shop.profile_ids[2], {"first_name": "Anne"})
    b.profiles.update(sw.actor(b, "associate"), shop.profile_ids[2], {"last_name": "Citizens"})

    # The hub is back: each till syncs (sync now: past the back-off), then a second round
    # brings each the other's work.
    reports = [run_cycle(t, sw.client(), force=True) for t in (a, b, a)]
    assert [r.pushed for r in reports] == [7, 7, 0]
    assert all(r.online and r.error is None and r.conflicts == 0 and r.waiting == 0
               for r in reports), reports
    for till in (a, b):
        checked = verify(till, sw.client(), detail=True)
        assert checked.equal, checked.describe()
    hub_digest, a_digest, b_digest = digests(sw.till_view, a, b)
    assert a_digest == hub_digest and b_digest == hub_digest
    # What a person sees at either till is what the hub holds.
    for till in (a, b):
        for pid in shop.profile_ids[:2]:
            assert till.rewards.balance(pid) == sw.hub.cl.rewards.balance(pid) == Decimal("10.00")
        assert till.profiles.get(shop.profile_ids[2]).first_name == "Anne"
        assert till.profiles.get(shop.profile_ids[2]).last_name == "Citizens"


def test_an_entry_left_in_flight_by_a_killed_sender_is_sent_once_it_is_stale(
        sync_world: SyncWorld) -> None:
    sw = sync_world
    shop = stock(sw)
    till = sw.till("t")
    assert run_cycle(till, sw.client()).error is None
    till.benefits.redeem(sw.actor(till, "associate"), shop.profile_ids[0], shop.benefit_ids[0])
    [claimed] = till.outbox.claim_next(10)  # a sender that then died without an answer

    young = run_cycle(till, sw.client())
    assert (young.pushed, young.waiting) == (0, 1)  # maybe another process is still sending it
    sw.clock.advance(timedelta(minutes=3))
    stale = run_cycle(till, sw.client())
    assert (stale.pushed, stale.waiting, stale.conflicts) == (1, 0, 0)
    assert till.outbox.get(claimed.seq).status == "done"
    assert digests(till) == digests(sw.till_view)
