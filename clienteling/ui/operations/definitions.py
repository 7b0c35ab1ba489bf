"""Benefit and reward definitions for the admin's editor, on the engine worker: the list, one
definition in its wire shape, and saving with the version it was based on (a change made
elsewhere meanwhile is refused as a version conflict, SPEC 6)."""

from __future__ import annotations

from typing import Any

from clienteling.engine import timeframe, wire
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.ui.definitions.model import DefinitionRow


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
