"""What a committed change touched, as a notice to listeners (the desktop's panels, sync).

``Area`` names the parts of the screen a change can make stale. It is a ``StrEnum`` so code
that compares with the plain strings ("rewards" in changes.areas) keeps working. Services do
not name areas themselves: ``AREAS`` maps each entity type to the areas it feeds, so one
place decides what a change to a benefit or a redemption refreshes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Origin = Literal["local", "remote"]


class Area(StrEnum):
    STAFF = "staff"
    PROFILE = "profile"
    DEFINITIONS = "definitions"
    BENEFITS = "benefits"
    CLAIMABLE = "claimable"
    HISTORY = "history"
    REWARDS = "rewards"
    OUTBOX = "outbox"


AREAS: dict[str, frozenset[Area]] = {
    "store": frozenset({Area.STAFF}),
    "staff": frozenset({Area.STAFF}),
    "profile": frozenset({Area.PROFILE}),
    "identity": frozenset({Area.PROFILE}),
    "benefit_definition": frozenset({Area.DEFINITIONS}),
    "reward_definition": frozenset({Area.DEFINITIONS}),
    "benefit": frozenset({Area.BENEFITS, Area.CLAIMABLE}),
    "reward": frozenset({Area.REWARDS}),
    # A redemption draws on benefits or rewards and shows in the history; which of the two
    # it drew on is not worth a second map, an extra refresh costs one read.
    "redemption": frozenset({Area.BENEFITS, Area.REWARDS, Area.HISTORY, Area.CLAIMABLE}),
    "outbox": frozenset({Area.OUTBOX}),
}


def areas_of(entity_types: Iterable[str]) -> frozenset[Area]:
    """The areas a change to these entity types makes stale (unknown types feed none)."""
    out: set[Area] = set()
    for entity_type in entity_types:
        out |= AREAS.get(entity_type, frozenset())
    return frozenset(out)


@dataclass(frozen=True)
class Changes:
    """What a committed unit of work touched, so panels refresh only what changed.

    ``origin`` is "remote" for records applied from the hub's change feed, so a listener can
    tell a till's own work from what other tills did."""

    areas: frozenset[Area]
    profile_ids: frozenset[str]
    origin: Origin = "local"
