"""The remote door taking a rows-v2 snapshot page (``engine.wire_rows``: each type's columns
once, rows as lists in the till's storage form; SPEC §7, §8): the same records as the
entries it replaces, and a bad record refused naming its type, id and field, with nothing
changed (SPEC: validation of synced records stays)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from clienteling.engine.changes import Changes
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import Identity, Profile, RedemptionItem
from clienteling.engine.services import Clienteling
from clienteling.engine.services.snapshot import snapshot_rows
from clienteling.engine.wire_in import _CHILD_IDS, child_id
from clienteling.engine.wire_rows import Block
from tests.conftest import World
from tests.engine.support import give_reward, make_profile, make_reward_definition
from tests.engine.test_remote import _feed
from tests.internals import context_of


def _blocks(world: World) -> list[Block]:
    """Every synced record of ``world`` as a rows-v2 page's blocks, as the hub builds them."""
    page = snapshot_rows(context_of(world.cl), None, 5000)
    assert page.next is None
    return [Block(b.type, list(b.columns), [list(r) for r in b.rows], b.child_columns,
                  None if b.child_rows is None else [list(r) for r in b.child_rows])
            for b in page.blocks]


@pytest.fixture
def empty(tmp_path: Path, world: World) -> Iterator[Clienteling]:
    cl = Clienteling.open(f"sqlite:///{tmp_path / 'empty.db'}", clock=world.clock, mode="till")
    yield cl
    cl.close()


def _search_keys(cl: Clienteling) -> list[tuple[Any, ...]]:
    with context_of(cl).reading() as s:
        return sorted(tuple(r) for r in s.execute(select(
            Profile.id, Profile.name_key, Profile.last_name_key, Profile.email_key,
            Profile.phone_key)))


def _children(cl: Clienteling) -> list[tuple[Any, ...]]:
    with context_of(cl).reading() as s:
        return sorted([tuple(r) for r in s.execute(select(Identity.id, Identity.profile_id))]
                      + [tuple(r) for r in s.execute(select(RedemptionItem.id,
                                                            RedemptionItem.redemption_id))])


def test_rows_v2_gives_the_same_records_as_entries(world: World, empty: Clienteling) -> None:
    entries, _ = _feed(world, 3)
    world.cl.remote.apply(entries, cursor=7)
    heard: list[Changes] = []
    empty.subscribe(heard.append)

    result = empty.remote.apply(_blocks(world), cursor=7)

    assert empty.digest.summary() == world.cl.digest.summary()
    # What the digest leaves out is equal too: search keys, child ids derived on the till.
    assert _search_keys(empty) == _search_keys(world.cl)
    assert _children(empty) == _children(world.cl)
    assert result.upserted == sum(world.cl.digest.summary()["types"][t]["count"]
                                  for t in world.cl.digest.summary()["types"])
    assert empty.remote.cursor() == 7
    assert len(heard) == 1 and heard[0].origin == "remote"
    assert {p for p, *_ in _search_keys(world.cl)} <= heard[0].profile_ids
    # Applying the same page again writes the same rows (and children are replaced).
    empty.remote.apply(_blocks(world), cursor=8)
    assert empty.digest.summary() == world.cl.digest.summary()
    assert _children(empty) == _children(world.cl)


def test_child_ids_are_the_uuid5_the_feed_derives() -> None:
    import uuid

    for parts in (("p1", "card", "4000"), ("r-2", "0"), ("é", "ü", "/")):
        assert child_id(*parts) == str(uuid.uuid5(_CHILD_IDS, "/".join(parts)))


def _corrupt(blocks: list[Block], kind: str, column: str, value: Any, *,
             child: bool = False) -> str:
    """Set ``column`` of the second record (or child row) of ``kind``; returns its id (its
    parent's for a child)."""
    block = next(b for b in blocks if b.type == kind)
    if child:
        assert block.child_columns is not None and block.child_rows is not None
        row = block.child_rows[1]
        row[block.child_columns.index(column)] = value
        return str(row[0])
    row = block.rows[1]
    row[block.columns.index(column)] = value
    return str(row[block.columns.index("id")])


