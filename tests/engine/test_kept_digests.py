"""Digests kept per type and id bucket as rows change (issue 19, SPEC §6 "Verify"): after each
write path the kept buckets equal the recompute, a drill-down reads kept buckets and rows,
and data written behind the services is brought in by ``rebuild``."""

from __future__ import annotations

import shutil
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from clienteling.demo import create_demo
from clienteling.engine import digest_keeper
from clienteling.engine.clock import FixedClock
from clienteling.engine.fingerprints import id_hash
from clienteling.engine.models import DigestBucket, Identity, Profile
from clienteling.engine.services import Clienteling
from clienteling.engine.services.digest import first_difference
from clienteling.engine.wire_rows import Block
from tests.conftest import T0, World
from tests.engine.support import (
    give_reward,
    issue,
    make_definition,
    make_profile,
    make_reward_definition,
)
from tests.engine.test_remote import _feed, _profile
from tests.engine.test_remote_rows import _blocks
from tests.internals import context_of, database_of
from tests.kept_digests import assert_kept

CARD = "4000000000088"


def test_services_keep_the_digests_in_their_transaction(world: World) -> None:
    cl = world.cl
    assert_kept(cl, "empty")
    d = make_definition(world, max_redemptions=3)
    rd = make_reward_definition(world)
    p = make_profile(world, identities=[{"handle": "card", "identifier": "4000000000077"}])
    b = issue(world, d, p)
    give_reward(world, rd, p, "20.00")
    assert_kept(cl, "issued")
    cl.benefits.redeem(world.associate, p.id, b.id)
    done = cl.rewards.redeem_amount(world.associate, p.id, Decimal("5.00"))
    assert_kept(cl, "redeemed")
    cl.rewards.void(world.manager, done.id)
    cl.profiles.update(world.manager, p.id, {"tier": "gold", "identities": []})
    cl.purchases.record(world.associate, p.id, {"receipt_ref": "R1", "total": "12.50"})
    cl.benefits.delete(world.admin, b.id)
    assert_kept(cl, "changed and deleted")


def test_a_refused_change_keeps_nothing(world: World) -> None:
    cl = world.cl
    p = make_profile(world)
    before = cl.digest.summary()
    with pytest.raises(RuntimeError), context_of(cl).transaction(world.manager) as uow:
        uow.session.execute(update(Profile).where(Profile.id == p.id).values(tier="gold"))
        uow.touch("profile", p.id)
        raise RuntimeError("refused")
    assert cl.digest.summary() == before
    assert_kept(cl, "rolled back")


def test_the_remote_door_keeps_them_for_entries_blocks_and_moved_cards(world: World,
                                                                      tmp_path: Path) -> None:
    cl = world.cl
    entries, _ = _feed(world, 30)
    cl.remote.apply(entries, cursor=1)
    assert_kept(cl, "entries")
    # A card moves to a record in the page from one that is not in it: that one changed too.
    owner = make_profile(world, identities=[{"handle": "card", "identifier": CARD}])
    thief = str(uuid.uuid4())
    cl.remote.apply([{"type": "profile", "id": thief, "op": "upsert", "data": _profile(
        thief, 77, identities=[{"handle": "card", "identifier": CARD}])}], cursor=2)
    assert _holder(cl) == thief and not cl.profiles.get(owner.id).identities
    assert_kept(cl, "a card moved by entries")
    cl.remote.apply([{"type": e["type"], "id": e["id"], "op": "delete", "data": None}
                     for e in reversed(entries[:8])], cursor=3)
    assert_kept(cl, "deletes")

    # A first sync's rows-v2 blocks: the card moves from a record the page does not hold.
    other = Clienteling.open(f"sqlite:///{tmp_path / 'other.db'}", clock=world.clock, mode="till")
    try:
        other.remote.apply(_blocks(world), cursor=9)
        assert_kept(other, "blocks")
        loser = str(uuid.uuid4())
        other.remote.apply([{"type": "profile", "id": loser, "op": "upsert", "data": _profile(
            loser, 78, identities=[{"handle": "card", "identifier": CARD}])}], cursor=10)
        assert _holder(other) == loser
        other.remote.apply(_blocks(world), cursor=11)
        assert _holder(other) == thief and not other.profiles.get(loser).identities
        assert_kept(other, "a card moved by blocks")
    finally:
        other.close()


