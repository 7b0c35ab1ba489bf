"""The registry of synced types (``engine.entities``, GUIDE principle 12, SPEC §6 and §7):
walked type by type, each declaration is proved to carry its records through everything sync
does with them — wire → wire_in → wire, the snapshot in both formats, the change feed, the
remote door into an empty till, and the digest — and no model can be left out of it.

Real SQLite files throughout: a hub-mode database (so every change is journalled for the
feed) filled through the services, and two empty tills that receive its snapshot.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update
from starlette.responses import JSONResponse

from clienteling.engine.changes import areas_of
from clienteling.engine.clock import FixedClock
from clienteling.engine.entities import BY_NAME, ENTITIES, LOCAL_TABLES, NAMES, SyncedType, parse
from clienteling.engine.models import Base, ChangeLog
from clienteling.engine.services import Clienteling
from clienteling.engine.services.devices import Device
from clienteling.engine.services.digest import DigestService
from clienteling.engine.services.snapshot import snapshot_records, snapshot_rows
from clienteling.engine.wire_in import Parsed
from clienteling.engine.wire_rows import Block
from clienteling.hub.changes import feed_body, feed_page, rendered_page, renderers
from clienteling.hub.snapshot import snapshot, snapshot_rows_body
from clienteling.hub.state import Hub
from tests.conftest import T0, World
from tests.engine.support import give_reward, issue, make_definition, make_profile, make_reward_definition
from tests.internals import context_of, database_of
from tests.kept_digests import assert_kept

PAGE = 5000  # the whole test database in one page


@dataclass
class Synced:
    """A hub filled with at least one record of every synced type, and two tills that
    received its snapshot: ``entries`` in the entries format, ``rows`` in rows-v2."""

    hub: Hub
    device: Device
    made: dict[str, list[str]]  # type → ids of the records made through the services
    entries: Clienteling
    rows: Clienteling

    @property
    def cl(self) -> Clienteling:
        return self.hub.cl


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory,
           world_template: tuple[Path, str, dict[str, str]]) -> Iterator[Synced]:
    template, store_id, staff = world_template
    folder = tmp_path_factory.mktemp("entities")
    shutil.copyfile(template, folder / "hub.db")
    clock = FixedClock(T0)
    url = f"sqlite:///{folder / 'hub.db'}"
    cl = Clienteling.open(url, clock=clock, mode="hub")
    actors = (cl.staff.actor(staff[role]) for role in ("associate", "manager", "admin"))
    world = World(cl, clock, url, store_id, *actors)
    other = cl.staff.create_store(None, {"name": "Chadstone", "timezone": "Australia/Melbourne"})
    member = cl.staff.create_staff(None, {"username": "zoe", "display_name": "Zoe",
                                          "role": "manager", "store_id": other.id,
                                          "pin": "271828"})
    jane = make_profile(world, email="Jane@Example.com", mobile_phone="+61 400 111 222",
                        birth_date="1990-05-17", attributes={"vip": True},
                        identities=[{"handle": "card", "identifier": "4000000000009"},
                                    {"handle": "app", "identifier": "app-jane"}])
    d = make_definition(world, max_redemptions=3, tags=["vip"], period=30,
                        discount={"percent_off": "10"},
                        claim_condition={">=": [{"var": "profile.age"}, 18]})
    b = issue(world, d, jane)
    rd = make_reward_definition(world, value="25.00", period=90)
    r = give_reward(world, rd, jane, "30.00")
    used = cl.benefits.redeem(world.associate, jane.id, b.id, receipt="R-1")
    drawn = cl.rewards.redeem_amount(world.associate, jane.id, "12.34")
    void = cl.rewards.void(world.manager, drawn.id)  # a reversal names what it voids
    sale = cl.purchases.record(world.associate, jane.id, {
        "receipt_ref": "10023", "total": "182.50", "eligible_spend": "150.00",
        "lines": [{"sku": "TEE-1", "quantity": 1, "unit_price": "182.50"}]})
    back = cl.purchases.record_return(world.associate, jane.id, sale.id,
                                      {"receipt_ref": "10023-R", "total": "20.00"})
    reaction = cl.reactions.create(world.admin, {
        "handle": "spend-100", "name": "Spend 100", "limit": "once_per_year",
        "trigger": {"type": "spend_milestone", "threshold": "100.00"},
        "condition": {"==": [{"var": "attributes.vip"}, True]},
        "effect": {"benefit_definition_id": d.id},
        "active_from": "2026-01-01T00:00:00+00:00", "enabled": False})
    made = {"reaction": [reaction.id], "purchase": [sale.id, back.id], "store": [other.id],
            "staff": [member.id], "profile": [jane.id],
            "benefit_definition": [d.id], "benefit": [b.id], "reward_definition": [rd.id],
            "reward": [r.id], "redemption": [used.id, drawn.id, void.id]}
    hub = Hub.over(cl)
    device = Device("token-1", "Till 1", store_id)  # a till: admins' PIN hashes withheld

    tills = [Clienteling.open(f"sqlite:///{folder / name}", clock=FixedClock(T0))
             for name in ("entries.db", "rows.db")]
    page = orjson.loads(snapshot(hub, device, None, PAGE))
    assert page["meta"]["has_more"] is False
    tills[0].remote.apply(page["data"], cursor=page["meta"]["cursor"])
    rows = orjson.loads(snapshot_rows_body(hub, device, None, PAGE))
    blocks = [Block(b["type"], b["columns"], b["rows"], b["child_columns"], b["child_rows"])
              for b in rows["data"]]
    tills[1].remote.apply(blocks, cursor=rows["meta"]["cursor"])
    yield Synced(hub, device, made, *tills)
    for each in (*tills, cl):
        each.close()


def _records(synced: Synced, kind: SyncedType) -> Iterator[Any]:
    """The records made of ``kind``, as ORM instances (read in one session)."""
    with context_of(synced.cl).reading() as s:
        for ident in synced.made[kind.name]:
            record = s.get(kind.model, ident)
            assert record is not None
            yield record


def _build(s: Any, kind: SyncedType, parsed: Parsed) -> Any:
    """A model instance from parsed column values, with what its renderer reads through
    relationships: its embedded record and its child rows."""
    record = kind.model(**parsed.row)
    if kind.embeds is not None:
        referred = BY_NAME[kind.embeds.type].model
        setattr(record, kind.embeds.attribute, s.get(referred, parsed.row[kind.embeds.key]))
    if kind.children is not None:
        setattr(record, kind.children.label,
                [kind.children.model(**child) for child in parsed.children])
    return record


@pytest.mark.parametrize("name", NAMES)
def test_wire_parses_back_to_the_same_wire_record(synced: Synced, name: str) -> None:
    kind, now = BY_NAME[name], synced.hub.now()
    with context_of(synced.cl).reading() as s:
        for record in _records(synced, kind):
            rendered = kind.render(record, now)
            parsed = parse(name, orjson.loads(orjson.dumps(rendered)))
            assert parsed.entity_type == name and parsed.row["id"] == record.id
            assert set(parsed.row) <= set(kind.columns), "a parser writes a till-only column"
            if kind.children is not None:
                assert parsed.children, f"the {name} made has {kind.children.label}"
                assert all(c[kind.children.parent_key] == record.id for c in parsed.children)
            assert kind.render(_build(s, kind, parsed), now) == rendered


@pytest.mark.parametrize("name", NAMES)
def test_both_snapshot_formats_carry_it(synced: Synced, name: str) -> None:
    kind, ctx = BY_NAME[name], context_of(synced.cl)
    expected = {r.id: kind.render(r, synced.hub.now()) for r in _records(synced, kind)}

    page = snapshot_records(ctx, None, PAGE)
    assert page.next is None and list(page.totals) == list(NAMES)
    got = {record.id: kind.render(record, synced.hub.now())
           for seen, record in page.rows if seen == name and record.id in expected}
    assert got == expected  # the Core rows render as the ORM records do

    rows = snapshot_rows(ctx, None, PAGE)
    [block] = [b for b in rows.blocks if b.type == name]
    assert block.columns == kind.columns and block.columns[0] == "id"
    assert set(expected) <= {row[0] for row in block.rows}
    if kind.children is not None:
        assert block.child_columns == kind.children.columns
        assert block.child_rows is not None
        at = block.child_columns.index(kind.children.parent_key)
        assert {row[at] for row in block.child_rows} >= set(expected)
    else:
        assert block.child_columns is None and block.child_rows is None


@pytest.mark.parametrize("name", NAMES)
def test_the_feed_carries_it_as_the_device_receives_it(synced: Synced, name: str) -> None:
    kind = BY_NAME[name]
    render = renderers(synced.hub.now(), synced.device)[name]
    expected = {r.id: render(r) for r in _records(synced, kind)}
    feed = feed_page(synced.hub, synced.device, 0, 1000)
    assert feed["meta"]["has_more"] is False
    latest = {e["id"]: e["data"] for e in feed["data"] if e["type"] == name}
    assert {i: latest.get(i) for i in expected} == expected


@pytest.mark.parametrize("name", NAMES)
def test_a_row_leaves_the_engine_as_its_frozen_record(synced: Synced, name: str) -> None:
    """Issue 15: what the hub renders itself (the feed's per-device records, the reference
    rendering of a feed page) is the registry's ``copy`` of the row — frozen, rendered
    exactly as the row — never the ORM object."""
    kind, now = BY_NAME[name], synced.hub.now()
    with context_of(synced.cl).reading():
        for record in _records(synced, kind):
            copied = kind.copy(record)
            assert dataclasses.is_dataclass(copied) and not isinstance(copied, Base)
            with pytest.raises(dataclasses.FrozenInstanceError):
                copied.id = "changed"
            assert kind.render(copied, now) == kind.render(record, now)
    items, _ = synced.cl.feed.page(0, 1000)
    changes, _ = synced.hub.listing.changes(0, 1000)
    handed = [i.record for i in items if i.entity_type == name] + [
        c.record for c in changes if c.entity_type == name]
    assert handed, f"no {name} record reached the hub"
    assert not any(isinstance(r, Base) for r in handed)


def test_the_stored_feed_is_byte_for_byte_the_rendered_one(synced: Synced) -> None:
    """Issue 19: entries rendered once and stored are the bytes every device got when each
    page was rendered afresh for it — for every synced type, from rows with no stored entry
    (written before the column existed, or not read yet) and from stored ones."""
    ctx = context_of(synced.cl)
    with ctx.db.write() as s:
        s.execute(update(ChangeLog).values(entry=None))
    # The feed of a process started now: this one keeps the items it has read in memory.
    del synced.cl.feed
    before = JSONResponse(rendered_page(synced.hub, synced.device, 0, 1000)).body
    page = orjson.loads(before)
    assert {e["type"] for e in page["data"]} == set(NAMES)
    filled = feed_body(synced.hub, synced.device, 0, 1000)
    with ctx.reading() as s:
        stored = {r.entity_type for r in s.scalars(select(ChangeLog)) if r.entry is not None}
    assert stored == set(NAMES) - {"staff"}  # staff: per device, never stored
    served = feed_body(synced.hub, synced.device, 0, 1000)
    assert filled == before and served == before
    for limit in (1, 7):  # pages of any size, cut anywhere
        after, parts = 0, []
        while True:
            body = feed_body(synced.hub, synced.device, after, limit)
            assert body == JSONResponse(rendered_page(synced.hub, synced.device, after,
                                                      limit)).body
            meta = orjson.loads(body)["meta"]
            parts.append(body)
            after = meta["next"]
            if not meta["has_more"]:
                break
        assert len(parts) > 2


@pytest.mark.parametrize("name", NAMES)
def test_remote_apply_gives_the_hubs_digest(synced: Synced, name: str) -> None:
    """Both tills got the snapshot through the remote door: per type, their digests are the
    hub's over what this device receives (staff PIN hashes withheld outside its scope)."""
    hub = DigestService(context_of(synced.cl), staff_scope=synced.device.may_act)
    wanted = hub.rows(name)
    mine = {i for _, i, _ in wanted}
    assert set(synced.made[name]) <= mine
    for till in (synced.entries, synced.rows):
        assert till.digest.rows(name) == wanted
        assert till.digest.summary()["types"][name] == hub.summary()["types"][name]


