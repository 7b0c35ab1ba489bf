"""The profile panel's claimable list with the definitions' terms cached per version (SPEC
§3.3 C1, §3.2 V1, §3.4; the open-profile target of §8, issue 10).

Every check compares what the warm reader (whose cache has seen the earlier state) shows with
what a fresh reader on the same file shows, and with the reason each definition was built to
have: after engine edits, counter moves that bump no version, the clock moving, and records
arriving through the remote door, from this process or another one.
"""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest

from clienteling.engine import rules, timeframe, wire
from clienteling.engine.clock import FixedClock
from clienteling.engine.frozen import BenefitDefinitionRecord
from clienteling.engine.models import BenefitDefinition, Profile
from clienteling.engine.services import Clienteling
from tests.conftest import World
from tests.engine.support import issue, make_claimable, make_profile, mel, sql

TZ = "Australia/Melbourne"
TUESDAY_WINDOW = {"timezone": TZ,
                  "timeframe": {"custom": {"Tuesday": [{"start": "10:00", "end": "14:00"}]}}}
OK = "claimable"

Shown = list[tuple[str, bool, str | None, str | None]]


def shown(cl: Clienteling, profile: Profile) -> Shown:
    """The claim rows the profile panel gets, in its order."""
    return [(c.name, c.claimable, c.code, c.message)
            for c in cl.overview(profile.id, TZ).claim_options]


def fresh(world: World, profile: Profile) -> Shown:
    """The same list from a reader that has cached nothing."""
    with Clienteling.open(world.url, clock=world.clock) as cold:
        return shown(cold, profile)


def reasons(rows: Shown) -> dict[str, str]:
    return {name: OK if claimable else str(code) for name, claimable, code, _ in rows}


def same_as_fresh(world: World, profile: Profile) -> dict[str, str]:
    """The warm list, after proving a cold reader shows exactly the same rows."""
    warm = shown(world.cl, profile)
    assert warm == fresh(world, profile)
    return reasons(warm)


def named(world: World, name: str, **fields: Any) -> BenefitDefinition:
    return make_claimable(world, name=name, **fields)


def redeem_one(world: World, d: BenefitDefinition, profile: Profile) -> None:
    b = issue(world, d, profile)
    world.cl.benefits.redeem(world.associate, profile.id, b.id)


@pytest.fixture
def every_reason(world: World) -> tuple[Profile, dict[str, BenefitDefinition]]:
    """A silver customer and a definition for each reason C1 and V1 give (T0 is a Monday,
    11:00 in Melbourne)."""
    me = make_profile(world, tier="silver", gender="female")
    other = make_profile(world, tier="gold")
    now = world.clock.now()
    ds = {
        "ok": named(world, "A ok"),
        "unassignable": named(world, "B unassignable", is_assignable=False),
        "ending": named(world, "C ending", end_at=(now + timedelta(hours=1)).isoformat()),
        "gold only": named(world, "D gold only", claim_condition={"rule": "tier", "value": "gold"}),
        "not started": named(world, "E not started",
                             claim_period_start_at=(now + timedelta(days=2)).isoformat()),
        "period over": named(world, "F period over",
                             claim_period_end_at=(now - timedelta(days=1)).isoformat()),
        "tuesdays": named(world, "G tuesdays", claim_timeframe=TUESDAY_WINDOW),
        "bad block": named(world, "H bad block"),
        "allocated": named(world, "I allocated", total_allocations=1),
        "used up": named(world, "J used up", max_redemptions=1, is_reclaimable=True),
        "held": named(world, "K held", period=30),
        "holds usable": named(world, "L holds usable", period=30, is_reclaimable=True),
        "hidden": named(world, "M hidden", visibility_condition={"rule": "tier", "value": "gold"}),
        "capped": named(world, "N capped", max_global_redemptions=1),
        "issue only": make_claimable(world, name="O issue only", is_claimable=False),
        "archived": named(world, "P archived", is_archived=True),
        "draft": named(world, "Q draft", is_published=False),
    }
    # T2/T6 as a synced record can carry it: stored as received, version moved on.
    sql(world, "UPDATE benefit_definitions SET claim_timeframe = :b, version = version + 1 "
        "WHERE id = :id", b='{"timezone": "Australia/Melbourne"}', id=ds["bad block"].id)
    world.clock.advance(hours=2)  # C has ended
    issue(world, ds["allocated"], other)
    redeem_one(world, ds["used up"], me)
    issue(world, ds["held"], me)
    issue(world, ds["holds usable"], me)
    redeem_one(world, ds["capped"], other)
    return me, ds


