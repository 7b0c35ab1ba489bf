"""SPEC 3.8 in sync (issue 17): a purchase made at a till with the hub away reaches the hub
exactly once — through a repeated push too — with the profile's spend, and every digest
agrees: the hub's, the till that sold and a second till that only pulled it."""

from __future__ import annotations

from decimal import Decimal

from clienteling.engine.models import Purchase
from clienteling.sync.cycle import run_cycle
from clienteling.sync.verify import verify
from tests.internals import context_of
from tests.sync.conftest import SyncWorld
from tests.sync.support import digests, stock

BASKET = [{"sku": "JEAN-1", "category": "denim", "quantity": 1, "unit_price": "182.50"}]


def _purchases_on_hub(sw: SyncWorld) -> int:
    with context_of(sw.hub.cl).reading() as s:
        return s.query(Purchase).count()


def test_an_offline_purchase_reaches_the_hub_once_and_digests_agree(sync_world: SyncWorld) -> None:
    sw = sync_world
    shop = stock(sw)
    a, b = sw.till("a"), sw.till("b")
    for till in (a, b):
        assert run_cycle(till, sw.client()).error is None
    pid = shop.profile_ids[0]

    # The hub is away: the counter still sells, records the purchase and moves the spend.
    ava = sw.actor(a, "associate")
    done = a.checkout.confirm(ava, pid, BASKET, [], receipt_ref="10023")
    assert done.purchase is not None
    sale = done.purchase
    back = a.purchases.record_return(ava, pid, sale.id, {"receipt_ref": "10023-R",
                                                         "total": "20.00"})
    offline = run_cycle(a, sw.offline())
    assert not offline.online and offline.waiting == 2, offline
    assert a.profiles.get(pid).lifetime_spend == Decimal("162.50")
    assert _purchases_on_hub(sw) == 0

    # Back online: pushed once, and pushing again (a lost answer) applies nothing twice.
    pushed = run_cycle(a, sw.client(), force=True)
    assert pushed.error is None and pushed.pushed == 2 and pushed.conflicts == 0, pushed
    assert run_cycle(a, sw.client(), force=True).pushed == 0
    assert _purchases_on_hub(sw) == 2
    hub_sale = sw.hub.cl.purchases.get(sale.id)
    assert hub_sale is not None and hub_sale.receipt_ref == "10023"
    assert hub_sale.source == "counter" and hub_sale.staff_id == sw.world.staff["associate"]
    assert sw.hub.cl.purchases.get(back.id) is not None
    assert sw.hub.cl.profiles.get(pid).lifetime_spend == Decimal("162.50")
    # The same receipt reported again by another channel is the same purchase (P4).
    again = sw.hub.cl.purchases.record(sw.hub_actor("associate"), pid,
                                       {"receipt_ref": "10023", "total": "182.50"})
    assert again.id == sale.id and _purchases_on_hub(sw) == 2

    # Till b pulls it; all three agree.
    assert run_cycle(b, sw.client(), force=True).error is None
    assert b.profiles.get(pid).lifetime_spend == Decimal("162.50")
    assert {p.id for p in b.purchases.for_profile(pid)} == {sale.id, back.id}
    for till in (a, b):
        checked = verify(till, sw.client(), detail=True)
        assert checked.equal, checked.describe()
    hub_digest, a_digest, b_digest = digests(sw.till_view, a, b)
    assert a_digest == hub_digest and b_digest == hub_digest
