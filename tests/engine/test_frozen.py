"""Issue 15: the services hand out frozen records, not ORM rows, and a record renders on the
wire exactly as the row it copies."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from sqlalchemy import inspect

from clienteling.engine import frozen, wire
from clienteling.engine.models import (
    Base,
    Benefit,
    BenefitDefinition,
    Profile,
    Redemption,
    Reward,
    RewardDefinition,
    Staff,
    Store,
)
from clienteling.engine.services.listing import ListQuery
from tests.conftest import World
from tests.engine.support import make_definition, make_profile
from tests.internals import context_of


@pytest.mark.parametrize("record, model", list(frozen.COPIES.items()),
                         ids=[r.__name__ for r in frozen.COPIES])
def test_every_record_carries_every_column_of_its_model(record: type, model: type) -> None:
    columns = {c.key for c in inspect(model).column_attrs}
    names = {f.name for f in dataclasses.fields(record)}
    assert columns <= names, f"{record.__name__} lacks {sorted(columns - names)}"
    assert record.__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_the_services_return_frozen_records_that_render_as_their_rows(world: World) -> None:
    cl = world.cl
    jane = make_profile(world)
    definition = make_definition(world, name="Coffee", max_redemptions=3)
    assert isinstance(jane, frozen.ProfileRecord) and isinstance(definition,
                                                                 frozen.BenefitDefinitionRecord)
    benefit = cl.benefits.issue(world.manager, {"benefit_definition_id": definition.id,
                                                "profile_id": jane.id})
    reward = cl.rewards.issue(world.manager, {"profile_id": jane.id, "value_initial": "20.00",
                                              "reward_definition_handle": _reward_definition(world),
                                              "reason": "sorry"})
    redemption = cl.benefits.redeem(world.associate, jane.id, benefit.id)
    spent = cl.rewards.redeem_amount(world.associate, jane.id, "5.00")
    assert isinstance(benefit, frozen.BenefitRecord) and isinstance(reward, frozen.RewardRecord)
    assert isinstance(redemption, frozen.RedemptionTransaction)
    with pytest.raises(dataclasses.FrozenInstanceError):
        benefit.expires_at = None  # type: ignore[misc]
    now = cl.now()
    with context_of(cl).reading() as s:
        assert wire.profile(cl.profiles.get(jane.id)) == wire.profile(s.get_one(Profile, jane.id))
        row = s.get_one(Benefit, benefit.id)
        assert wire.benefit(cl.benefits.get(benefit.id).benefit, now) == wire.benefit(row, now)
        [held] = cl.rewards.for_profile(jane.id)
        assert wire.reward(held, now) == wire.reward(s.get_one(Reward, reward.id), now)
    assert wire.redemption(cl.rewards.redemption(spent.id)) == wire.redemption(spent)
    assert [i.value for i in spent.items] == [Decimal("5.00")]
    assert wire.redemption(cl.rewards.redemption(redemption.id)) == wire.redemption(redemption)


def _reward_definition(world: World) -> str:
    world.cl.definitions.create_reward_definition(world.admin, {
        "name": "Credit", "handle": "credit", "type": "customer-service", "value": "10.00"})
    return "credit"


def test_the_hubs_listings_hand_out_frozen_records_that_render_as_their_rows(world: World) -> None:
    """The hub's list endpoints read through ``ListingService``: every page is frozen records
    (the door stays shut to ORM objects there too), rendered exactly as the rows they copy."""
    cl = world.cl
    jane = make_profile(world)
    definition = make_definition(world, name="Coffee", max_redemptions=3)
    benefit = cl.benefits.issue(world.manager, {"benefit_definition_id": definition.id,
                                                "profile_id": jane.id})
    reward = cl.rewards.issue(world.manager, {"profile_id": jane.id, "value_initial": "20.00",
                                              "reward_definition_handle": _reward_definition(world),
                                              "reason": "sorry"})
    cl.benefits.redeem(world.associate, jane.id, benefit.id)
    listing, q, now = cl.listing, ListQuery(size=100), cl.now()
    pages = {
        (Profile, wire.profile): listing.profiles(q),
        (BenefitDefinition, wire.benefit_definition): listing.benefit_definitions(q),
        (RewardDefinition, wire.reward_definition): listing.reward_definitions(q),
        (Benefit, lambda b: wire.benefit(b, now)): listing.profile_benefits(jane.id, q),
        (Reward, lambda r: wire.reward(r, now)): listing.profile_rewards(jane.id, q),
        (Redemption, wire.redemption): listing.redemptions(q, profile_id=jane.id),
        (Staff, wire.staff): listing.staff(q),
        (Store, wire.store): listing.stores(q),
    }
    with context_of(cl).reading() as s:
        for (model, render), page in pages.items():
            assert page.items, model.__name__
            for item in page.items:
                assert dataclasses.is_dataclass(item) and not isinstance(item, Base), item
                assert render(item) == render(s.get_one(model, item.id)), model.__name__
        one = listing.reward(reward.id)
        assert isinstance(one, frozen.RewardRecord)
        assert wire.reward(one, now) == wire.reward(s.get_one(Reward, reward.id), now)