BUILT = {
    "A ok": OK,
    "B unassignable": rules.NOT_CLAIMABLE,
    "C ending": rules.WINDOW_CLOSED,
    "D gold only": rules.CONDITION_FAILED,
    "E not started": rules.OUTSIDE_CLAIM_PERIOD,
    "F period over": rules.OUTSIDE_CLAIM_PERIOD,
    "G tuesdays": rules.OUTSIDE_TIMEFRAME,
    "H bad block": rules.OUTSIDE_TIMEFRAME,
    "I allocated": rules.ALLOCATIONS_EXHAUSTED,
    "J used up": rules.MAX_REDEMPTIONS_REACHED,
    "K held": rules.ALREADY_CLAIMED,
    "L holds usable": rules.ALREADY_CLAIMED,
}  # M (V1), N (global cap, V1), O, P, Q are not listed


def test_every_reason_is_shown_as_a_fresh_read_shows_it(
        world: World, every_reason: tuple[Profile, dict[str, BenefitDefinition]]) -> None:
    me, _ = every_reason
    rows = shown(world.cl, me)
    assert reasons(rows) == BUILT
    assert [name for name, *_ in rows] == ["A ok", *sorted(set(BUILT) - {"A ok"})]
    messages = {name: message for name, _, _, message in rows}
    assert messages["D gold only"] == "Gold members only"
    assert messages["E not started"] == "Claim period starts 4 Mar 2026 11:00"
    assert messages["G tuesdays"] == "Only Tue 10:00–14:00 Australia/Melbourne time"
    assert messages["H bad block"] == ("Claim timeframe is invalid (timeframe is required "
                                       "('repeat' or 'custom'))")
    assert messages["L holds usable"] == "This customer still holds a usable one"
    # Opened again with everything cached: the same rows, and as a cold reader has them.
    assert shown(world.cl, me) == rows == fresh(world, me)


def test_engine_edits_counters_and_the_clock_are_noticed(
        world: World, every_reason: tuple[Profile, dict[str, BenefitDefinition]]) -> None:
    me, ds = every_reason
    cl = world.cl
    assert same_as_fresh(world, me) == BUILT

    update = cl.definitions.update_benefit_definition
    update(world.admin, ds["gold only"].id, {"claim_condition": {"rule": "tier", "value": "silver"}})
    assert same_as_fresh(world, me) == {**BUILT, "D gold only": OK}  # nothing added or removed
    update(world.admin, ds["ok"].id, {"is_archived": True})
    update(world.admin, ds["hidden"].id, {"visibility_condition": None})
    update(world.admin, ds["unassignable"].id, {"name": "B renamed", "is_assignable": True})
    update(world.admin, ds["bad block"].id, {"claim_timeframe": TUESDAY_WINDOW})
    named(world, "R new")
    expected = {**BUILT, "D gold only": OK, "M hidden": OK, "B renamed": OK, "R new": OK,
                "H bad block": rules.OUTSIDE_TIMEFRAME}
    del expected["A ok"], expected["B unassignable"]
    assert same_as_fresh(world, me) == expected
    assert dict((n, m) for n, _, _, m in shown(cl, me))["H bad block"] == (
        "Only Tue 10:00–14:00 Australia/Melbourne time")

    # Counters move with no version bump: a second customer's claim and redeem.
    capped_two = named(world, "S capped at two", max_global_redemptions=2)
    allocated_two = named(world, "T two to give", total_allocations=2)
    someone = make_profile(world)
    redeem_one(world, capped_two, someone)
    issue(world, allocated_two, someone)
    assert same_as_fresh(world, me) == {**expected, "S capped at two": OK, "T two to give": OK}
    redeem_one(world, capped_two, make_profile(world))
    issue(world, allocated_two, make_profile(world))
    expected = {**expected, "T two to give": rules.ALLOCATIONS_EXHAUSTED}
    assert same_as_fresh(world, me) == expected  # S is hidden: its global cap is reached

    # Tuesday 11:00 in Melbourne: the windows are open now, with nothing edited.
    world.clock.set(mel(2026, 3, 3, 11, 0))
    now_open = {**expected, "G tuesdays": OK, "H bad block": OK}
    assert same_as_fresh(world, me) == now_open
    world.clock.set(mel(2026, 3, 3, 14, 0))  # end is exclusive (T5)
    assert same_as_fresh(world, me) == expected