def test_every_door_keeps_the_digests_of_what_it_wrote(synced: Synced) -> None:
    """Issue 19: the hub's services, the feed's entries and a snapshot's rows-v2 blocks (whose
    fingerprints are computed from the stored form written, not read back) all leave kept
    digests equal to the recompute, for a record of every type and column kind."""
    for cl in (synced.cl, synced.entries, synced.rows):
        assert_kept(cl)


@pytest.mark.parametrize("name", NAMES)
def test_the_digest_covers_its_columns_and_children(synced: Synced, name: str) -> None:
    kind = BY_NAME[name]
    digest = DigestService(context_of(synced.cl))
    assert kind.till.names.isdisjoint(kind.digest_columns)
    before = {i: fp for _, i, fp in digest.rows(name)}
    assert set(synced.made[name]) <= set(before)
    drilled = digest.drill(name)
    assert drilled["count"] == len(before) and drilled["type"] == name
    if kind.children is not None:
        # A child row is part of its parent's fingerprint: dropping one changes it.
        parent = synced.made[name][0]
        table = kind.children.table
        with database_of(synced.rows).writer.begin() as conn:
            taken = conn.execute(select(table).where(
                table.c[kind.children.parent_key] == parent).limit(1)).one()
            conn.execute(table.delete().where(table.c.id == taken.id))
        try:
            after = {i: fp for _, i, fp in synced.rows.digest.rows(name)}
            assert after[parent] != before[parent]
        finally:
            with database_of(synced.rows).writer.begin() as conn:
                conn.execute(table.insert().values(**taken._mapping))
        assert synced.rows.digest.rows(name) == DigestService(
            context_of(synced.cl), staff_scope=synced.device.may_act).rows(name)