def test_a_first_sync_page_reads_kept_fingerprints_by_stretch_of_ids(
        world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page of many ids of a type reads the kept fingerprints of the stretch from its least
    id to its greatest, once per bucket (a first sync's pages come in id order); where that
    stretch holds more than twice the ids asked for, it reads id by id. Either way the kept
    buckets equal the recompute (SPEC §6 "Verify")."""
    monkeypatch.setattr(digest_keeper, "_RANGE_FROM", 2)  # this world's few records count
    reads: list[tuple[str, bool]] = []
    by_stretch = digest_keeper._kept_in_range

    def spy(s: Any, entity_type: str, ids: list[str]) -> Any:
        found = by_stretch(s, entity_type, ids)
        reads.append((entity_type, found is not None))
        return found

    monkeypatch.setattr(digest_keeper, "_kept_in_range", spy)
    entries, _ = _feed(world, 8)  # the "hub": 8 profiles with a benefit, reward, redemption
    world.cl.remote.apply(entries, cursor=1)
    ids = sorted(e["id"] for e in entries if e["type"] == "profile")

    def change(profile_id: str, n: int) -> None:
        world.cl.remote.apply([{"type": "profile", "id": profile_id, "op": "upsert",
                                "data": _profile(profile_id, n)}], cursor=1)

    till = Clienteling.open(f"sqlite:///{tmp_path / 'till.db'}", clock=world.clock, mode="till")
    try:
        till.remote.apply(_blocks(world), cursor=1)  # nothing kept yet in any stretch
        assert_kept(till, "first page")
        assert ("profile", True) in reads
        # The same records again, two changed at the hub: their old fingerprints are found
        # in the stretch and taken out of their buckets.
        change(ids[2], 90)
        change(ids[5], 91)
        reads.clear()
        till.remote.apply(_blocks(world), cursor=2)
        assert ("profile", True) in reads and ("profile", False) not in reads
        assert_kept(till, "the same page again")
        # Two profiles, the least id and the greatest, one changed: the stretch between them
        # holds every profile, so they are read id by id.
        ends = ids
        change(ends[-1], 92)
        block = next(b for b in _blocks(world) if b.type == "profile")
        at = block.columns.index("id")
        rows = [r for r in block.rows if r[at] in (ends[0], ends[-1])]
        assert block.child_columns is not None and block.child_rows is not None
        owner = block.child_columns.index("profile_id")
        children = [r for r in block.child_rows if r[owner] in (ends[0], ends[-1])]
        reads.clear()
        till.remote.apply([Block(block.type, block.columns, rows, block.child_columns,
                                 children)], cursor=3)
        assert reads == [("profile", False)]
        assert_kept(till, "two ids far apart")
    finally:
        till.close()


def _holder(cl: Clienteling) -> str | None:
    with context_of(cl).reading() as s:
        found: str | None = s.scalar(select(Identity.profile_id).where(Identity.identifier == CARD))
        return found


def test_drill_down_reads_kept_buckets_and_finds_the_record(tmp_path: Path) -> None:
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    create_demo(a, profiles=300, seed=5, clock=FixedClock(T0))
    Clienteling.open(a).close()  # the last connection checkpoints the WAL into the file
    shutil.copyfile(tmp_path / "a.db", tmp_path / "b.db")  # the same PIN hashes too
    with Clienteling.open(a, clock=FixedClock(T0)) as one, \
            Clienteling.open(b, clock=FixedClock(T0)) as two:
        assert_kept(one, "demo")
        assert one.digest.summary() == two.digest.summary()
        top = one.digest.drill("benefit")
        assert sum(x["count"] for x in top["buckets"]) == top["count"] > 64
        assert top["records"] is None
        inner = one.digest.drill("benefit", "3")
        assert (inner["count"], inner["hash"]) == (top["buckets"][3]["count"],
                                                   top["buckets"][3]["hash"])
        deeper = one.digest.drill("benefit", "3a")
        assert deeper["hash"] == inner["buckets"][10]["hash"]
        assert deeper["records"] is not None and all(
            id_hash(r["id"]).startswith("3a") for r in deeper["records"])
        # The drill-down of kept buckets and rows is the reference's.
        reference = {i: fp for h, i, fp in one.digest.rows("benefit") if h.startswith("3a")}
        assert {r["id"]: r["fingerprint"] for r in deeper["records"]} == reference

        target = one.digest.rows("profile")[0][1]
        manager = next(m for m in one.staff.list_staff() if m.role == "manager")
        one.profiles.update(one.staff.actor(manager.id), target, {"tier": "platinum"})
        found = first_difference(one.digest.source, two.digest.source)
        assert found is not None and (found.entity_type, found.entity_id) == ("profile", target)


def test_rebuild_brings_in_rows_written_behind_the_services(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bulk.db'}"
    create_demo(url, profiles=40, seed=2, clock=FixedClock(T0))
    with Clienteling.open(url, clock=FixedClock(T0)) as cl:
        kept = cl.digest.summary()
        with database_of(cl).write() as s:  # a bulk load writes the tables directly
            s.execute(update(Profile).values(tier="bronze"))
        assert cl.digest.summary() == kept != cl.digest.recomputed_summary()
        with database_of(cl).write() as s:
            digest_keeper.rebuild(s)
        assert_kept(cl, "rebuilt")
        with database_of(cl).read() as s:
            assert s.scalar(select(DigestBucket.count).limit(1)) is not None


def test_a_new_redemption_is_fingerprinted_from_the_values_written(world: World) -> None:
    """Issue 19: a redeem's new redemption and its items are fingerprinted from the values
    its INSERTs bound (``fingerprints.of_appended``), not read back; what is kept still equals
    the recompute, money in the items included."""
    cl = world.cl
    d = make_definition(world, max_redemptions=3)
    rd = make_reward_definition(world)
    p = make_profile(world)
    b = issue(world, d, p)
    give_reward(world, rd, p, "20.00")
    seen: list[str] = []
    stop = database_of(cl).on_statement(seen.append)
    try:
        cl.benefits.redeem(world.associate, p.id, b.id)
        cl.rewards.redeem_amount(world.associate, p.id, Decimal("7.35"))
    finally:
        stop()
    read_back = [s for s in seen if s.lstrip().upper().startswith("SELECT")
                 and "redemption_items" in s]
    assert not read_back, read_back
    assert_kept(cl, "redeemed")