def _record(d: BenefitDefinition, **changes: Any) -> dict[str, Any]:
    return {"type": "benefit_definition", "id": changes.get("id", d.id), "op": "upsert",
            "data": {**wire.benefit_definition(d), **changes}}


def test_definitions_arriving_through_sync_are_noticed(world: World) -> None:
    """Records from the hub's feed, applied here, by another process's sync (whose change
    notice this reader never hears), and with the version the till already had."""
    cl = world.cl
    me = make_profile(world, tier="silver")
    template = named(world, "template")
    cl.definitions.archive_benefit_definition(world.admin, template.id)
    template = cl.definitions.benefit_definition(template.id)
    ids = [str(uuid.uuid4()) for _ in range(3)]
    cl.remote.apply([_record(template, id=i, handle=f"remote-{n}", name=f"Remote {n}",
                             is_archived=False, version=1) for n, i in enumerate(ids)])
    assert same_as_fresh(world, me) == {"Remote 0": OK, "Remote 1": OK, "Remote 2": OK}
    first, second, third = (cl.definitions.benefit_definition(i) for i in ids)

    cl.remote.apply([_record(first, version=2, claim_condition={"rule": "tier", "value": "gold"})])
    assert same_as_fresh(world, me) == {"Remote 0": rules.CONDITION_FAILED, "Remote 1": OK,
                                        "Remote 2": OK}

    with Clienteling.open(world.url, clock=world.clock) as other_process:
        other_process.remote.apply([
            _record(second, version=2, claim_timeframe=TUESDAY_WINDOW),
            {"type": "benefit_definition", "id": third.id, "op": "delete"},
        ])
    assert same_as_fresh(world, me) == {"Remote 0": rules.CONDITION_FAILED,
                                        "Remote 1": rules.OUTSIDE_TIMEFRAME}

    # The hub's answer to a till's edit can carry the version number the till already had.
    second = cl.definitions.benefit_definition(second.id)
    with Clienteling.open(world.url, clock=world.clock) as other_process:
        other_process.remote.apply([_record(second, claim_timeframe=None,
                                            updated_at="2026-03-02T00:30:00+00:00")])
    assert same_as_fresh(world, me) == {"Remote 0": rules.CONDITION_FAILED, "Remote 1": OK}



def test_a_timeframe_is_parsed_once_per_definition_version(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    me = make_profile(world)
    d = named(world, "tuesdays", claim_timeframe=TUESDAY_WINDOW)
    named(world, "also tuesdays", claim_timeframe=TUESDAY_WINDOW)
    named(world, "any time")
    parsed: list[object] = []
    real = timeframe._parse

    def counting(block: object) -> Any:
        parsed.append(block)
        return real(block)

    monkeypatch.setattr(timeframe, "_parse", counting)
    for _ in range(3):
        assert reasons(shown(world.cl, me)) == {"tuesdays": rules.OUTSIDE_TIMEFRAME,
                                                "also tuesdays": rules.OUTSIDE_TIMEFRAME,
                                                "any time": OK}
    assert len(parsed) == 2
    world.cl.definitions.update_benefit_definition(world.admin, d.id, {"claim_timeframe": {
        "timezone": TZ, "timeframe": {"repeat": [{"start": "00:00", "end": "24:00"}]}}})
    parsed.clear()  # the edit validated its block; only the list's parsing counts now
    assert reasons(shown(world.cl, me))["tuesdays"] == OK
    assert reasons(shown(world.cl, me))["tuesdays"] == OK
    assert len(parsed) == 1


def test_two_databases_in_one_process_keep_their_own_terms(world: World, tmp_path: Any) -> None:
    """The same definition id and version in two files, with different conditions."""
    me = make_profile(world, tier="silver")
    d = named(world, "same id", claim_condition={"rule": "tier", "value": "silver"})
    record = wire.benefit_definition(world.cl.definitions.benefit_definition(d.id))
    me_record = {"type": "profile", "id": me.id, "op": "upsert", "data": {
        **wire.profile(world.cl.profiles.get(me.id)), "home_store_id": None, "identities": []}}
    with Clienteling.open(f"sqlite:///{tmp_path / 'second.db'}", clock=world.clock) as second:
        second.remote.apply([me_record, {"type": "benefit_definition", "id": d.id, "op": "upsert",
                                         "data": {**record, "claim_condition": {
                                             "rule": "tier", "value": "gold"}}}])
        for _ in range(2):
            assert reasons(shown(world.cl, me)) == {"same id": OK}
            assert reasons(shown(second, me)) == {"same id": rules.CONDITION_FAILED}


def test_readers_on_several_threads_see_what_one_reader_sees(
        world: World, every_reason: tuple[Profile, dict[str, BenefitDefinition]]) -> None:
    me, ds = every_reason
    world.cl.definitions.update_benefit_definition(world.admin, ds["ok"].id, {"name": "A again"})
    expected = fresh(world, me)
    results: list[Shown] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def open_profile() -> None:
        try:
            start.wait()
            for _ in range(5):
                results.append(shown(world.cl, me))
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=open_profile) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(results) == 20 and all(r == expected for r in results)