@pytest.mark.parametrize(("kind", "column", "value", "field", "problem"), [
    # the feed's ISO form is not the storage form
    ("benefit", "expires_at", "2026-04-01T13:00:00+00:00", "expires_at", "UTC time as"),
    ("benefit", "issued_at", "2026-02-30 10:00:00.000000", "issued_at", "is not a time"),
    ("profile", "birth_date", "1990-13-01", "birth_date", "date (YYYY-MM-DD)"),
    ("reward", "value_remaining", "15.50", "value_remaining", "whole cents"),
    ("reward", "value_initial", -1, "value_initial", "zero or more"),
    ("profile", "first_name", None, "first_name", "is required"),
    ("profile", "first_name", "   ", "first_name", "must not be empty"),
    ("profile", "email", "x" * 255, "email", "at most 254 characters"),
    ("profile", "attributes", ["not", "an", "object"], "attributes", "must be an object"),
    ("benefit", "redemptions_remaining", True, "redemptions_remaining", "whole number"),
    ("benefit", "redemptions_remaining", -2, "redemptions_remaining", "must be from 0"),
    ("benefit", "timezone", "Mars/Olympus_Mons", "timezone", "unknown timezone"),
    ("redemption", "type", "refund", "type", "must be one of redeem, reversal"),
    ("staff", "is_active", 1, "is_active", "true or false"),
])
def test_a_malformed_rows_v2_record_is_refused_naming_it_and_changes_nothing(
        world: World, empty: Clienteling, kind: str, column: str, value: Any, field: str,
        problem: str) -> None:
    entries, _ = _feed(world, 3)
    world.cl.remote.apply(entries)
    blocks = _blocks(world)
    if kind == "staff":
        assert len(next(b for b in blocks if b.type == "staff").rows) >= 2
    ident = _corrupt(blocks, kind, column, value)
    before = empty.digest.summary()
    heard: list[Changes] = []
    empty.subscribe(heard.append)

    with pytest.raises(ValidationError) as info:
        empty.remote.apply(blocks, cursor=9, sync_state={"sync.first_sync": {"next": "x"}})

    message = str(info.value)
    assert f"synced {kind} {ident}: {field} " in message and problem in message, message
    assert info.value.errors == {field: [message.split(f"{field} ", 1)[1]]}
    assert empty.digest.summary() == before and heard == []
    assert empty.remote.cursor() is None


@pytest.mark.parametrize(("kind", "column", "value", "field", "problem"), [
    ("redemption", "type", "voucher", "items[1].type", "must be one of benefit, reward"),
    ("redemption", "value", "4.50", "items[1].value", "whole cents"),
    ("redemption", "count", 0, "items[1].count", "must be from 1"),
    ("profile", "identifier", "", "identities[1].identifier", "must not be empty"),
])
def test_a_malformed_child_row_is_refused_naming_its_parent_and_field(
        world: World, empty: Clienteling, kind: str, column: str, value: Any, field: str,
        problem: str) -> None:
    entries, _ = _feed(world, 3)
    world.cl.remote.apply(entries)
    blocks = _blocks(world)
    parent = _corrupt(blocks, kind, column, value, child=True)
    with pytest.raises(ValidationError) as info:
        empty.remote.apply(blocks, cursor=9)
    message = str(info.value)
    assert f"synced {kind} {parent}: {field} " in message and problem in message, message
    assert empty.digest.summary()["types"]["profile"]["count"] == 0


def test_a_row_or_child_that_does_not_fit_the_page_is_refused(
        world: World, empty: Clienteling) -> None:
    entries, _ = _feed(world, 2)
    world.cl.remote.apply(entries)
    short = _blocks(world)
    benefit = next(b for b in short if b.type == "benefit")
    benefit.rows[1].pop()
    with pytest.raises(ValidationError, match=r"synced benefit \S+: columns has 15 values for "
                                              r"16 columns"):
        empty.remote.apply(short)
    stray = _blocks(world)
    profiles = next(b for b in stray if b.type == "profile")
    assert profiles.child_rows is not None
    profiles.child_rows[0][0] = "no-such-profile"
    with pytest.raises(ValidationError, match=r"children\[0\].profile_id is not a record of "
                                              r"this page"):
        empty.remote.apply(stray)
    mixed: list[Any] = [*_blocks(world), entries[0]]
    with pytest.raises(ValidationError, match="not both"):
        empty.remote.apply(mixed)
    assert empty.digest.summary()["types"]["profile"]["count"] == 0


def test_a_missing_required_column_is_refused_and_a_missing_optional_one_is_null(
        world: World, empty: Clienteling) -> None:
    entries, _ = _feed(world, 2)
    world.cl.remote.apply(entries)
    blocks = _blocks(world)
    profiles = next(b for b in blocks if b.type == "profile")
    at = profiles.columns.index("first_name")
    del profiles.columns[at]
    for row in profiles.rows:
        del row[at]
    with pytest.raises(ValidationError, match=r"synced profile \S+: first_name is required"):
        empty.remote.apply(blocks)
    blocks = _blocks(world)
    profiles = next(b for b in blocks if b.type == "profile")
    at = profiles.columns.index("gender")
    del profiles.columns[at]
    for row in profiles.rows:
        del row[at]
    empty.remote.apply(blocks)
    with context_of(empty).reading() as s:
        assert set(s.scalars(select(Profile.gender))) == {None}


def test_a_record_with_an_unsent_change_is_skipped_in_rows_v2_too(world: World) -> None:
    cl = world.cl
    jane = make_profile(world, first_name="Jane")
    rd = make_reward_definition(world)
    reward = give_reward(world, rd, jane, "10.00")
    blocks = _blocks(world)
    theirs = copy.deepcopy([b for b in blocks if b.type == "reward"])
    theirs[0].rows[0][theirs[0].columns.index("value_remaining")] = 100  # 1.00 in cents
    # in flight (being sent) still counts as unsent
    while cl.outbox.claim_next(10):
        pass
    assert cl.remote.apply(theirs).skipped == (("reward", reward.id),)
    assert cl.rewards.balance(jane.id) == Decimal("10.00")
    for item in cl.outbox.pending():
        cl.outbox.mark_done(item.seq)
    assert cl.remote.apply(theirs).skipped == ()
    assert cl.rewards.balance(jane.id) == Decimal("1.00")
