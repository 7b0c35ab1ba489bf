"""SPEC 3.8 purchases (P1–P3) through ``cl.purchases`` and the counter checkout, on a real
till file: a purchase moves the profile's spend in its own transaction, a return names its
sale and returns no more than it, bad input names its field and saves nothing, and the same
receipt at the same store twice is one purchase."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from clienteling.engine.conditions import evaluate
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import Purchase
from clienteling.engine.records import EventKind
from tests.conftest import T0, World
from tests.engine.support import count, outbox

D = Decimal


@pytest.fixture
def jane(world: World) -> str:
    return world.cl.profiles.create(world.associate, {"first_name": "Jane",
                                                      "last_name": "Citizen"}).id


def _bad(world: World, call: Any, *args: Any) -> dict[str, list[str]]:
    before = (count(world, Purchase), len(outbox(world)))
    with pytest.raises(ValidationError) as error:
        call(*args)
    assert (count(world, Purchase), len(outbox(world))) == before  # nothing saved
    return error.value.errors


def test_p1_p3_a_sale_moves_spend_and_last_purchase_in_its_transaction(
        world: World, jane: str) -> None:
    cl = world.cl
    sale = cl.purchases.record(world.associate, jane, {
        "receipt_ref": "10023", "total": "182.50", "eligible_spend": "150.00"})
    assert (sale.total, sale.eligible_spend, sale.store_id) == (D("182.50"), D("150.00"),
                                                                world.store_id)
    assert sale.staff_id == world.associate.staff_id and sale.source == "counter"
    profile = cl.profiles.get(jane)
    assert profile.lifetime_spend == D("150.00") and profile.last_purchase_at == T0
    entry = outbox(world)[-1]
    assert (entry.method, entry.path) == ("POST", f"/profiles/{jane}/transactions")
    assert entry.body["receipt_ref"] == "10023" and entry.body["total"] == "182.50"
    assert [p.id for p in cl.purchases.for_profile(jane)] == [sale.id]


def test_p4_the_same_receipt_at_the_same_store_twice_is_one_purchase(
        world: World, jane: str) -> None:
    cl = world.cl
    first = cl.purchases.record(world.associate, jane, {"receipt_ref": "R-9", "total": "10.00"})
    again = cl.purchases.record(world.associate, jane, {"receipt_ref": "R-9", "total": "10.00"})
    assert again.id == first.id and count(world, Purchase) == 1
    assert cl.profiles.get(jane).lifetime_spend == D("10.00")


def test_p1_returns_name_their_sale_and_return_no_more_than_it(world: World, jane: str) -> None:
    cl = world.cl
    sale = cl.purchases.record(world.associate, jane, {"receipt_ref": "S-1", "total": "100.00"})
    part = cl.purchases.record_return(world.associate, jane, sale.id,
                                      {"receipt_ref": "S-1-R1", "total": "60.00"})
    assert part.total == D("-60.00") and part.returns_purchase_id == sale.id
    assert cl.profiles.get(jane).lifetime_spend == D("40.00")
    errors = _bad(world, cl.purchases.record_return, world.associate, jane, sale.id,
                  {"receipt_ref": "S-1-R2", "total": "40.01"})
    assert "total" in errors
    rest = cl.purchases.record_return(world.associate, jane, sale.id,
                                      {"receipt_ref": "S-1-R2", "total": "-40.00"})
    assert rest.total == D("-40.00")
    profile = cl.profiles.get(jane)
    assert profile.lifetime_spend == D("0.00")
    assert profile.last_purchase_at == T0  # a return is no purchase


@pytest.mark.parametrize(("data", "field"), [
    ({"receipt_ref": "B-1", "total": "-5.00"}, "total"),
    ({"receipt_ref": "B-1", "total": "50.00", "eligible_spend": "-1.00"}, "eligible_spend"),
    ({"receipt_ref": "B-1", "total": "10.005"}, "total"),
    ({"receipt_ref": "B-1", "total": "10.00", "eligible_spend": "10.01"}, "eligible_spend"),
    ({"receipt_ref": "", "total": "10.00"}, "receipt_ref"),
    ({"total": "10.00"}, "receipt_ref"),
    ({"receipt_ref": "B-1"}, "total"),
    ({"receipt_ref": "B-1", "total": "-5.00", "returns_purchase_id": "nope"},
     "returns_purchase_id"),
    ({"receipt_ref": "B-1", "total": "5.00", "lines": "socks"}, "lines"),
])
def test_s4_bad_input_names_the_field_and_saves_nothing(world: World, jane: str,
                                                        data: dict[str, Any], field: str) -> None:
    errors = _bad(world, world.cl.purchases.record, world.associate, jane, data)
    assert field in errors
    assert world.cl.profiles.get(jane).lifetime_spend == D("0.00")


def test_s4_an_unknown_profile_is_refused(world: World) -> None:
    errors = _bad(world, world.cl.purchases.record, world.associate, "no-such-profile",
                  {"receipt_ref": "X", "total": "1.00"})
    assert "profile_id" in errors


def test_s4_a_receipt_of_another_customer_is_refused(world: World, jane: str) -> None:
    cl = world.cl
    other = cl.profiles.create(world.associate, {"first_name": "Ann", "last_name": "Other"}).id
    cl.purchases.record(world.associate, jane, {"receipt_ref": "SAME", "total": "1.00"})
    errors = _bad(world, cl.purchases.record, world.associate, other,
                  {"receipt_ref": "SAME", "total": "1.00"})
    assert "receipt_ref" in errors


BASKET = [
    {"sku": "JEAN-1", "category": "denim", "quantity": 1, "unit_price": "120.00"},
    {"sku": "GIFT", "category": "gift_card", "quantity": 1, "unit_price": "50.00"},
]


def test_p2_checkout_records_its_purchase_with_its_redemptions(world: World, jane: str) -> None:
    cl, admin = world.cl, world.admin
    d = cl.definitions.create_benefit_definition(admin, {
        "name": "15% off denim", "handle": "denim", "period": 30, "max_redemptions": 1,
        "is_published": True, "category": "product_discount",
        "discount": {"percent_off": "15", "categories": ["denim"]}})
    b = cl.benefits.issue(admin, {"benefit_definition_id": d.id, "profile_id": jane})
    result = cl.checkout.confirm(world.associate, jane, BASKET, [b.id], receipt_ref="10023")
    purchase = result.purchase
    assert purchase is not None and purchase.receipt_ref == "10023"
    assert purchase.total == D("152.00")  # 170.00 less 18.00 off the jeans
    assert purchase.eligible_spend == D("102.00")  # the gift card earns nothing
    assert cl.profiles.get(jane).lifetime_spend == D("102.00")
    # One unit: the redemption's entry and the purchase's go to the hub together.
    entries = outbox(world)[-2:]
    assert len({e.unit_id for e in entries}) == 1
    assert [e.path for e in entries] == [f"/profiles/{jane}/benefits/{b.id}/redeem",
                                         f"/profiles/{jane}/transactions"]



def test_p2_checkout_without_a_receipt_still_records_and_old_calls_work(
        world: World, jane: str) -> None:
    cl = world.cl
    result = cl.checkout.confirm(world.associate, jane, BASKET, [], None, receipt="R-1")
    assert result.purchase is not None and result.purchase.receipt_ref == "R-1"
    plain = cl.checkout.confirm(world.associate, jane, BASKET)
    assert plain.purchase is not None and plain.purchase.receipt_ref == plain.purchase.id
    errors = _bad(world, lambda: cl.checkout.confirm(world.associate, jane, BASKET,
                                                     receipt_ref="R-1"))
    assert "receipt_ref" in errors
    assert cl.profiles.get(jane).lifetime_spend == D("240.00")


def test_history_says_purchase_and_return_in_words(world: World, jane: str) -> None:
    cl = world.cl
    sale = cl.purchases.record(world.associate, jane, {"receipt_ref": "10023", "total": "182.50"})
    cl.purchases.record_return(world.associate, jane, sale.id,
                               {"receipt_ref": "10023-R", "total": "20.00"})
    store = cl.purchases.store_names()[world.store_id]
    texts = [(r.kind, r.text, r.pending) for r in cl.timeline(jane, "Australia/Melbourne")
             if r.kind in (EventKind.PURCHASE, EventKind.RETURN)]
    # Both at the same instant here: their order between themselves is not the point.
    assert sorted(texts) == sorted([
        (EventKind.PURCHASE, f"Purchase $182.50 at {store}, receipt 10023", True),
        (EventKind.RETURN, f"Return $20.00 at {store}, receipt 10023-R (of receipt 10023)", True),
    ])
    # Each once: the audit events of the two are not listed again beside them.
    assert sum(r.entity_id in (sale.id,) for r in cl.timeline(jane)) == 1


def test_p3_conditions_read_spend_and_days(world: World, jane: str) -> None:
    cl = world.cl
    data = cl.overview(jane).profile.condition_data
    assert data["lifetime_spend"] == 0 and data["days_since_last_purchase"] is None
    assert data["days_since_joined"] == 0
    cl.purchases.record(world.associate, jane, {
        "receipt_ref": "C-1", "total": "600.00", "occurred_at": "2026-02-20T10:00:00+11:00"})
    data = cl.overview(jane).profile.condition_data
    assert data["lifetime_spend"] == 600
    assert data["days_since_last_purchase"] == 10  # 19 Feb 23:00 UTC to 2 Mar 00:00 UTC
    assert evaluate({">=": [{"var": "lifetime_spend"}, 500]}, data) is True
    assert evaluate({"<": [{"var": "days_since_last_purchase"}, 30]}, data) is True


@pytest.mark.parametrize(("change", "field"), [
    ({"eligible_spend": "-1.00"}, "eligible_spend"),  # a sale with a negative eligible spend
    ({"total": "-5.00", "eligible_spend": "-5.00"}, "total"),  # a return that names no purchase
    ({"total": "5.001"}, "total"),
    ({"receipt_ref": ""}, "receipt_ref"),
])
def test_s4_a_bad_synced_purchase_is_refused_naming_its_field(
        world: World, jane: str, change: dict[str, Any], field: str) -> None:
    """SPEC §4 from a synced entry: a purchase record arriving from the hub's feed or snapshot
    is read by ``entities.parse`` before anything is written; a bad one is refused naming the
    type and the field."""
    from clienteling.engine import entities, wire

    record = wire.purchase(world.cl.purchases.record(world.associate, jane, {
        "receipt_ref": "F-1", "total": "10.00"}))
    assert entities.parse("purchase", record).row["receipt_ref"] == "F-1"
    with pytest.raises(ValidationError) as error:
        entities.parse("purchase", {**record, **change})
    assert field in error.value.errors and "synced purchase" in str(error.value)
