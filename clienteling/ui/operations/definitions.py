"""Benefit and reward definitions for the admin's editor, on the engine worker: the list, one
definition in its wire shape, and saving with the version it was based on (a change made
elsewhere meanwhile is refused as a version conflict, SPEC 6); and resolving such a conflict
the hub found at sync time, by taking its version or keeping this till's edit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clienteling.engine import timeframe, wire
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.sync.resolve import definition_versions, keep_hub, keep_mine


@dataclass(frozen=True)
class DefinitionRow:
    id: str
    name: str
    handle: str
    kind: str  # "benefit" | "reward"
    version: int
    published: bool
    archived: bool
    invalid: str | None = None  # a problem with a synced value (e.g. a bad timeframe)

    @property
    def state(self) -> str:
        if self.invalid:
            return "Invalid"
        if self.archived:
            return "Archived"
        return "Published" if self.published else "Draft"


def load_definitions(cl: Clienteling, kind: str) -> list[DefinitionRow]:
    if kind == "benefit":
        return [DefinitionRow(d.id, d.name, d.handle, kind, d.version, d.is_published, d.is_archived,
                              timeframe.problems(d.claim_timeframe) if d.claim_timeframe else None)
                for d in cl.definitions.benefit_definitions()]
    return [DefinitionRow(d.id, d.name, d.handle, kind, d.version, d.is_published, d.is_archived)
            for d in cl.definitions.reward_definitions()]


def load_definition(cl: Clienteling, kind: str, ident: str) -> dict[str, Any]:
    if kind == "benefit":
        return wire.benefit_definition(cl.definitions.benefit_definition(ident))
    return wire.reward_definition(cl.definitions.reward_definition(ident))


def save_definition(cl: Clienteling, actor: Actor, kind: str, ident: str | None,
                    data: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    d = cl.definitions
    if kind == "benefit":
        if ident is None:
            return wire.benefit_definition(d.create_benefit_definition(actor, data))
        return wire.benefit_definition(
            d.update_benefit_definition(actor, ident, data, expected_version=expected_version))
    if ident is None:
        return wire.reward_definition(d.create_reward_definition(actor, data))
    return wire.reward_definition(
        d.update_reward_definition(actor, ident, data, expected_version=expected_version))


def load_definition_conflict(cl: Clienteling, seq: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A refused definition edit (a version conflict): (this till's edit, the hub's version in
    its wire shape) — the till's copy already is the hub's, re-read when the hub refused."""
    mine, current = definition_versions(cl, seq)
    to_wire = wire.benefit_definition if cl.outbox.get(seq).entity_type == "benefit_definition" \
        else wire.reward_definition
    return mine, to_wire(current)


def take_theirs(cl: Clienteling, actor: Actor, seq: int) -> None:
    """The hub's version stands: dismiss the conflict (audited)."""
    keep_hub(cl, actor, seq)


def keep_mine_over_theirs(cl: Clienteling, actor: Actor, seq: int) -> dict[str, Any]:
    """Make this till's edit again on top of the hub's version (sent at the next sync, with
    the hub's version in If-Match) and dismiss the conflict, in one transaction."""
    kind = cl.outbox.get(seq).entity_type
    updated = keep_mine(cl, actor, seq)
    return (wire.benefit_definition if kind == "benefit_definition" else wire.reward_definition)(updated)
