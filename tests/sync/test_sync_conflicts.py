"""What the hub refuses, and what the till does about it (issue 8, must-shows 2, 4, 5, 8):
the refusal in Conflicts with its reason, the till's copy corrected from the hub, the
unrelated changes behind it sent, the dependent ones parked and never sent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from clienteling.engine.models import IdempotencyRecord
from clienteling.engine.services import Clienteling
from clienteling.engine.services.outbox import CONFLICT, DEPENDS_ON_REFUSED, PARKED
from clienteling.sync.cycle import run_cycle
from clienteling.sync.resolve import definition_versions, keep_hub, keep_mine
from tests.conftest import T0
from tests.internals import context_of
from tests.sync.conftest import SyncWorld
from tests.sync.support import Shop, digests, stock


def synced_pair(sw: SyncWorld) -> tuple[Shop, Clienteling, Clienteling]:
    shop = stock(sw)
    a, b = sw.till("a"), sw.till("b")
    for till in (a, b):
        assert run_cycle(till, sw.client()).error is None
    return shop, a, b


def uses_left(cl: Clienteling, profile_id: str, benefit_id: str) -> int:
    rows = {row.benefit.id: row for row in cl.benefits.for_profile(profile_id)}
    return int(rows[benefit_id].benefit.redemptions_remaining)


def hub_has_key(sw: SyncWorld, key: str) -> bool:
    with context_of(sw.hub.cl).reading() as s:
        return s.scalar(select(IdempotencyRecord.key).where(IdempotencyRecord.key == key)) \
            is not None


def test_the_last_use_redeemed_at_two_tills_goes_to_the_first_and_the_other_is_corrected(
        sync_world: SyncWorld) -> None:
    sw = sync_world
    shop, a, b = synced_pair(sw)
    pid, bid = shop.profile_ids[0], shop.last_use_benefit
    a.benefits.redeem(sw.actor(a, "associate"), pid, bid)
    b.benefits.redeem(sw.actor(b, "associate"), pid, bid)
    assert uses_left(b, pid, bid) == 0 and len(b.rewards.redemptions(pid)) == 1

    first = run_cycle(a, sw.client())
    second = run_cycle(b, sw.client())
    assert (first.pushed, first.conflicts) == (1, 0)
    assert (second.pushed, second.conflicts, second.waiting) == (0, 1, 0)
    [conflict] = b.outbox.conflicts()
    assert conflict.status == CONFLICT and conflict.last_code == "exhausted"
    assert conflict.last_error == "This benefit has no redemptions left."
    # B's copy is the hub's: the one use is A's redemption, B's own is gone.
    hub_history = [r.id for r in sw.hub.cl.rewards.redemptions(pid)]
    assert [r.id for r in b.rewards.redemptions(pid)] == hub_history
    assert len(hub_history) == 1 and uses_left(b, pid, bid) == 0
    run_cycle(a, sw.client())
    assert digests(a) == digests(b) == digests(sw.till_view)


def test_a_refused_entry_parks_its_dependents_unsent_and_lets_the_rest_through(
        sync_world: SyncWorld) -> None:
    sw = sync_world
    shop, a, b = synced_pair(sw)
    pid, bid = shop.profile_ids[0], shop.last_use_benefit
    a.benefits.redeem(sw.actor(a, "associate"), pid, bid)
    assert run_cycle(a, sw.client()).pushed == 1

    ava, max_ = sw.actor(b, "associate"), sw.actor(b, "manager")
    b.benefits.redeem(ava, pid, bid)                                   # refused: used up
    b.benefits.set_expiry(max_, bid, "2026-03-20 18:00:00")            # depends on it
    b.profiles.update(ava, shop.profile_ids[1], {"first_name": "Unblocked"})
    b.benefits.redeem(ava, shop.profile_ids[2], shop.benefit_ids[2])
    entries = b.outbox.pending()
    assert len(entries) == 4

    report = run_cycle(b, sw.client())
    assert (report.pushed, report.conflicts, report.waiting) == (2, 2, 0)
    refused, dependent, *rest = (b.outbox.get(e.seq) for e in entries)
    assert refused.status == CONFLICT
    assert dependent.status == PARKED and dependent.last_code == DEPENDS_ON_REFUSED
    assert "refused" in (dependent.last_error or "")
    assert [e.status for e in rest] == ["done", "done"]
    assert not hub_has_key(sw, dependent.idempotency_key), "a parked entry reached the hub"
    assert all(hub_has_key(sw, e.idempotency_key) for e in rest)
    assert sw.hub.cl.profiles.get(shop.profile_ids[1]).first_name == "Unblocked"
    # The parked expiry change was undone locally: the hub's benefit stands.
    hub_benefit = next(r.benefit for r in sw.hub.cl.benefits.for_profile(pid)
                       if r.benefit.id == bid)
    mine = next(r.benefit for r in b.benefits.for_profile(pid) if r.benefit.id == bid)
    assert mine.expires_at == hub_benefit.expires_at
    run_cycle(a, sw.client())
    assert digests(a) == digests(b) == digests(sw.till_view)


def test_offline_redeems_are_judged_when_made_within_the_allowance_else_on_arrival(
        sync_world: SyncWorld) -> None:
    sw = sync_world
    shop = stock(sw)
    manager = sw.hub_actor("manager")
    p0, p1 = shop.profile_ids[:2]
    b0, b1 = shop.benefit_ids[:2]
    for bid in (b0, b1):  # both expire two hours from now (T0 is 11:00 in Melbourne)
        sw.hub.cl.benefits.set_expiry(manager, bid, "2026-03-02 13:00:00")
    a, b = sw.till("a"), sw.till("b")
    for till in (a, b):
        assert run_cycle(till, sw.client()).error is None

    sw.clock.set(T0 + timedelta(hours=1))
    a.benefits.redeem(sw.actor(a, "associate"), p0, b0)
    b.benefits.redeem(sw.actor(b, "associate"), p1, b1)

    sw.clock.set(T0 + timedelta(hours=5))  # both benefits have expired at the hub
    late = run_cycle(a, sw.client())
    assert (late.pushed, late.conflicts) == (1, 0), late
    assert uses_left(sw.hub.cl, p0, b0) == 2

    sw.clock.set(T0 + timedelta(hours=80))  # beyond the 72-hour allowance
    too_late = run_cycle(b, sw.client(), force=True)
    assert (too_late.pushed, too_late.conflicts) == (0, 1), too_late
    [conflict] = b.outbox.conflicts()
    assert "72-hour offline allowance" in conflict.last_error, conflict.last_error
    assert "expired" in conflict.last_error
    assert uses_left(b, p1, b1) == uses_left(sw.hub.cl, p1, b1) == 3
    run_cycle(a, sw.client())
    assert digests(a) == digests(b) == digests(sw.till_view)


def test_an_offline_definition_edit_against_a_hub_edit_lands_in_conflicts_with_both_versions(
        sync_world: SyncWorld) -> None:
    sw = sync_world
    shop, a, _b = synced_pair(sw)
    hub_admin, ada = sw.hub_actor("admin"), sw.actor(a, "admin")
    # An admin's definition edit is accepted only from an admin device (issue 9).
    client = sw.client(sw.world.admin_token)

    for choice in ("hub", "mine"):
        version = a.definitions.benefit_definition(shop.coffee_id).version
        a.definitions.update_benefit_definition(ada, shop.coffee_id,
                                                {"description": f"Till's words ({choice})"},
                                                expected_version=version)
        sw.hub.cl.definitions.update_benefit_definition(
            hub_admin, shop.coffee_id, {"description": f"Hub's words ({choice})"},
            expected_version=version)
        report = run_cycle(a, client)
        assert (report.pushed, report.conflicts) == (0, 1), report
        [conflict] = a.outbox.conflicts()
        assert conflict.last_code == "version_conflict"
        mine, theirs = definition_versions(a, conflict.seq)
        assert mine["description"] == f"Till's words ({choice})"
        assert theirs.description == f"Hub's words ({choice})"
        assert theirs.version == version + 1
        if choice == "hub":
            keep_hub(a, ada, conflict.seq)
            expected = f"Hub's words ({choice})"
        else:
            keep_mine(a, ada, conflict.seq)
            expected = f"Till's words ({choice})"
        after = run_cycle(a, client)
        assert (after.conflicts, after.waiting, after.error) == (0, 0, None), after
        assert sw.hub.cl.definitions.benefit_definition(shop.coffee_id).description == expected
        assert a.definitions.benefit_definition(shop.coffee_id).description == expected
        assert digests(a) == digests(sw.till_view)


def test_a_refused_redeem_does_not_hold_back_the_customers_own_edits(
        sync_world: SyncWorld) -> None:
    """SPEC §6: a refusal blocks only what depends on it. A redeem refers to the customer's
    profile; an edit of that profile, made before or after the refusal, does not depend on
    the refused redeem (found by syncfault's convergence test)."""
    sw = sync_world
    shop, a, b = synced_pair(sw)
    pid, bid = shop.profile_ids[0], shop.last_use_benefit
    a.benefits.redeem(sw.actor(a, "associate"), pid, bid)
    assert run_cycle(a, sw.client()).pushed == 1

    max_ = sw.actor(b, "manager")
    b.benefits.redeem(sw.actor(b, "associate"), pid, bid)
    b.profiles.update(max_, pid, {"tier": "gold"})               # before the refusal
    report = run_cycle(b, sw.client())
    assert (report.pushed, report.conflicts, report.waiting) == (1, 1, 0), report
    assert sw.hub.cl.profiles.get(pid).tier == "gold"

    b.profiles.update(max_, pid, {"tier": "platinum"})           # after it
    report = run_cycle(b, sw.client())
    assert (report.pushed, report.conflicts, report.waiting) == (1, 1, 0), report
    assert sw.hub.cl.profiles.get(pid).tier == "platinum"
    assert digests(b) == digests(sw.till_view)
