"""Reactions for the admin's editor, on the engine worker (SPEC 3.9): the list, one reaction in
its wire shape, saving with the version it was based on (a change made elsewhere meanwhile is a
version conflict, SPEC §6), the definitions an effect can name, and a dry run on this till's
own data (RX6) for when the hub cannot be asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.sync.resolve import definition_versions, keep_hub, keep_mine


@dataclass(frozen=True)
class ReactionRow:
    id: str
    name: str
    handle: str
    trigger: dict[str, Any]
    enabled: bool
    archived: bool
    version: int
    problem: str | None  # why it does not fire although switched on, in words


@dataclass(frozen=True)
class EffectChoice:
    """A definition a reaction can issue: a benefit, or a reward with a value."""

    kind: str  # "benefit" | "reward"
    id: str
    name: str
    archived: bool
    default_value: Decimal | None = None  # a reward definition's default amount
    max_value: Decimal | None = None


@dataclass(frozen=True)
class DryRun:
    """How many profiles a reaction would fire for now, with a sample of their names, and
    where that was counted: the hub's data, or only this till's copy."""

    count: int
    names: tuple[str, ...]
    as_of: datetime
    at_hub: bool
    note: str = ""  # why the hub was not asked, when it was not


def load_reactions(cl: Clienteling) -> list[ReactionRow]:
    return [ReactionRow(r.id, r.name, r.handle, dict(r.trigger), r.enabled, r.archived, r.version,
                        r.problem)
            for r in cl.reactions.list(include_archived=True)]


def load_reaction(cl: Clienteling, ident: str) -> dict[str, Any]:
    return reaction_values(cl.reactions.get(ident))


def reaction_values(record: Any) -> dict[str, Any]:
    """The record's wire body, with what the editor shows beside the fields."""
    return {**record.wire(), "problem": record.problem}


def save_reaction(cl: Clienteling, actor: Actor, ident: str | None, data: dict[str, Any],
                  expected_version: int | None) -> dict[str, Any]:
    if ident is None:
        return reaction_values(cl.reactions.create(actor, data))
    return reaction_values(cl.reactions.update(actor, ident, data,
                                               expected_version=expected_version))


def archive_reaction(cl: Clienteling, actor: Actor, ident: str,
                     expected_version: int | None) -> dict[str, Any]:
    """It never fires again; what it issued stays (SPEC 3.9)."""
    return reaction_values(cl.reactions.archive(actor, ident, expected_version=expected_version))


def load_effect_choices(cl: Clienteling) -> list[EffectChoice]:
    """Benefit definitions, then reward definitions, by name; archived ones too (a reaction
    may still name one, and says so)."""
    benefits = [EffectChoice("benefit", d.id, d.name, d.is_archived)
                for d in cl.definitions.benefit_definitions()]
    rewards = [EffectChoice("reward", d.id, d.name, d.is_archived, d.value, d.max_value)
               for d in cl.definitions.reward_definitions()]
    return sorted(benefits, key=lambda c: c.name.lower()) + sorted(rewards, key=lambda c: c.name.lower())


def dry_run_here(cl: Clienteling, actor: Actor, body: dict[str, Any], note: str) -> DryRun:
    """On this till's own copy of the customers: nothing is issued."""
    result = cl.reactions.dry_run(actor, body)
    return DryRun(result.count, tuple(name for _pid, name in result.sample), result.as_of,
                  at_hub=False, note=note)


# -- a reaction edit the hub refused at sync time (SPEC §6, conflict kind "reaction") ----------

def load_reaction_conflict(cl: Clienteling, seq: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(this till's refused edit, the hub's version as the editor shows it) — the till's copy
    already is the hub's, re-read when the hub refused."""
    mine, current = definition_versions(cl, seq)
    return mine, reaction_values(current)


def take_theirs(cl: Clienteling, actor: Actor, seq: int) -> None:
    """The hub's version stands: dismiss the conflict (audited)."""
    keep_hub(cl, actor, seq)


def keep_mine_over_theirs(cl: Clienteling, actor: Actor, seq: int) -> dict[str, Any]:
    """This till's edit again on top of the hub's version (sent at the next sync with the hub's
    version in If-Match), and the conflict dismissed, in one transaction."""
    return reaction_values(keep_mine(cl, actor, seq))
