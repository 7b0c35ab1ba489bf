"""Issue 19: the digests kept per type and id bucket equal the recompute after random work
through every write path — the hub's services, a bulk create, a hub import, a till's first
sync (rows-v2 blocks), a till's own work pushed to the hub and the hub's pulled back by the
feed — on SQLite and PostgreSQL; and the till then agrees with the hub."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from clienteling.cli import main
from clienteling.engine.errors import DomainError
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.devices import Device
from clienteling.sync.client import HubClient
from clienteling.sync.cycle import run_cycle
from tests.hub.conftest import World
from tests.kept_digests import assert_kept

CUSTOMERS = """first_name,last_name,email,home_store_id,card
Imp,One,imp1@example.com,{store},4100000000001
Imp,Two,imp2@example.com,{store},4100000000002
Imp,Three,imp3@example.com,{store},4100000000003
"""


def test_kept_digests_equal_the_recompute_after_every_write_path(
        world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(19)
    hub = world.hub.cl
    admin, manager = hub.staff.actor(world.staff["admin"]), hub.staff.actor(world.staff["manager"])
    coffee = hub.definitions.create_benefit_definition(admin, {
        "name": "Coffee", "handle": "coffee", "period": 30, "max_redemptions": 2,
        "is_published": True})
    sorry = hub.definitions.create_reward_definition(admin, {
        "name": "Sorry", "handle": "sorry", "type": "customer-service", "value": "10.00",
        "period": 60})
    made = hub.profiles.create_many(admin, [
        {"first_name": f"Bulk{n}", "last_name": "Lee",
         "identities": [{"handle": "card", "identifier": f"42000000000{n:02d}"}]}
        for n in range(12)])
    assert not any(isinstance(m, DomainError) for m in made)
    source = tmp_path / "customers.csv"
    source.write_text(CUSTOMERS.format(store=world.store_id), encoding="utf-8")
    assert main(["hub", "import", "--db", hub.database_url, "--kind",
                 "profiles", "--as", "admin-a", str(source)]) == 0, capsys.readouterr()
    assert_kept(hub, "bulk create and import")

    state = _Work(hub, rng, coffee.id, sorry.id)
    for _ in range(30):
        state.step(manager)
    assert_kept(hub, "hub services")

    till = Clienteling.open(f"sqlite:///{tmp_path / 'till.db'}", clock=world.clock, mode="till")
    try:
        with HubClient(world.live.base_url, world.token, timeout=30.0) as client:
            first = run_cycle(till, client, force=True)
            assert first.error is None, first.error
            assert_kept(till, "first sync")
            mine = _Work(till, rng, coffee.id, sorry.id)
            ava = till.staff.actor(world.staff["manager"])
            for _ in range(15):
                mine.step(ava)
            assert_kept(till, "till services")
            pushed = run_cycle(till, client, force=True)
            assert pushed.error is None and pushed.pushed > 0, pushed
            assert_kept(hub, "pushes applied at the hub")
            for _ in range(15):
                state.step(manager)
            pulled = run_cycle(till, client, force=True)
            assert pulled.error is None and pulled.pulled > 0, pulled
            assert_kept(till, "feed pulled")
            assert_kept(hub, "after all")
        view = hub.digest_for(Device("", "", world.store_id).may_act)
        assert till.digest.summary() == view.summary()
    finally:
        till.close()


class _Work:
    """Random counter and back-office work through one copy's services."""

    def __init__(self, cl: Clienteling, rng: random.Random, coffee: str, sorry: str) -> None:
        self.cl, self.rng, self.coffee, self.sorry = cl, rng, coffee, sorry
        self.receipts = 0

    def step(self, actor: Actor) -> None:
        cl, rng = self.cl, self.rng
        profiles = [i for _, i, _ in cl.digest.rows("profile")]
        pid = rng.choice(profiles)
        kind = rng.choice(("issue", "reward", "redeem", "amount", "update", "purchase", "new"))
        try:
            if kind == "issue":
                cl.benefits.issue(actor, {"benefit_definition_id": self.coffee, "profile_id": pid})
            elif kind == "reward":
                cl.rewards.issue(actor, {"profile_id": pid, "reward_definition_id": self.sorry,
                                         "value_initial": "15.00", "reason": "sorry"})
            elif kind == "redeem":
                held = cl.benefits.for_profile(pid)
                if held:
                    cl.benefits.redeem(actor, pid, rng.choice(held).benefit.id)
            elif kind == "amount":
                cl.rewards.redeem_amount(actor, pid, Decimal("2.50"))
            elif kind == "update":
                cl.profiles.update(actor, pid, {"tier": rng.choice(("gold", "silver", None))})
            elif kind == "purchase":
                self.receipts += 1
                cl.purchases.record(actor, pid, {"receipt_ref": f"R{rng.random():.12f}",
                                                 "total": "19.95"})
            else:
                cl.profiles.create(actor, {"first_name": "New", "last_name": f"P{rng.random()}"})
        except DomainError:
            pass  # a refusal (no uses left, no balance) changes nothing
