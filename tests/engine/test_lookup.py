"""The shared look-ups of engine/services/lookup.py and the row count of updates.py."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from clienteling.engine.errors import NotFound
from clienteling.engine.models import BenefitDefinition, Profile
from clienteling.engine.services.lookup import definition_by_ref, get_or_not_found
from clienteling.engine.services.updates import rowcount
from tests.conftest import World
from tests.engine.support import make_definition, make_profile
from tests.internals import context_of, database_of


def test_get_or_not_found_names_the_entity_and_the_key(world: World) -> None:
    p = make_profile(world)
    with context_of(world.cl).reading() as s:
        assert get_or_not_found(s, Profile, p.id, "profile").id == p.id
        with pytest.raises(NotFound) as info:
            get_or_not_found(s, Profile, "no-such-id", "customer")
    assert (info.value.entity, info.value.ident) == ("customer", "no-such-id")
    assert str(info.value) == "No customer with id no-such-id"


def test_definition_by_ref_takes_an_id_or_a_handle(world: World) -> None:
    d = make_definition(world, handle="birthday-treat")
    with context_of(world.cl).reading() as s:
        assert definition_by_ref(s, BenefitDefinition, d.id, "benefit definition").id == d.id
        assert definition_by_ref(s, BenefitDefinition, "birthday-treat", "benefit definition").id == d.id
        with pytest.raises(NotFound, match="No benefit definition with id birthday"):
            definition_by_ref(s, BenefitDefinition, "birthday", "benefit definition")


def test_rowcount_counts_the_rows_a_conditional_update_changed(world: World) -> None:
    p = make_profile(world, tier="gold")
    with database_of(world.cl).writer.connect() as conn, conn.begin():
        changed = conn.execute(update(Profile.__table__).where(Profile.id == p.id, Profile.tier == "gold")
                               .values(tier="silver"))
        assert rowcount(changed) == 1
        again = conn.execute(update(Profile.__table__).where(Profile.id == p.id, Profile.tier == "gold")
                             .values(tier="silver"))
        assert rowcount(again) == 0
        conn.rollback()
    with context_of(world.cl).reading() as s, pytest.raises(TypeError, match="UPDATE or DELETE"):
        rowcount(s.execute(select(Profile)))