def test_the_hub_and_claim_still_get_whole_definitions(
        world: World, every_reason: tuple[Profile, dict[str, BenefitDefinition]]) -> None:
    """claim_options (the hub's /claimable) hands whole definitions on (frozen records of every
    column, issue 15), with the same reasons;
    visible (V1) lists the visible ones by name."""
    me, ds = every_reason
    options = world.cl.benefits.claim_options(me.id, TZ)
    assert {o.definition.name: OK if o.claimable else o.code for o in options} == BUILT
    assert all(isinstance(o.definition, BenefitDefinitionRecord) for o in options)
    visible = [d.name for d in world.cl.benefits.visible(me.id)]
    assert visible == sorted(visible)
    assert set(visible) == set(BUILT) | {"O issue only"}
    with pytest.raises(Exception) as refused:
        world.cl.benefits.claim(world.associate, me.id, ds["tuesdays"].handle, tz=TZ)
    assert getattr(refused.value, "code", None) == rules.OUTSIDE_TIMEFRAME
    world.clock.set(mel(2026, 3, 3, 11, 0))
    assert world.cl.benefits.claim(world.associate, me.id, ds["tuesdays"].handle, tz=TZ)


def test_a_fixed_clock_far_from_now_still_decides(world: World) -> None:
    """Only "now" from the injected clock decides an open window, whatever the cache holds."""
    me = make_profile(world)
    named(world, "tuesdays", claim_timeframe=TUESDAY_WINDOW)
    clock = FixedClock(mel(2030, 1, 1, 11, 0))  # a Tuesday
    with Clienteling.open(world.url, clock=clock) as other:
        assert reasons(shown(other, me)) == {"tuesdays": OK}
        clock.advance(days=1)
        assert reasons(shown(other, me)) == {"tuesdays": rules.OUTSIDE_TIMEFRAME}


@pytest.mark.postgres
def test_on_postgresql_the_stamps_notice_changes_too() -> None:
    """The stamps read ``updated_at`` as the driver gives it (a datetime on PostgreSQL, the
    stored text on SQLite): a change is noticed on both."""
    from tests.hub.conftest import fresh_pg_database

    clock = FixedClock(mel(2026, 3, 2, 11, 0))  # a Monday
    with fresh_pg_database() as url, Clienteling.open(url, clock=clock) as cl:
        store = cl.staff.create_store(None, {"name": "S", "timezone": TZ})
        admin = cl.staff.actor(cl.staff.create_staff(None, {
            "username": "pgadmin", "display_name": "Pg", "role": "admin", "store_id": store.id,
            "pin": "905238"}).id)
        me = cl.profiles.create(admin, {"first_name": "Pg", "last_name": "Me", "tier": "silver"})
        template = cl.definitions.create_benefit_definition(admin, {
            "name": "template", "handle": "template", "is_published": False})
        record = {**wire.benefit_definition(template), "id": str(uuid.uuid4()), "name": "synced",
                  "handle": "synced", "is_published": True, "is_claimable": True}
        cl.remote.apply([{"type": "benefit_definition", "id": record["id"], "op": "upsert",
                          "data": record}])
        assert reasons(shown(cl, me)) == {"synced": OK}
        with Clienteling.open(url, clock=clock) as other_process:
            other_process.remote.apply([{
                "type": "benefit_definition", "id": record["id"], "op": "upsert",
                "data": {**record, "claim_timeframe": TUESDAY_WINDOW,
                         "updated_at": "2026-03-02T00:30:00+00:00"}}])  # the same version
        assert reasons(shown(cl, me)) == {"synced": rules.OUTSIDE_TIMEFRAME}
        cl.definitions.update_benefit_definition(admin, record["id"], {"claim_timeframe": None})
        assert reasons(shown(cl, me)) == {"synced": OK}
        with Clienteling.open(url, clock=clock) as cold:
            assert shown(cold, me) == shown(cl, me)
