"""The door for remote changes (SPEC §7 change feed, §6 sync): records other tills made,
received from the hub, applied in one transaction with the cursor, with no audit event and
no outbox entry of their own, never over a record this till still has an unsent change to,
and with one ``Changes(origin="remote")`` per call."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from clienteling.cli import main
from clienteling.engine import audit, wire
from clienteling.engine.changes import Area, Changes
from clienteling.engine.context import Context
from clienteling.engine.entities import parse
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import (
    AuditEvent,
    Benefit,
    BenefitDefinition,
    Identity,
    OutboxEntry,
    Profile,
    Redemption,
    RedemptionItem,
    Reward,
    RewardDefinition,
    Staff,
    Store,
)
from clienteling.engine.services import Clienteling
from tests.conftest import World
from tests.engine.support import (
    give_reward,
    issue,
    make_definition,
    make_profile,
    make_reward_definition,
    snapshot,
    sql,
)
from tests.internals import context_of, database_of

STAMP = "2026-03-01T23:00:00+00:00"


def _count(world: World, model: Any) -> int:
    with context_of(world.cl).reading() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _listen(world: World) -> list[Changes]:
    heard: list[Changes] = []
    world.cl.subscribe(heard.append)
    return heard


def _verify(world: World) -> audit.ChainReport:
    with context_of(world.cl).reading() as s:
        return audit.verify_chain(s)


def _profile(pid: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"id": pid, "first_name": "Remote", "last_name": f"Person{n}", "email": f"r{n}@example.com",
            "mobile_phone": f"+61 400 {n:06d}", "gender": None, "birth_date": "1990-05-17",
            "tier": "gold", "join_date": "2025-01-02", "home_store_id": None,
            "attributes": {"n": n}, "identities": [{"handle": "card", "identifier": f"9{n:012d}"}],
            "created_at": STAMP, "updated_at": STAMP, **extra}


def _feed(world: World, profiles: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """A page of the change feed from another till: per profile, the profile, a benefit, a
    reward and a redemption drawing on both (4 records each)."""
    d = make_definition(world, max_redemptions=5)
    rd = make_reward_definition(world)
    staff = world.manager.staff_id
    out: list[dict[str, Any]] = []
    for n in range(profiles):
        pid, bid, rid, xid = (str(uuid.uuid4()) for _ in range(4))
        out.append({"type": "profile", "id": pid, "op": "upsert", "data": _profile(pid, n)})
        out.append({"type": "benefit", "id": bid, "op": "upsert", "data": {
            "id": bid, "profile_id": pid, "benefit_definition_id": d.id, "external_id": None,
            "issued_at": STAMP, "expires_at": "2026-04-01T13:00:00+00:00",
            "timezone": "Australia/Melbourne", "claimed_at": None, "redemptions_remaining": 4,
            "meta": None, "redeem_code_pos": f"P{n}", "redeem_code_online": None,
            "source": "issued", "issued_by": staff, "created_at": STAMP, "updated_at": STAMP,
            "is_expired": False, "is_redeemable": True}})
        out.append({"type": "reward", "id": rid, "op": "upsert", "data": {
            "id": rid, "profile_id": pid, "reward_definition_id": rd.id,
            "value_initial": "20.00", "value_remaining": "15.50", "issued_at": STAMP,
            "expires_at": None, "timezone": "Australia/Melbourne", "is_active": True,
            "extended_at": None, "issued_by": staff, "reason": "goodwill", "meta": None,
            "created_at": STAMP, "updated_at": STAMP}})
        out.append({"type": "redemption", "id": xid, "op": "upsert", "data": {
            "id": xid, "profile_id": pid, "type": "redeem", "total": "4.50",
            "location_id": world.store_id, "staff_id": staff, "transaction_receipt_ref": f"R{n}",
            "redeem_at": STAMP, "reversal_of_id": None, "reversed_by_id": None, "meta": None,
            "created_at": STAMP, "items": [
                {"type": "benefit", "id": bid, "value": "0.00", "count": 1},
                {"type": "reward", "id": rid, "value": "4.50", "count": 1}]}})
    return out, {"definition": d.id, "reward_definition": rd.id}


def test_ten_thousand_records_in_one_call(world: World) -> None:
    cl = world.cl
    mine = make_profile(world, first_name="Local")  # still waiting for the hub
    entries, _ = _feed(world, 2500)
    theirs_of_mine = {"type": "profile", "id": mine.id, "op": "upsert",
                      "data": _profile(mine.id, 999_999, first_name="Overwritten")}
    entries = [*entries[:-1], theirs_of_mine, entries[-1]]
    assert len(entries) == 10_001
    outbox_before, events_before = _count(world, OutboxEntry), _count(world, AuditEvent)
    heard = _listen(world)

    result = cl.remote.apply(entries, cursor=4242)

    assert (result.upserted, result.deleted, result.cursor) == (10_000, 0, 4242)
    assert result.skipped == (("profile", mine.id),)
    assert cl.profiles.get(mine.id).first_name == "Local"  # the till's version stands
    assert (_count(world, Profile), _count(world, Benefit), _count(world, Reward),
            _count(world, Redemption), _count(world, RedemptionItem)) == (2501, 2500, 2500, 2500, 5000)
    assert _count(world, Identity) == 2500
    assert _count(world, OutboxEntry) == outbox_before  # nothing to send back
    assert _count(world, AuditEvent) == events_before  # the chain is this till's work only
    report = _verify(world)
    assert report.ok, str(report)
    assert main(["audit", "verify", "--db", world.url]) == 0  # what `clienteling audit verify` says
    assert cl.remote.cursor() == 4242
    [changes] = heard
    assert changes.origin == "remote"
    assert changes.areas == {Area.PROFILE, Area.BENEFITS, Area.CLAIMABLE, Area.REWARDS,
                             Area.HISTORY}
    assert len(changes.profile_ids) == 2500 and mine.id not in changes.profile_ids
    # what was written reads back as what was sent
    profile = next(e for e in entries if e["type"] == "profile")
    # (a record without the purchase fields, as a hub before 0007 sends it: no spend yet)
    assert wire.profile(cl.profiles.get(profile["id"])) == {
        **profile["data"], "lifetime_spend": "0.00", "last_purchase_at": None}
    assert cl.rewards.balance(profile["id"]) == Decimal("15.50")
    assert [r.id for r in cl.profiles.search("remote person1234")] == [entries[4 * 1234]["id"]]


def test_a_second_apply_updates_in_place_and_replaces_children(world: World) -> None:
    cl = world.cl
    entries, _ = _feed(world, 2)
    cl.remote.apply(entries, cursor=1)
    pid = entries[0]["id"]
    xid = entries[3]["id"]
    changed = _profile(pid, 0, last_name="Renamed",
                       identities=[{"handle": "card", "identifier": "1234567890123"},
                                   {"handle": "barcode", "identifier": "ABC"}])
    redemption = dict(entries[3]["data"], items=[entries[3]["data"]["items"][1]])
    heard = _listen(world)
    result = cl.remote.apply([{"type": "profile", "id": pid, "op": "upsert", "data": changed},
                              {"type": "redemption", "id": xid, "op": "upsert", "data": redemption}],
                             cursor=2)
    assert result.upserted == 2
    stored = cl.profiles.get(pid)
    assert stored.last_name == "Renamed"
    assert sorted((i.handle, i.identifier) for i in stored.identities) == [
        ("barcode", "ABC"), ("card", "1234567890123")]
    assert cl.profiles.find_identity("1234567890123").id == pid
    assert [r.id for r in cl.profiles.search("remote renamed")] == [pid]
    assert cl.profiles.search("remote person0") == []  # the old search key is gone
    with context_of(cl).reading() as s:
        assert [i.type for i in s.get(Redemption, xid).items] == ["reward"]
    assert _count(world, Profile) == 2 and cl.remote.cursor() == 2
    [changes] = heard
    assert changes.profile_ids == {pid}


def test_deletes_and_an_empty_page(world: World) -> None:
    cl = world.cl
    entries, _ = _feed(world, 1)
    cl.remote.apply(entries)
    pid, bid, xid = entries[0]["id"], entries[1]["id"], entries[3]["id"]
    heard = _listen(world)
    result = cl.remote.apply([{"type": "redemption", "id": xid, "op": "delete", "data": None},
                              {"type": "benefit", "id": bid, "op": "delete", "data": None}],
                             cursor=7)
    assert (result.upserted, result.deleted) == (0, 2)
    assert _count(world, Benefit) == 0 and _count(world, Redemption) == 0
    assert _count(world, RedemptionItem) == 0
    [changes] = heard
    assert changes.profile_ids == {pid} and Area.BENEFITS in changes.areas
    # nothing changed: the cursor still moves, no one is told
    assert cl.remote.apply([], cursor=8).upserted == 0
    assert cl.remote.cursor() == 8 and len(heard) == 1


def test_records_with_an_unsent_change_are_skipped_until_the_hub_answers(world: World) -> None:
    cl = world.cl
    jane = make_profile(world, first_name="Jane")
    rd = make_reward_definition(world)
    reward = give_reward(world, rd, jane, "10.00")
    theirs = {"type": "reward", "id": reward.id, "op": "upsert", "data": wire.reward(
        reward, embed_definition=False) | {"value_remaining": "1.00"}}
    # in flight (being sent) still counts as unsent
    while cl.outbox.claim_next(10):
        pass
    assert cl.remote.apply([theirs]).skipped == (("reward", reward.id),)
    assert cl.rewards.balance(jane.id) == Decimal("10.00")
    for item in cl.outbox.pending():
        cl.outbox.mark_done(item.seq)
    # once the hub has it, its version is the truth
    assert cl.remote.apply([theirs]).skipped == ()
    assert cl.rewards.balance(jane.id) == Decimal("1.00")


def test_the_hub_does_not_take_remote_changes(world: World) -> None:
    hub = Clienteling(Context(database_of(world.cl), world.clock, mode="hub"))
    with pytest.raises(RuntimeError):
        hub.remote.apply([], cursor=1)


def test_till_local_columns_stay_the_tills(world: World) -> None:
    cl = world.cl
    member = cl.staff.get_staff(world.associate.staff_id)
    sql(world, "UPDATE staff SET failed_attempts = 3 WHERE id = :id", id=member.id)
    record = wire.staff(member, with_pin_hash=True) | {"display_name": "Ava Renamed",
                                                        "pin_hash": "$argon2id$v=19$other"}
    heard = _listen(world)
    cl.remote.apply([{"type": "staff", "id": member.id, "op": "upsert", "data": record}])
    after = cl.staff.get_staff(member.id)
    assert (after.display_name, after.pin_hash) == ("Ava Renamed", "$argon2id$v=19$other")
    assert after.failed_attempts == 3
    assert [c.areas for c in heard] == [{Area.STAFF}]
    assert heard[0].origin == "remote" and heard[0].areas == {"staff"}  # a StrEnum


@pytest.mark.parametrize(("entity_type", "field", "value", "problem"), [
    ("benefit", "expires_at", "next tuesday", "ISO 8601"),
    ("benefit", "issued_at", "2026-03-01T10:00:00", "UTC offset"),
    ("reward", "value_remaining", "1.005", "2 decimal places"),
    ("reward", "value_initial", 20.0, "decimal string"),
    ("profile", "first_name", None, "required"),
    ("redemption", "items", [{"type": "voucher", "id": "x", "value": "1.00", "count": 1}],
     "items[0].type"),
    ("benefit", "redemptions_remaining", "4", "whole number"),
])
def test_a_bad_synced_record_is_refused_naming_it_and_changes_nothing(
        world: World, entity_type: str, field: str, value: Any, problem: str) -> None:
    cl = world.cl
    entries, _ = _feed(world, 3)
    bad = next(e for e in entries[4:] if e["type"] == entity_type)
    bad["data"] = dict(bad["data"], **{field: value})
    before = snapshot(world)
    heard = _listen(world)
    with pytest.raises(ValidationError) as info:
        cl.remote.apply(entries, cursor=99)
    message = str(info.value)
    assert entity_type in message and bad["id"] in message and field in message, message
    assert problem in message, message
    assert snapshot(world) == before and heard == [] and cl.remote.cursor() is None


@pytest.mark.parametrize("entry", [
    "not an object",
    {"type": "coupon", "id": "c1", "op": "upsert", "data": {}},
    {"type": "profile", "id": "p1", "op": "merge", "data": {}},
    {"type": "profile", "id": "p1", "op": "upsert", "data": None},
    {"type": "profile", "id": "p1", "op": "upsert", "data": {"id": "p2"}},
    {"type": "profile", "id": "x" * 37, "op": "delete", "data": None},
])
def test_a_malformed_entry_is_refused(world: World, entry: Any) -> None:
    before = snapshot(world)
    with pytest.raises(ValidationError):
        world.cl.remote.apply([entry], cursor=1)
    assert snapshot(world) == before


def test_a_record_that_does_not_fit_is_refused_whole(world: World) -> None:
    entries, _ = _feed(world, 2)
    # the second profile's benefit, for a profile this till has never heard of
    entries[5] = dict(entries[5], data=dict(entries[5]["data"], profile_id=str(uuid.uuid4())))
    before = snapshot(world)
    with pytest.raises(ValidationError) as info:
        world.cl.remote.apply(entries, cursor=3)
    assert "do not fit" in str(info.value)
    assert snapshot(world) == before


def _round_trip(entity_type: str, record: dict[str, Any], build: Any, render: Any) -> None:
    parsed = parse(entity_type, record)
    again = render(build(parsed))
    assert again == record


def test_round_trip_wire_to_columns_to_wire_for_every_type(world: World) -> None:
    cl = world.cl
    jane = make_profile(world, email="Jane@Example.com", mobile_phone="+61 400 111 222",
                        birth_date="1990-05-17",
                        identities=[{"handle": "card", "identifier": "4000000000009"}])
    d = make_definition(world, max_redemptions=3, tags=["vip"], period=30,
                        discount={"percent_off": "10"},
                        claim_condition={">=": [{"var": "profile.age"}, 18]})
    b = issue(world, d, jane)
    rd = make_reward_definition(world, value="25.00", period=90)
    r = give_reward(world, rd, jane, "30.00")
    x1 = cl.benefits.redeem(world.associate, jane.id, b.id, receipt="R-1")
    x2 = cl.rewards.redeem_amount(world.associate, jane.id, "12.34")
    void = cl.rewards.void(world.manager, x2.id)
    with context_of(cl).reading() as s:
        rows: dict[str, list[tuple[Any, Any]]] = {
            "store": [(s.get(Store, world.store_id), wire.store)],
            "staff": [(s.get(Staff, world.admin.staff_id),
                       lambda m: wire.staff(m, with_pin_hash=True))],
            "profile": [(s.get(Profile, jane.id), wire.profile)],
            "benefit_definition": [(s.get(BenefitDefinition, d.id), wire.benefit_definition)],
            "benefit": [(s.get(Benefit, b.id), wire.benefit_record)],
            "reward_definition": [(s.get(RewardDefinition, rd.id), wire.reward_definition)],
            "reward": [(s.get(Reward, r.id), lambda v: wire.reward(v, embed_definition=False))],
            "redemption": [(s.get(Redemption, i), wire.redemption)
                           for i in (x1.id, x2.id, void.id)],
        }
        records = {t: [(render(obj), render) for obj, render in pairs] for t, pairs in rows.items()}
    models = {"store": Store, "staff": Staff, "profile": Profile,
              "benefit_definition": BenefitDefinition, "benefit": Benefit,
              "reward_definition": RewardDefinition, "reward": Reward, "redemption": Redemption}

    def build(parsed: Any) -> Any:
        obj = models[parsed.entity_type](**parsed.row)
        if parsed.entity_type == "profile":
            obj.identities = [Identity(**c) for c in parsed.children]
        if parsed.entity_type == "redemption":
            obj.items = [RedemptionItem(**c) for c in parsed.children]
        return obj

    for entity_type, pairs in records.items():
        for record, render in pairs:
            _round_trip(entity_type, record, build, render)
    assert {t for t, pairs in records.items() if pairs} == set(models)
