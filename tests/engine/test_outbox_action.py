"""Each outbox entry stores what it does, as its unit of work recorded it (issue 15): the
audit action of its record, or for a unit sent as one call its records' actions joined."""

from __future__ import annotations

from clienteling.engine.models import AuditEvent
from tests.conftest import World
from tests.engine.support import issue, make_claimable, make_definition, make_profile
from tests.internals import context_of


def test_entries_carry_their_audit_action(world: World) -> None:
    cl = world.cl
    profile = make_profile(world)
    definition = make_definition(world, max_redemptions=2)
    benefit = issue(world, definition, profile)
    cl.benefits.redeem(world.associate, profile.id, benefit.id)
    claimable = make_claimable(world)
    cl.benefits.claim_and_redeem(world.associate, profile.id, claimable.handle)
    entries = cl.outbox.pending()
    assert [e.action for e in entries] == [
        "profile.create", "benefit_definition.create", "benefit.issue", "benefit.redeem",
        "benefit_definition.create", "benefit.claim+benefit.redeem"]
    with context_of(cl).reading() as s:
        audited = {(a.entity_type, a.entity_id): a.action for a in s.query(AuditEvent)}
    for entry in entries[:-1]:
        assert audited[(entry.entity_type, entry.entity_id)] == entry.action
    assert cl.outbox.get(entries[3].seq).action == "benefit.redeem"
