"""Reports (SPEC §5, §3.7, issue 18): every number equals a brute-force reference computed from
the raw rows, for seeded random data sets; roles; bad input names its parameter."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from clienteling.engine.errors import PermissionDenied, ValidationError
from clienteling.engine.services import Clienteling
from clienteling.engine.services.reports import (
    ExpiringReport,
    LiabilityReport,
    ReactionsReport,
    RedemptionsReport,
)
from clienteling.engine.services.reports.tables import csv_cell, table, to_csv
from tests import reports_support as ref
from tests.conftest import World

MEL = "Australia/Melbourne"


def liability_numbers(report: LiabilityReport) -> dict[str, Any]:
    return {"cells": {(c.month, c.reward_type): c.amount for c in report.cells},
            "total": report.total,
            "benefits": {b.definition_id: (b.instances, b.uses, b.unlimited)
                         for b in report.benefits}}


def expiring_numbers(report: ExpiringReport) -> list[tuple[Any, ...]]:
    return [(c.profile_id, c.first_name, c.last_name, c.email, c.mobile_phone, c.reward_dollars,
              c.rewards, c.benefits, c.first_expiry, c.opted_out) for c in report.customers]


def redemption_numbers(report: RedemptionsReport) -> dict[str, dict[Any, tuple[Any, ...]]]:
    def t(f: Any) -> tuple[Any, ...]:
        return (f.benefit_uses, f.reward_dollars, f.voided_uses, f.voided_dollars)
    zero = (0, Decimal("0.00"), 0, Decimal("0.00"))
    return {
        # The reference has only buckets with something in them; the report has every bucket.
        "buckets": {b.start: t(b.figures) for b in report.buckets if t(b.figures) != zero},
        "staff": {s.staff_id: t(s.figures) for s in report.staff},
        "definitions": {(d.kind, d.definition_id): t(d.figures) for d in report.definitions},
        "total": {None: t(report.total)} if t(report.total) != zero else {},
    }


def check_all(cl: Clienteling, data: ref.Dataset, actor: Any, store_id: str | None,
              chain_zone: str, *, ask: bool = True) -> None:
    """Every report for one scope against the reference (``ask=False``: the actor's default
    scope, which must be ``store_id``)."""
    kwargs = {} if store_id is None or not ask else {"store_id": store_id}
    report = cl.reports.liability(actor, **kwargs)
    assert liability_numbers(report) == ref.liability(data, store_id, chain_zone)
    assert report.total == sum((c.amount for c in report.cells), Decimal("0.00"))
    for days in (7, 30, 365):
        got = cl.reports.expiring(actor, days=days, limit=5000, **kwargs)
        want = ref.expiring(data, store_id, chain_zone, days)
        assert expiring_numbers(got) == want
        assert got.total_customers == len(want)
        assert got.total_reward_dollars == sum((row[5] for row in want), Decimal("0.00"))
        capped = cl.reports.expiring(actor, days=days, limit=3, **kwargs)
        assert expiring_numbers(capped) == want[:3]
        assert capped.total_customers == len(want)
    today = data.now.date()
    for by, start, end in (("day", today - timedelta(days=40), today + timedelta(days=3)),
                           ("week", today - timedelta(days=50), today + timedelta(days=50)),
                           ("month", date(today.year - 1, 1, 1), today + timedelta(days=60))):
        got_r = cl.reports.redemptions(actor, start=start, end=end, by=by, **kwargs)
        assert redemption_numbers(got_r) == ref.redemptions(data, store_id, chain_zone, start,
                                                            end, by)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_reports_equal_the_brute_force_reference(world: World, seed: int) -> None:
    cl = world.cl
    other = cl.staff.create_store(None, {"name": "Copenhagen", "timezone": "Europe/Copenhagen"})
    stores = {world.store_id: MEL, other.id: "Europe/Copenhagen"}
    staff = {a.staff_id: a.display_name for a in (world.associate, world.manager, world.admin)}
    data = ref.make_dataset(cl, seed, stores, staff)
    # The admin's chain view reads dates in the admin's own store's zone.
    check_all(cl, data, world.admin, None, MEL)
    check_all(cl, data, world.admin, other.id, MEL)
    # A manager's default scope is their own store.
    check_all(cl, data, world.manager, world.store_id, MEL, ask=False)


def reaction_numbers(report: ReactionsReport) -> dict[str, tuple[Any, ...]]:
    return {x.handle: (x.name, x.issued, x.redeemed, x.expired_unused, x.reward_dollars)
            for x in report.reactions}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_reactions_report_equals_the_reference(world: World, seed: int) -> None:
    """Per reaction (RX5): issued, redeemed (net of voids), expired unused, reward dollars."""
    cl = world.cl
    other = cl.staff.create_store(None, {"name": "Copenhagen", "timezone": "Europe/Copenhagen"})
    data = ref.make_dataset(cl, seed, {world.store_id: MEL, other.id: "Europe/Copenhagen"}, {},
                            rewards=30, benefits=30, redemptions=10)
    ref.add_reaction_instances(cl, data, seed)
    for actor, store, asked in ((world.admin, None, None), (world.admin, other.id, other.id),
                                (world.manager, world.store_id, None)):
        report = cl.reports.reactions(actor, **({} if asked is None else {"store_id": asked}))
        want = ref.reactions(data, store)
        assert reaction_numbers(report) == want
        assert [x.name for x in report.reactions] == sorted(v[0] for v in want.values())
        assert (report.total.issued, report.total.reward_dollars) == (
            sum(v[1] for v in want.values()), sum((v[4] for v in want.values()), Decimal("0")))
    assert any(v[2] for v in want.values()) and any(v[3] for v in want.values())
    with pytest.raises(PermissionDenied):
        cl.reports.reactions(world.associate)


def test_csv_has_the_tables_columns_and_rows(world: World) -> None:
    cl = world.cl
    ref.make_dataset(cl, 7, {world.store_id: MEL}, {world.manager.staff_id: "Max"})
    for report in (cl.reports.liability(world.manager),
                   cl.reports.expiring(world.manager, days=30),
                   cl.reports.redemptions(world.manager, by="week"),
                   cl.reports.reactions(world.manager)):
        header, rows = table(report)
        parsed = list(csv.reader(io.StringIO(to_csv(report))))
        assert tuple(parsed[0]) == header
        assert [tuple(r) for r in parsed[1:]] == [tuple(map(csv_cell, r)) for r in rows]


@pytest.mark.parametrize(("cell", "written"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+61 400 000 001", "'+61 400 000 001"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("-5.00", "-5.00"), ("-12", "-12"), ("12.50", "12.50"),
    ("Ann", "Ann"), ("", ""), ("O'Brien", "O'Brien"),
])
def test_a_csv_cell_is_never_a_formula_and_a_number_stays_a_number(cell: str,
                                                                    written: str) -> None:
    assert csv_cell(cell) == written


def test_a_customer_named_like_a_formula_is_text_in_the_call_list(world: World) -> None:
    """CSV injection: names and contact details come from anyone who signs up."""
    from tests.engine.support import give_reward, make_profile, make_reward_definition

    rdef = make_reward_definition(world, period=10)
    for first, last, phone in (("=cmd|' /C calc'!A0", "@Evil", "+61 400 000 001"),
                               ("-1+1", "+Plain", None)):
        give_reward(world, rdef, make_profile(world, first_name=first, last_name=last,
                                              mobile_phone=phone), "10.00")
    report = world.cl.reports.expiring(world.manager, days=30)
    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert {(r["first_name"], r["last_name"], r["mobile_phone"][:1]) for r in rows} == {
        ("'=cmd|' /C calc'!A0", "'@Evil", "'"), ("'-1+1", "'+Plain", "")}
    assert {r["reward_dollars"] for r in rows} == {"10.00"}  # numbers as numbers


def test_the_liability_total_row_adds_up_to_the_cent(world: World) -> None:
    cl = world.cl
    ref.make_dataset(cl, 11, {world.store_id: MEL}, {})
    _, rows = table(cl.reports.liability(world.manager))
    rewards = [Decimal(r[5]) for r in rows if r[0] == "reward"]
    (total,) = [Decimal(r[5]) for r in rows if r[0] == "total"]
    assert sum(rewards, Decimal("0.00")) == total


def test_an_associate_sees_no_report(world: World) -> None:
    for call in (lambda: world.cl.reports.liability(world.associate),
                 lambda: world.cl.reports.expiring(world.associate, days=7),
                 lambda: world.cl.reports.redemptions(world.associate)):
        with pytest.raises(PermissionDenied):
            call()


def test_a_manager_sees_their_store_only(world: World) -> None:
    other = world.cl.staff.create_store(None, {"name": "Sydney", "timezone": "Australia/Sydney"})
    assert world.cl.reports.liability(world.manager).scope.store_id == world.store_id
    with pytest.raises(PermissionDenied):
        world.cl.reports.liability(world.manager, store_id=other.id)
    assert world.cl.reports.liability(world.admin).scope.store_id is None
    assert world.cl.reports.liability(world.admin, store_id=other.id).scope.timezone == \
        "Australia/Sydney"


@pytest.mark.parametrize(("call", "field"), [
    (lambda cl, a: cl.reports.expiring(a, days="0"), "days"),
    (lambda cl, a: cl.reports.expiring(a, days="-3"), "days"),
    (lambda cl, a: cl.reports.expiring(a, days="2.5"), "days"),
    (lambda cl, a: cl.reports.expiring(a, days="seven"), "days"),
    (lambda cl, a: cl.reports.expiring(a, days=0), "days"),
    (lambda cl, a: cl.reports.expiring(a, days=True), "days"),
    (lambda cl, a: cl.reports.expiring(a, days=7, limit="0"), "limit"),
    (lambda cl, a: cl.reports.redemptions(a, start="2026-03-10", end="2026-03-01"), "to"),
    (lambda cl, a: cl.reports.redemptions(a, start="10/03/2026"), "from"),
    (lambda cl, a: cl.reports.redemptions(a, end="2026-02-30"), "to"),
    (lambda cl, a: cl.reports.redemptions(a, by="year"), "by"),
    (lambda cl, a: cl.reports.redemptions(a, end="0001-01-05"), "to"),
    (lambda cl, a: cl.reports.redemptions(a, start="9999-12-31", end="9999-12-31"), "from"),
    (lambda cl, a: cl.reports.redemptions(a, start="2020-01-01", end="2026-01-01", by="day"), "by"),
    (lambda cl, a: cl.reports.liability(a, store_id="no-such-store"), "store_id"),
    (lambda cl, a: cl.reports.expiring(a, store_id=" "), "store_id"),
])
def test_bad_input_names_the_parameter(world: World, call: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        call(world.cl, world.admin)
    assert list(info.value.errors) == [field]


def test_redemption_buckets_follow_the_stores_calendar_across_dst(world: World) -> None:
    """Melbourne leaves daylight saving on 2026-04-05: the day buckets are local days, so a
    redemption at 23:30 local on the 5th is on the 5th, not the 6th (UTC+10 that night)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    cl = world.cl
    data = ref.make_dataset(cl, 13, {world.store_id: MEL}, {}, redemptions=0)
    late = datetime(2026, 4, 5, 23, 30, tzinfo=ZoneInfo(MEL)).astimezone(UTC)
    data.redemptions.append({"redeem_at": late})
    from clienteling.engine.models import Redemption, RedemptionItem, new_id
    from tests.internals import database_of

    rid = new_id()
    with database_of(cl).write() as s:
        s.add(Redemption(id=rid, profile_id=data.profiles[0]["id"], type="redeem",
                         total=Decimal("5.00"), location_id=world.store_id, redeem_at=late,
                         created_at=late, items=[RedemptionItem(id=new_id(), type="reward",
                                                                item_id=new_id(),
                                                                value=Decimal("5.00"))]))
        s.commit()
    report = cl.reports.redemptions(world.manager, start="2026-04-04", end="2026-04-06")
    assert [(b.start.isoformat(), b.figures.reward_dollars) for b in report.buckets] == [
        ("2026-04-04", Decimal("0.00")), ("2026-04-05", Decimal("5.00")),
        ("2026-04-06", Decimal("0.00"))]