def test_every_journalled_type_is_registered(synced: Synced) -> None:
    """What the change log names (every synced change the services journal) is exactly the
    registry: a type the services write but the registry lacks would never reach a till."""
    with context_of(synced.cl).reading() as s:
        journalled = set(s.scalars(select(ChangeLog.entity_type).distinct()))
    assert journalled == set(NAMES)


def test_every_table_is_synced_a_declared_child_or_local() -> None:
    """A new model fails here until it is declared: synced (an entry), a child of one, or
    one of ``LOCAL_TABLES``."""
    synced = [e.table.name for e in ENTITIES]
    children = [e.children.table.name for e in ENTITIES if e.children is not None]
    declared = [*synced, *children, *LOCAL_TABLES]
    assert len(declared) == len(set(declared)), "a table is declared twice"
    assert set(Base.metadata.tables) == set(declared)


@pytest.mark.parametrize("name", NAMES)
def test_the_declaration_is_consistent(name: str) -> None:
    kind = BY_NAME[name]
    table = kind.table
    assert kind.name == name and table.c.id.primary_key
    # Dependency order: a row refers only to its own type's rows (declared) or earlier ones.
    earlier = {e.table.name for e in ENTITIES[:NAMES.index(name)]}
    for fk in table.foreign_keys:
        target = fk.column.table.name
        if target == table.name:
            assert kind.refers_to_own == fk.parent.name
        else:
            assert target in earlier, f"{name}.{fk.parent.name} refers forward to {target}"
    if kind.refers_to_own is not None:
        assert kind.refers_to_own in kind.columns
    # Till columns are real columns, and derive() fills exactly the derived ones.
    assert kind.till.names <= set(table.c.keys())
    if kind.till.derive is not None:
        sample = {c: ["Ann Lee" if c != "email" else "A@B.C"] for c in kind.columns}
        assert set(kind.till.derive(sample)) == set(kind.till.derived)
    else:
        assert not kind.till.derived
    assert set(kind.rules) <= set(kind.columns)
    if kind.embeds is not None:
        assert kind.embeds.key in kind.columns and kind.embeds.type in earlier_names(name)
    if kind.device_view is not None:
        assert {kind.device_view.column, *kind.device_view.scope} <= set(kind.columns)
    children = kind.children
    if children is not None:
        child = children.table
        assert {fk.column.table.name for fk in child.foreign_keys} == {table.name}
        assert children.parent_key in children.columns
        for group in (children.order, children.id_from, children.moves_by, tuple(children.rules)):
            assert set(group) <= set(children.columns)
    assert kind.areas and areas_of([name]) == kind.areas


def earlier_names(name: str) -> tuple[str, ...]:
    return NAMES[:NAMES.index(name)]
