"""Data on the hub for sync tests, made through the hub's own engine (as an admin would)."""

from __future__ import annotations

from dataclasses import dataclass

from clienteling.engine.services import Clienteling
from clienteling.engine.services.devices import Device
from clienteling.engine.services.digest import DigestService
from tests.sync.conftest import SyncWorld


@dataclass
class Shop:
    profile_ids: list[str]
    coffee_id: str            # a benefit definition, 3 uses per benefit
    coffee_handle: str
    gift_handle: str          # claimable, one use
    sorry_id: str             # a customer-service reward definition
    benefit_ids: list[str]    # a coffee benefit per profile
    last_use_benefit: str     # profile 0's one-use benefit


def stock(sw: SyncWorld, profiles: int = 3) -> Shop:
    cl = sw.hub.cl
    admin, manager = sw.hub_actor("admin"), sw.hub_actor("manager")
    coffee = cl.definitions.create_benefit_definition(admin, {
        "name": "Coffee", "handle": "coffee", "period": 30, "max_redemptions": 3,
        "is_published": True})
    gift = cl.definitions.create_benefit_definition(admin, {
        "name": "Gift", "handle": "gift", "is_claimable": True, "is_published": True,
        "max_redemptions": 1})
    once = cl.definitions.create_benefit_definition(admin, {
        "name": "Lounge", "handle": "lounge", "period": 30, "max_redemptions": 1,
        "is_published": True})
    sorry = cl.definitions.create_reward_definition(admin, {
        "name": "Sorry", "handle": "sorry", "type": "customer-service", "value": "10.00",
        "period": 60})
    pids, bids = [], []
    for n in range(profiles):
        p = cl.profiles.create(manager, {"first_name": f"Ann{n}", "last_name": "Citizen",
                                         "identities": [{"handle": "card",
                                                         "identifier": f"40000000000{n:02d}"}]})
        pids.append(p.id)
        bids.append(cl.benefits.issue(manager, {"benefit_definition_id": coffee.id,
                                                "profile_id": p.id}).id)
        cl.rewards.issue(manager, {"profile_id": p.id, "reward_definition_id": sorry.id,
                                   "value_initial": "20.00", "reason": "welcome"})
    last = cl.benefits.issue(manager, {"benefit_definition_id": once.id, "profile_id": pids[0]})
    return Shop(pids, coffee.id, coffee.handle, gift.handle, sorry.id, bids, last.id)


def digests(*sources: Clienteling | DigestService) -> list[dict[str, object]]:
    """Digest summaries; the hub's as a till sees it (``SyncWorld.till_view``, issue 9)."""
    return [s.summary() if isinstance(s, DigestService) else s.digest.summary() for s in sources]


def till_view(hub: Clienteling, store_id: str) -> DigestService:
    """The hub's digest over what a till of ``store_id`` receives: PIN hashes of that store's
    associates and managers only (docs/security.md), as ``GET /sync/digest`` answers it."""
    return hub.digest_for(Device("", "", store_id).may_act)
