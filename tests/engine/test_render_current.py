"""``Clienteling.render_current`` (the hub's ``GET /sync/records``, which a pusher calls for
every record of each batch it pushed): each id rendered from its current record, in the order
asked, None for an id with no record; read with a query per type and chunk of ids, so the
statements do not grow with the ids (issue 19: a query per id was a third of the hub's work
in a push)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from clienteling.engine import wire
from clienteling.engine.models import Profile, Redemption
from tests.conftest import World
from tests.engine.support import (
    give_reward,
    make_profile,
    make_reward_definition,
    statements_during,
)
from tests.internals import context_of

T = TypeVar("T")


def _selects(world: World, call: Callable[[], T]) -> tuple[T, int]:
    result, seen = statements_during(world.cl, call)
    return result, sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))


def test_records_are_rendered_in_the_order_asked_with_a_query_per_chunk(world: World) -> None:
    cl = world.cl
    rd = make_reward_definition(world)
    profiles = [make_profile(world, identities=[{"handle": "card",
                                                 "identifier": f"40000000{n:05d}"}])
                for n in range(40)]
    redemptions = []
    for p in profiles[:12]:
        give_reward(world, rd, p, "20.00")
        redemptions.append(cl.rewards.redeem_amount(world.associate, p.id, Decimal("3.10")).id)

    with context_of(cl).reading() as s:  # the reference: each record read on its own
        expected = {i: wire.profile(s.get(Profile, i)) for i in (p.id for p in profiles)}
        expected_redemptions = {i: wire.redemption(s.get(Redemption, i)) for i in redemptions}

    few = [profiles[3].id, "no-such-id", profiles[0].id]
    got, few_selects = _selects(world, lambda: cl.render_current(Profile, few, wire.profile))
    assert got == [(few[0], expected[few[0]]), ("no-such-id", None), (few[2], expected[few[2]])]
    many = [p.id for p in reversed(profiles)]
    got, many_selects = _selects(world, lambda: cl.render_current(Profile, many, wire.profile))
    assert got == [(i, expected[i]) for i in many]
    assert many_selects == few_selects, (few_selects, many_selects)

    got, _ = _selects(world, lambda: cl.render_current(Redemption, redemptions, wire.redemption))
    assert got == [(i, expected_redemptions[i]) for i in redemptions]
