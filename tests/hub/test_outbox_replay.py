"""The hub accepts exactly the requests a till's engine queues in its outbox (SPEC §6).

A till (engine in ``till`` mode, its own SQLite file) does one of everything offline; every
outbox entry is then sent to the live hub as written — method, path, JSON body, the entry's
own headers (``If-Match``), ``Idempotency-Key``, ``X-Staff-Id`` and ``X-Occurred-At`` — and
must be accepted, leaving the hub with the same records under the same ids. Sending the
whole outbox a second time changes nothing and answers every entry from the stored response.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from clienteling.engine import wire
from clienteling.engine.models import OutboxEntry, Staff, Store
from clienteling.engine.services import Clienteling
from tests.hub.conftest import World
from tests.hub.support import ok
from tests.internals import context_of, database_of


def _pull_people(world: World, till: Clienteling) -> None:
    """What the sync puller does for stores and staff (a test stand-in: plain inserts)."""
    device = world.device()
    stores = ok(device.get("/locations"))["data"]
    staff = ok(device.get("/staff", params={"page[size]": 100}))["data"]
    with database_of(till).write() as s:
        for st in stores:
            s.add(Store(id=st["id"], name=st["name"], timezone=st["timezone"],
                        created_at=datetime.fromisoformat(st["created_at"]),
                        updated_at=datetime.fromisoformat(st["updated_at"])))
        s.flush()
        for m in staff:
            s.add(Staff(id=m["id"], username=m["username"], display_name=m["display_name"],
                        role=m["role"], store_id=m["store_id"], pin_hash=m["pin_hash"],
                        is_active=m["is_active"], failed_attempts=0,
                        created_at=datetime.fromisoformat(m["created_at"]),
                        updated_at=datetime.fromisoformat(m["updated_at"])))


def _work_offline(world: World, till: Clienteling) -> dict[str, Any]:
    admin = till.staff.actor(world.staff["admin"])
    manager = till.staff.actor(world.staff["manager"])
    associate = till.staff.actor(world.staff["associate"])
    ann = till.profiles.create(associate, {"first_name": "Ann", "last_name": "Offline",
                                           "gender": "female", "tier": "gold",
                                           "identities": [{"handle": "card", "identifier": "555001"}]})
    bob = till.profiles.create(associate, {"first_name": "Bob", "last_name": "Offline"})
    till.profiles.update(associate, ann.id, {"mobile_phone": "+61 400 555 001"})
    d = till.definitions.create_benefit_definition(admin, {
        "name": "Coffee", "handle": "offline-coffee", "period": 30, "max_redemptions": 5,
        "is_extendable": True, "is_reassignable": True, "is_published": True, "tags": ["cafe"],
        "claim_timeframe": {"timezone": "Australia/Melbourne",
                            "timeframe": {"repeat": [{"start": "00:00", "end": "24:00"}]}}})
    till.definitions.update_benefit_definition(admin, d.id, {"description": "Any size"},
                                               expected_version=1)
    gold = till.definitions.create_benefit_definition(admin, {
        "name": "Gold gift", "handle": "offline-gold", "is_claimable": True, "is_published": True,
        "claim_condition": {"rule": "tier", "value": "gold"}, "max_redemptions": 2})
    instant = till.definitions.create_benefit_definition(admin, {
        "name": "Instant", "handle": "offline-instant", "is_claimable": True, "is_published": True,
        "max_redemptions": 1, "max_global_redemptions": 10})
    b1 = till.benefits.issue(manager, {"benefit_definition_id": d.id, "profile_id": ann.id,
                                       "issued_at": "2026-03-01 09:00:00",
                                       "timezone": "Australia/Melbourne"})
    till.benefits.redeem(associate, ann.id, b1.id, receipt="T-1")
    till.benefits.set_expiry(manager, b1.id, "2026-03-20 18:00:00")
    till.benefits.extend(manager, b1.id, days=3)
    b2 = till.benefits.issue(manager, {"benefit_definition_id": d.id, "profile_id": ann.id})
    till.benefits.reassign(manager, b2.id, bob.id)
    b3 = till.benefits.issue(manager, {"benefit_definition_id": d.id, "profile_id": bob.id})
    till.benefits.delete(admin, b3.id)
    claimed = till.benefits.claim(associate, ann.id, gold.handle, tz="Australia/Melbourne")
    till.benefits.claim_and_redeem(associate, ann.id, instant.handle, tz="Australia/Melbourne")
    rd = till.definitions.create_reward_definition(admin, {
        "name": "Sorry", "handle": "offline-sorry", "type": "customer-service", "value": "10.00",
        "period": 60, "is_extendable": True, "extend_days": 14})
    till.definitions.update_reward_definition(admin, rd.id, {"max_value": "80.00"},
                                              expected_version=1)
    r1 = till.rewards.issue(manager, {"profile_id": ann.id, "reward_definition_id": rd.id,
                                      "value_initial": "30.00", "reason": "late delivery"})
    till.rewards.issue(manager, {"profile_id": ann.id, "reward_definition_handle": rd.handle,
                                 "reason": "birthday mix-up"})
    till.rewards.extend(manager, r1.id)
    spent = till.rewards.redeem_amount(associate, ann.id, "12.50", receipt="T-2")
    till.rewards.redeem_amount(associate, ann.id, "7.25")
    till.rewards.void(manager, spent.id)
    return {"profiles": [ann.id, bob.id], "claimed": claimed.id}


def _outbox(till: Clienteling) -> list[OutboxEntry]:
    with context_of(till).reading() as s:
        return list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def _benefits(cl: Clienteling, pid: str, now: datetime) -> dict[str, dict[str, Any]]:
    return {i.benefit.id: wire.benefit(i.benefit, now) for i in cl.benefits.for_profile(pid)}


def _send(world: World, entry: OutboxEntry) -> Any:
    headers = {"Idempotency-Key": entry.idempotency_key, "X-Occurred-At": entry.occurred_at.isoformat()}
    headers.update(entry.headers or {})
    # The till here does admin work too (definitions), so it is the store's admin device:
    # admins act only there (issue 9, docs/security.md).
    client = world.live.client(world.admin_token, entry.staff_id)
    return client.request(entry.method, entry.path, json=entry.body, headers=headers)


def test_every_outbox_entry_a_till_writes_is_accepted_by_the_hub_as_written(
    world: World, tmp_path: Path,
) -> None:
    till = Clienteling.open(str(tmp_path / "till.db"), clock=world.clock, mode="till")
    try:
        _pull_people(world, till)
        made = _work_offline(world, till)
        entries = _outbox(till)
        kinds = {(e.method, e.path.split("/")[1]) for e in entries}
        assert len(entries) >= 25 and {"POST", "PUT", "DELETE"} <= {m for m, _ in kinds}

        for entry in entries:
            response = _send(world, entry)
            assert response.status_code in (200, 201, 204), (
                f"{entry.method} {entry.path} {entry.body} -> {response.status_code} {response.text}")

        hub = world.hub.cl
        now = hub.now()
        for pid in made["profiles"]:
            mine, theirs = wire.profile(till.profiles.get(pid)), wire.profile(hub.profiles.get(pid))
            for key in ("first_name", "last_name", "mobile_phone", "tier", "identities"):
                assert mine[key] == theirs[key], key
            till_benefits, hub_benefits = _benefits(till, pid, now), _benefits(hub, pid, now)
            assert till_benefits.keys() == hub_benefits.keys()
            for bid, b in till_benefits.items():
                for key in ("benefit_definition_id", "issued_at", "expires_at", "timezone", "claimed_at",
                            "redemptions_remaining", "source", "is_redeemable"):
                    assert b[key] == hub_benefits[bid][key], (bid, key)
            till_rewards = {r.id: wire.reward(r, now) for r in till.rewards.for_profile(pid)}
            hub_rewards = {r.id: wire.reward(r, now) for r in hub.rewards.for_profile(pid)}
            assert till_rewards.keys() == hub_rewards.keys()
            for rid, r in till_rewards.items():
                for key in ("value_initial", "value_remaining", "expires_at", "extended_at", "reason"):
                    assert r[key] == hub_rewards[rid][key], (rid, key)
            assert hub.rewards.balance(pid) == till.rewards.balance(pid)
            till_history = {r.id: wire.redemption(r) for r in till.rewards.redemptions(pid)}
            hub_history = {r.id: wire.redemption(r) for r in hub.rewards.redemptions(pid)}
            assert till_history.keys() == hub_history.keys()
            for rid, r in till_history.items():
                for key in ("type", "total", "items", "reversal_of_id", "reversed_by_id",
                            "transaction_receipt_ref", "staff_id", "redeem_at"):
                    assert r[key] == hub_history[rid][key], (rid, key)
        for handle in ("offline-coffee", "offline-gold", "offline-instant"):
            mine_d = wire.benefit_definition(till.definitions.benefit_definition(handle))
            hub_d = wire.benefit_definition(hub.definitions.benefit_definition(handle))
            for key in ("id", "version", "description", "total_global_redemptions", "claim_timeframe"):
                assert mine_d[key] == hub_d[key], (handle, key)

        # The whole outbox again (a till that lost every answer): nothing changes.
        before = world.hub.listing.last_seq()
        for entry in entries:
            again = _send(world, entry)
            assert again.status_code in (200, 201, 204) and again.headers["idempotent-replayed"] == "true"
        assert world.hub.listing.last_seq() == before
    finally:
        till.close()
