"""Helpers shared by the engine rule tests: factories that go through the services (the one
door into the domain) and table snapshots that prove "nothing changed"."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text

from clienteling.engine.errors import RuleRefused
from clienteling.engine.models import (
    AuditEvent,
    Base,
    Benefit,
    BenefitDefinition,
    OutboxEntry,
    Profile,
    Redemption,
    Reward,
    RewardDefinition,
)
from clienteling.engine.services import Clienteling
from tests.conftest import World
from tests.internals import context_of, database_of

D = Decimal
MEL = ZoneInfo("Australia/Melbourne")
_handles = itertools.count(1)

Snapshot = dict[str, list[tuple[Any, ...]]]


def snapshot(world: World) -> Snapshot:
    """Every row of every table of the schema, in a stable order."""
    out: Snapshot = {}
    with database_of(world.cl).reader.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(text(f'SELECT * FROM "{table.name}"')).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def mel(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Melbourne wall time: the store's zone in the rule tests."""
    return datetime(year, month, day, hour, minute, tzinfo=MEL)


def refused(world: World, code: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> RuleRefused:
    """Call, expect a RuleRefused with ``code``, and prove the database did not change (B3, C2)."""
    before = snapshot(world)
    with pytest.raises(RuleRefused) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value
    assert snapshot(world) == before
    return info.value


def counts(world: World) -> dict[str, int]:
    with database_of(world.cl).reader.connect() as conn:
        return {
            t.name: int(conn.execute(text(f'SELECT count(*) FROM "{t.name}"')).scalar() or 0)
            for t in Base.metadata.sorted_tables
        }


def sql(world: World, statement: str, **params: Any) -> None:
    """Raw SQL on the till's file, as a sync ingest or a tamperer would write it."""
    with database_of(world.cl).writer.begin() as conn:
        conn.execute(text(statement), params)


def count(world: World, model: Any, *where: Any) -> int:
    with context_of(world.cl).reading() as s:
        return len(list(s.scalars(select(model).where(*where))))


def benefit_row(world: World, benefit_id: str) -> Benefit | None:
    with context_of(world.cl).reading() as s:
        return s.get(Benefit, benefit_id)


def definition_row(world: World, ident: str) -> BenefitDefinition:
    return world.cl.definitions.benefit_definition(ident)


def reward_row(world: World, reward_id: str) -> Reward:
    with context_of(world.cl).reading() as s:
        found = s.get(Reward, reward_id)
        assert found is not None
        return found


def redemptions_of(world: World, item_id: str) -> list[Redemption]:
    with context_of(world.cl).reading() as s:
        return [r for r in s.scalars(select(Redemption)) if any(i.item_id == item_id for i in r.items)]


def audit_events(world: World) -> list[AuditEvent]:
    with context_of(world.cl).reading() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def outbox(world: World) -> list[OutboxEntry]:
    with context_of(world.cl).reading() as s:
        return list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))


def make_profile(world: World, **fields: Any) -> Profile:
    n = next(_handles)
    data = {"first_name": "Olivia", "last_name": f"Nguyen{n}", **fields}
    return world.cl.profiles.create(world.associate, data)


def make_definition(world: World, **fields: Any) -> BenefitDefinition:
    """A published, assignable benefit definition (admin), overridable field by field."""
    n = next(_handles)
    data = {"name": f"Benefit {n}", "handle": f"benefit-{n}", "is_published": True,
            "is_assignable": True, **fields}
    return world.cl.definitions.create_benefit_definition(world.admin, data)


def make_claimable(world: World, **fields: Any) -> BenefitDefinition:
    return make_definition(world, **{"is_claimable": True, **fields})


def issue(world: World, definition: BenefitDefinition, profile: Profile, **fields: Any) -> Benefit:
    data = {"benefit_definition_id": definition.id, "profile_id": profile.id, **fields}
    return world.cl.benefits.issue(world.manager, data)


def make_reward_definition(world: World, **fields: Any) -> RewardDefinition:
    n = next(_handles)
    data = {"name": f"Reward {n}", "handle": f"reward-{n}", "type": "customer-service", **fields}
    return world.cl.definitions.create_reward_definition(world.admin, data)


def give_reward(world: World, definition: RewardDefinition, profile: Profile, amount: Any,
                **fields: Any) -> Reward:
    data = {"profile_id": profile.id, "reward_definition_id": definition.id,
            "value_initial": amount, "reason": "goodwill", **fields}
    return world.cl.rewards.issue(world.admin, data)


T = TypeVar("T")


def statements_during(cl: Clienteling, call: Callable[[], T]) -> tuple[T, list[str]]:
    """``call()``'s result and the SQL statements it ran, in order."""
    seen: list[str] = []
    stop = cl.on_statement(seen.append)
    try:
        return call(), seen
    finally:
        stop()
