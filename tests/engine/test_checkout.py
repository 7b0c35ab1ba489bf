"""SPEC §3.6: the counter checkout applies benefits, then reward dollars, then leaves payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clienteling.engine.errors import RuleRefused, ValidationError
from tests.conftest import World

D = Decimal


@pytest.fixture
def shop(world: World) -> dict[str, str]:
    cl, admin = world.cl, world.admin
    p = cl.profiles.create(world.associate, {"first_name": "Jane", "last_name": "Citizen"})
    ten = cl.definitions.create_benefit_definition(admin, {
        "name": "10% off full price", "handle": "ten", "period": 30, "max_redemptions": 1,
        "is_published": True, "category": "product_discount",
        "discount": {"percent_off": "10", "full_price_only": True}})
    denim = cl.definitions.create_benefit_definition(admin, {
        "name": "15% off denim", "handle": "denim", "period": 30, "max_redemptions": 1,
        "is_published": True, "category": "product_discount",
        "discount": {"percent_off": "15", "categories": ["denim"]}})
    coffee = cl.definitions.create_benefit_definition(admin, {
        "name": "Free coffee", "handle": "coffee", "period": 30, "max_redemptions": 1,
        "is_published": True, "category": "free_product", "discount": {"skus": ["COFFEE"]}})
    cs = cl.definitions.create_reward_definition(admin, {
        "name": "Customer service", "handle": "customer-service", "type": "customer-service",
        "period": 90})
    ids = {"profile": p.id}
    for name, d in (("ten", ten), ("denim", denim), ("coffee", coffee)):
        ids[name] = cl.benefits.issue(admin, {"benefit_definition_id": d.id, "profile_id": p.id}).id
    cl.rewards.issue(admin, {"profile_id": p.id, "reward_definition_id": cs.id,
                             "value_initial": "30.00", "reason": "late parcel"})
    return ids


BASKET = [
    {"sku": "JEAN-1", "category": "denim", "quantity": 1, "unit_price": "120.00"},
    {"sku": "TEE-2", "category": "tops", "quantity": 2, "unit_price": "24.95", "full_price": False},
    {"sku": "COFFEE", "category": "cafe", "quantity": 1, "unit_price": "4.50"},
    {"sku": "GIFT", "category": "gift_card", "quantity": 1, "unit_price": "50.00"},
]


def test_36_benefits_then_rewards_apportioned_to_the_cent(world: World, shop: dict[str, str]) -> None:
    preview = world.cl.checkout.preview(
        shop["profile"], BASKET, [shop["denim"], shop["ten"], shop["coffee"]], "20.00")
    jeans, tees, coffee, gift = preview.lines
    # denim 15% first (18.00), then 10% of what is left on full-price lines (10.20)
    assert jeans.benefit_discount == D("28.20")
    assert tees.benefit_discount == D("0.00")  # not full price
    assert coffee.benefit_discount == D("4.50")  # free product
    assert gift.benefit_discount == D("5.00")  # full-price gift card: 10% off applies
    # rewards: never on gift cards; in proportion to what is left (91.80 and 49.90)
    assert gift.reward_discount == D("0.00")
    assert coffee.reward_discount == D("0.00")
    assert jeans.reward_discount + tees.reward_discount == D("20.00")
    assert jeans.reward_discount == D("12.96") and tees.reward_discount == D("7.04")
    assert preview.subtotal == D("224.40")
    assert preview.payment_due == preview.subtotal - preview.benefit_total - D("20.00")
    assert sum(line.due for line in preview.lines) == preview.payment_due


def test_36_confirm_redeems_everything_as_one_unit(world: World, shop: dict[str, str]) -> None:
    cl = world.cl
    result = cl.checkout.confirm(world.associate, shop["profile"], BASKET,
                                 [shop["denim"], shop["coffee"]], "20.00", receipt="R-1001")
    assert len(result.redemptions) == 3
    assert cl.rewards.balance(shop["profile"]) == D("10.00")
    assert not cl.benefits.get(shop["denim"]).state.is_redeemable
    assert all(r.transaction_receipt_ref == "R-1001" for r in result.redemptions)


def test_36_a_failing_part_rolls_back_the_whole_checkout(world: World, shop: dict[str, str]) -> None:
    cl = world.cl
    cl.benefits.redeem(world.associate, shop["profile"], shop["coffee"])  # used up already
    with pytest.raises(RuleRefused) as refused:
        cl.checkout.confirm(world.associate, shop["profile"], BASKET,
                            [shop["denim"], shop["coffee"]], "20.00")
    assert refused.value.code == "exhausted"
    assert cl.benefits.get(shop["denim"]).state.is_redeemable
    assert cl.rewards.balance(shop["profile"]) == D("30.00")


def test_36_reward_dollars_limited_to_balance_and_eligible_items(world: World,
                                                                 shop: dict[str, str]) -> None:
    cl = world.cl
    with pytest.raises(RuleRefused) as over:
        cl.checkout.preview(shop["profile"], BASKET, [], "30.01")
    assert over.value.code == "over_balance"
    gift_only = [{"sku": "GIFT", "category": "gift_card", "quantity": 1, "unit_price": "50.00"}]
    with pytest.raises(ValidationError) as bad:
        cl.checkout.preview(shop["profile"], gift_only, [], "5.00")
    assert "reward_amount" in bad.value.errors


def test_36_bad_basket_lines_name_the_field(world: World, shop: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as bad:
        world.cl.checkout.preview(shop["profile"], [{"sku": "X", "quantity": 0, "unit_price": "1.001"}])
    assert set(bad.value.errors) == {"lines.0.quantity", "lines.0.unit_price"}
    with pytest.raises(ValidationError):
        world.cl.checkout.preview(shop["profile"], [])


def test_36_bad_reward_amount_is_a_validation_error_naming_the_field(world: World,
                                                                    shop: dict[str, str]) -> None:
    for bad in ("abc", "-5", "0.001", True):
        with pytest.raises(ValidationError) as err:
            world.cl.checkout.preview(shop["profile"], BASKET, [], bad)
        assert "reward_amount" in err.value.errors
