"""Issue 7: the engine hands the desktop frozen records — the profile overview in one read
transaction, and a timeline of typed rows in words for every kind of event."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from clienteling.engine.models import Base
from clienteling.engine.records import EventKind, ProfileOverview, TimelineRow
from tests.conftest import World
from tests.engine.support import (
    give_reward,
    issue,
    make_claimable,
    make_definition,
    make_profile,
    make_reward_definition,
)
from tests.internals import database_of

MEL = "Australia/Melbourne"
D = Decimal


@dataclasses.dataclass
class Traffic:
    """Transactions begun and pool connections checked out, per engine."""

    begins: dict[str, int]
    checkouts: dict[str, int]


@pytest.fixture
def traffic(world: World) -> Iterator[Traffic]:
    seen = Traffic({"reader": 0, "writer": 0}, {"reader": 0, "writer": 0})
    hooks: list[tuple[Engine, str, Any]] = []
    for name, engine in (("reader", database_of(world.cl).reader), ("writer", database_of(world.cl).writer)):
        def begin(_conn: Any, name: str = name) -> None:
            seen.begins[name] += 1

        def checkout(*_args: Any, name: str = name) -> None:
            seen.checkouts[name] += 1

        event.listen(engine, "begin", begin)
        event.listen(engine.pool, "checkout", checkout)
        hooks += [(engine, "begin", begin), (engine.pool, "checkout", checkout)]  # type: ignore[list-item]
    yield seen
    for target, name, fn in hooks:
        event.remove(target, name, fn)


def _no_orm_inside(value: Any) -> None:
    """Walk a record graph; fail on any ORM instance (it could lazy-load on the GUI thread)."""
    assert not isinstance(value, Base), f"ORM object in a record: {value!r}"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _no_orm_inside(getattr(value, f.name))
    elif isinstance(value, tuple | list | frozenset | set):
        for item in value:
            _no_orm_inside(item)
    elif isinstance(value, dict):
        for item in value.values():
            _no_orm_inside(item)


def _customer(world: World) -> tuple[str, str, str]:
    p = make_profile(world, first_name="Jane", last_name="Citizen", gender="female", tier="gold",
                     email="jane@example.com", identities=[{"handle": "card",
                                                            "identifier": "4000000000001"}])
    lounge = make_definition(world, name="VIP Lounge", period=30, max_redemptions=3,
                             is_extendable=True)
    soon = make_definition(world, name="Free Coffee", period=3)
    b = issue(world, lounge, p)
    issue(world, soon, p)
    make_claimable(world, name="Birthday Gift", handle="birthday-gift")
    cs = make_reward_definition(world, name="Customer Service", period=5)
    give_reward(world, cs, p, "10.00")
    later = make_reward_definition(world, name="Goodwill", period=90)
    give_reward(world, later, p, "25.00")
    return p.id, b.id, lounge.id


def test_overview_reads_everything_in_one_read_transaction(world: World,
                                                           traffic: Traffic) -> None:
    pid, benefit_id, _ = _customer(world)
    traffic.begins.update(reader=0, writer=0)
    traffic.checkouts.update(reader=0, writer=0)

    view = world.cl.overview(pid, MEL)

    assert traffic.begins == {"reader": 1, "writer": 0}
    assert traffic.checkouts == {"reader": 1, "writer": 0}
    assert isinstance(view, ProfileOverview)
    assert (view.profile.name, view.profile.gender, view.profile.card) == (
        "Jane Citizen", "female", "4000000000001")
    assert view.profile.condition_data["tier"] == "gold"
    lounge = next(b for b in view.benefits if b.id == benefit_id)
    assert (lounge.name, lounge.left_text, lounge.status) == ("VIP Lounge", "3 of 3 left", "Ready")
    assert lounge.state.is_redeemable and lounge.redeemable
    assert [c.name for c in view.claim_options] == ["Birthday Gift"]
    assert view.claim_options[0].claimable
    assert view.balance == D("35.00")  # R3
    # Expiring soon, soonest first: the coffee (3 days), then the $10.00 reward (5 days).
    assert [(i.name, i.label) for i in view.expiring] == [("Free Coffee", "Free Coffee"),
                                                          ("Customer Service", "$10.00")]
    _no_orm_inside(view)
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.balance = D("0")  # type: ignore[misc]


def test_overview_balance_counts_only_live_rewards(world: World) -> None:
    pid, _, _ = _customer(world)
    world.clock.advance(days=6)  # the $10.00 customer-service reward has expired (R3)
    view = world.cl.overview(pid, MEL)
    assert view.balance == D("25.00")
    assert {r.name: r.status for r in view.rewards} == {"Customer Service": "Expired",
                                                        "Goodwill": "Available"}


def test_overview_of_an_unknown_profile_is_not_found(world: World) -> None:
    from clienteling.engine.errors import NotFound

    with pytest.raises(NotFound):
        world.cl.overview("no-such-profile")


def _by_kind(rows: tuple[TimelineRow, ...], kind: EventKind) -> list[TimelineRow]:
    return [r for r in rows if r.kind is kind]


def test_timeline_has_a_row_in_words_for_each_kind_of_event(world: World,
                                                            traffic: Traffic) -> None:
    cl = world.cl
    pid, lounge_id, _ = _customer(world)
    cl.profiles.update(world.associate, pid, {"email": "jane.c@example.com"})  # edit
    claimed = cl.benefits.claim(world.associate, pid, "birthday-gift", tz=MEL)  # claim
    redemption = cl.benefits.redeem(world.associate, pid, lounge_id)  # redeem
    spent = cl.rewards.redeem_amount(world.associate, pid, "5.00")  # reward dollars
    cl.rewards.void(world.manager, redemption.id)  # void
    cl.benefits.extend(world.manager, lounge_id, days=10)  # extend
    cl.benefits.expire(world.manager, claimed.id)  # expire
    doomed = issue(world, make_definition(world, name="Spare Voucher"), cl.profiles.get(pid))
    cl.benefits.delete(world.admin, doomed.id)  # delete
    sorry = make_reward_definition(world, name="Apology", period=30, is_extendable=True,
                                   extend_days=7)
    apology = cl.rewards.issue(world.associate.with_override(world.manager), {  # override
        "profile_id": pid, "reward_definition_id": sorry.id, "value_initial": "15.00",
        "reason": "damaged item"})
    cl.rewards.extend(world.manager, apology.id)  # reward extend
    traffic.begins.update(reader=0, writer=0)

    rows = cl.timeline(pid, MEL)

    assert traffic.begins == {"reader": 1, "writer": 0}  # one read transaction
    assert rows == tuple(sorted(rows, key=lambda r: r.at, reverse=True))  # newest first
    _no_orm_inside(rows)
    texts = {r.kind: [x.text for x in _by_kind(rows, r.kind)] for r in rows}
    assert texts[EventKind.PROFILE_CREATE] == ["Profile created"]
    assert texts[EventKind.EDIT] == ["Profile details changed"]
    assert set(texts[EventKind.ISSUE]) == {"Issued VIP Lounge", "Issued Free Coffee",
                                           "Issued Spare Voucher"}
    assert texts[EventKind.CLAIM] == ["Claimed Birthday Gift"]
    assert texts[EventKind.EXPIRE] == ["Expired Birthday Gift"]
    assert texts[EventKind.DELETE] == ["Deleted Spare Voucher"]
    # 30 local days from 2 Mar 2026 11:00 in Melbourne is 1 Apr; ten more is 11 Apr.
    assert texts[EventKind.EXTEND] == ["Extended VIP Lounge to 11 Apr 2026"]
    assert texts[EventKind.REWARD_EXTEND] == ["Extended Apology to 8 Apr 2026"]

    [redeemed] = _by_kind(rows, EventKind.REDEEM)
    assert redeemed.text == "Redeemed VIP Lounge · 2 left (voided)"
    assert (redeemed.redemption_id, redeemed.voided) == (redemption.id, True)
    assert redeemed.staff == "Ava" and redeemed.amount is None

    [void] = _by_kind(rows, EventKind.VOID)
    assert (void.text, void.staff, void.redemption_id) == ("Voided a redemption", "Max", None)

    [dollars] = _by_kind(rows, EventKind.REWARD_REDEEM)
    assert (dollars.text, dollars.amount, dollars.amount_text) == (
        "Redeemed reward dollars", D("5.00"), "$5.00")
    assert (dollars.redemption_id, dollars.voided) == (spent.id, False)

    issued = {r.text: r for r in _by_kind(rows, EventKind.REWARD_ISSUE)}
    override = issued["Issued Apology — damaged item"]
    assert (override.amount, override.overridden_by) == (D("15.00"), "Max")
    assert override.staff == "Ava (authorised by Max)"
    assert issued["Issued Customer Service — goodwill"].overridden_by is None
    assert issued["Issued Customer Service — goodwill"].staff == "Ada"


def test_timeline_marks_rows_still_waiting_for_the_hub(world: World) -> None:
    pid, lounge_id, _ = _customer(world)
    world.cl.benefits.redeem(world.associate, pid, lounge_id)
    rows = world.cl.timeline(pid, MEL)
    # A till with no hub yet: every change is still in the outbox (SPEC §6).
    assert rows and all(r.pending for r in rows if r.kind is not EventKind.OTHER)


def test_timeline_limit_keeps_the_newest(world: World) -> None:
    pid, lounge_id, _ = _customer(world)
    world.cl.benefits.redeem(world.associate, pid, lounge_id)
    [newest] = world.cl.timeline(pid, MEL, limit=1)
    assert newest.kind is EventKind.REDEEM


def test_overview_without_claims_leaves_them_out(world: World) -> None:
    pid, _, _ = _customer(world)
    full, lean = world.cl.overview(pid, MEL), world.cl.overview(pid, MEL, claims=False)
    assert full.claim_options and lean.claim_options == ()
    assert (lean.benefits, lean.rewards, lean.balance) == (full.benefits, full.rewards, full.balance)
