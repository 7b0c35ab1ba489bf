"""The outbox read side (SPEC §5 "pending sync", §6 sync status): counts and pending records."""

from __future__ import annotations

from sqlalchemy import update

from clienteling.engine.models import OutboxEntry
from tests.conftest import World
from tests.engine.support import issue, make_definition, make_profile
from tests.internals import database_of


def test_counts_and_pending_ids_follow_the_outbox(world: World) -> None:
    cl = world.cl
    jane = make_profile(world, first_name="Jane")
    other = make_profile(world, first_name="Omar")
    d = make_definition(world, max_redemptions=3)
    benefit = issue(world, d, jane)
    redemption = cl.benefits.redeem(world.associate, jane.id, benefit.id)
    assert {benefit.id, redemption.id, jane.id} <= cl.outbox.pending_ids(jane.id)
    assert benefit.id not in cl.outbox.pending_ids(other.id)
    before = cl.outbox.counts()
    assert before.pending >= 4 and before.conflicts == 0

    with database_of(cl).write() as s:  # what the pusher will do: one done, one refused by the hub
        s.execute(update(OutboxEntry).where(OutboxEntry.entity_id == redemption.id)
                  .values(status="conflict", last_error="exhausted"))
        s.execute(update(OutboxEntry).where(OutboxEntry.entity_id == benefit.id).values(status="done"))
    after = cl.outbox.counts()
    assert (after.pending, after.conflicts) == (before.pending - 2, 1)
    assert [c.last_error for c in cl.outbox.conflicts()] == ["exhausted"]
    assert benefit.id not in cl.outbox.pending_ids(jane.id)
