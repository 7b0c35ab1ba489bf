"""What a committed change touched, as a notice to listeners (the desktop's panels, sync).

``Area`` (``engine.areas``) names the parts of the screen a change can make stale. Services do
not name areas themselves: each synced type declares the areas it feeds in the registry
(``engine.entities``, SPEC §6), so one place decides what a change to a benefit or a
redemption refreshes; ``areas_of`` reads them from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Literal

from clienteling.engine.areas import Area

__all__ = ["Area", "Changes", "Origin", "areas", "areas_of"]

Origin = Literal["local", "remote"]


# Entity types a unit of work records that are not synced, and the areas they feed.
_LOCAL_AREAS: dict[str, frozenset[Area]] = {"outbox": frozenset({Area.OUTBOX})}


@cache
def areas() -> Mapping[str, frozenset[Area]]:
    """Each entity type's areas: a synced type's (and its child rows') from the registry."""
    # Imported on first use, not with this module: the engine's context imports this module,
    # and the registry imports the models and renderers, which need not load with it.
    from clienteling.engine.entities import ENTITIES

    out = dict(_LOCAL_AREAS)
    for kind in ENTITIES:
        out[kind.name] = kind.areas
        if kind.children is not None:
            out[kind.children.entity_type] = kind.areas
    return MappingProxyType(out)


def areas_of(entity_types: Iterable[str]) -> frozenset[Area]:
    """The areas a change to these entity types makes stale (unknown types feed none)."""
    known = areas()
    out: set[Area] = set()
    for entity_type in entity_types:
        out |= known.get(entity_type, frozenset())
    return frozenset(out)


@dataclass(frozen=True)
class Changes:
    """What a committed unit of work touched, so panels refresh only what changed.

    ``origin`` is "remote" for records applied from the hub's change feed, so a listener can
    tell a till's own work from what other tills did."""

    areas: frozenset[Area]
    profile_ids: frozenset[str]
    origin: Origin = "local"
