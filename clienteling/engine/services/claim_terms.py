"""What C1 and V1 need of each benefit definition, read cheaply when a profile opens (SPEC §3.3,
§8).

Opening a profile lists every visible claimable definition with why it cannot be claimed now
(C1). Loading all of them as ORM objects with their JSON columns, compiling their conditions
and parsing their claim timeframes on every open cost most of the open (25 ms at SPEC §8
size, against a target of 15 ms). Most of that depends only on the definition's stored
values, so :class:`ClaimTermsCache` keeps it as :class:`ClaimTerms`, one per definition
version, and each open reads only ids, stamps and counters.

A definition's stamp is its ``version`` and its ``updated_at``: every edit bumps the version
(SPEC §2: "a version integer increments on every change"), and a record the hub's change feed
brings (``RemoteService``) carries the hub's version and ``updated_at``. The ``updated_at``
matters when a till's own offline edit and the hub's answer to it (§6, a conflict) reached
the same version number with different contents. The stamps are read from the database on
every call, so they notice a change whoever made it: this process, or ``clienteling sync``
running in another one. (A Context listener that emptied the cache on every definitions
notice would miss the other process, and would throw the cache away on each sync page that
carries a definition's moved counters.)

The counters (``total_global_redemptions``, ``total_issued``) move on every redeem and claim
without a version bump, so they are read on every call rather than kept. Whether a claim
timeframe is open depends on "now" and is also computed on every call, with the injected
clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from clienteling.engine import conditions, timeframe
from clienteling.engine.models import BenefitDefinition

__all__ = ["ClaimTerms", "ClaimTermsCache", "Counted", "describe_condition"]

Predicate = Callable[[Any], bool]
Stamp = tuple[int, Any]  # (version, updated_at as stored)


def _equality(term: Any) -> tuple[str, Any] | None:
    """(variable, value) for ``{"==": [{"var": v}, value]}`` in either order, else None."""
    if not isinstance(term, dict) or len(term) != 1:
        return None
    op, args = next(iter(term.items()))
    if op not in ("==", "===") or not isinstance(args, list) or len(args) != 2:
        return None
    for var, value in (args, args[::-1]):
        if isinstance(var, dict) and isinstance(var.get("var"), str) and not isinstance(value, dict | list):
            return var["var"], value
    return None


def _term_in_words(var: str, value: Any) -> str:
    if var == "tier":
        return f"{str(value).title()} members"
    if var == "gender":
        return f"{str(value).capitalize()} customers"
    return f"customers whose {var.replace('attributes.', '').replace('_', ' ')} is {value}"


def describe_condition(rule: Any) -> str:
    """A claim condition in words for staff ("Gold members only"); generic when it is complex."""
    try:
        normal = conditions.normalise(rule)
    except conditions.InvalidRule:
        normal = None
    terms = normal.get("and") if isinstance(normal, dict) and list(normal) == ["and"] else [normal]
    if isinstance(terms, list) and terms:
        found = [_equality(t) for t in terms]
        if all(found):
            words = [_term_in_words(*f) for f in found if f]
            text = " who are also ".join(words) if len(words) > 1 else words[0]
            return f"{text[0].upper()}{text[1:]} only"
    return "This customer does not meet the conditions"


@dataclass(frozen=True, slots=True)
class ClaimTerms:
    """One version of a benefit definition as C1 and V1 see it, plus what the profile panel
    shows of it (name, handle, description, max redemptions). Immutable, so threads share it.

    ``timeframe`` is None when the definition has no block (or an empty one): no check.
    """

    id: str
    stamp: Stamp
    name: str
    handle: str
    description: str | None  # the short description, else the description
    max_redemptions: int | None
    is_claimable: bool
    is_published: bool
    is_assignable: bool
    is_archived: bool
    is_reclaimable: bool
    end_at: datetime | None
    claim_period_start_at: datetime | None
    claim_period_end_at: datetime | None
    max_global_redemptions: int | None
    total_allocations: int | None
    claim_condition: Predicate
    visibility_condition: Predicate
    condition_in_words: str
    timeframe: timeframe.Timeframe | None

    @classmethod
    def of(cls, d: Any, stamp: Stamp) -> ClaimTerms:
        """From anything with a definition's attributes: an ORM object or a row of
        :data:`_TERMS`. Compiles the conditions and parses the timeframe, once."""
        return cls(
            id=d.id, stamp=stamp, name=d.name, handle=d.handle,
            description=d.short_description or d.description,
            max_redemptions=d.max_redemptions,
            is_claimable=bool(d.is_claimable), is_published=bool(d.is_published),
            is_assignable=bool(d.is_assignable), is_archived=bool(d.is_archived),
            # seed 003 sends null: not reclaimable (C1)
            is_reclaimable=bool(d.is_reclaimable),
            end_at=d.end_at,
            claim_period_start_at=d.claim_period_start_at,
            claim_period_end_at=d.claim_period_end_at,
            max_global_redemptions=d.max_global_redemptions,
            total_allocations=d.total_allocations,
            claim_condition=conditions.predicate(d.claim_condition),
            visibility_condition=conditions.predicate(d.visibility_condition),
            condition_in_words=describe_condition(d.claim_condition),
            timeframe=timeframe.parse(d.claim_timeframe) if d.claim_timeframe else None,
        )

    @classmethod
    def of_definition(cls, d: BenefitDefinition) -> ClaimTerms:
        """An ORM object's terms, uncached: for the one definition a claim checks."""
        return cls.of(d, (d.version, d.updated_at))


class Counted(Protocol):
    """A definition's counters as read now (a row of the stamps query, or the ORM object):
    they move on every redeem and claim without a version bump (B3, C2), so they are never
    cached."""

    @property
    def total_global_redemptions(self) -> int: ...

    @property
    def total_issued(self) -> int: ...


_D = BenefitDefinition
# The rows a profile open reads: published, not archived (anything else is neither visible,
# V1, nor claimable, C1), in the order the list shows them. updated_at is read as stored
# (no datetime parsing): it is only compared with itself.
_STAMPS = (
    select(_D.id, _D.version, type_coerce(_D.updated_at, String).label("stamped_at"),
           _D.total_global_redemptions, _D.total_issued)
    .where(_D.is_published.is_(True), _D.is_archived.is_(False))
    .order_by(_D.name)
)
_TERMS = select(
    _D.id, _D.version, type_coerce(_D.updated_at, String).label("stamped_at"), _D.name,
    _D.handle, _D.short_description, _D.description, _D.max_redemptions, _D.is_claimable,
    _D.is_published, _D.is_assignable, _D.is_archived, _D.is_reclaimable, _D.end_at,
    _D.claim_period_start_at, _D.claim_period_end_at, _D.max_global_redemptions,
    _D.total_allocations, _D.claim_condition, _D.visibility_condition, _D.claim_timeframe,
)


class ClaimTermsCache:
    """The published definitions' :class:`ClaimTerms`, by id, for one Context's database.

    Held by the service, so two databases in one process never share entries. Each
    :meth:`current` reads every published definition's id, stamp and counters (one small
    query) and loads, with one more query, only the definitions added or changed since the
    last call; definitions no longer published drop out. The map is replaced whole, never
    changed in place, so a reader on another thread (the desktop's worker, the hub's request
    threads) sees either the old map or the new one; the lock keeps two callers from
    building the same entries at once.

    Our own rather than a library's (cachetools and the like): those evict by size or age,
    while this map must hold exactly the published definitions and be checked against the
    database's stamps on every read, which is the whole of its logic.
    """

    def __init__(self) -> None:
        self._entries: dict[str, ClaimTerms] = {}
        self._lock = threading.Lock()

    def current(self, s: Session) -> list[tuple[ClaimTerms, Counted]]:
        """Every published, unarchived definition with its counters, ordered by name, as the
        session sees them now."""
        rows = s.connection().execute(_STAMPS).all()  # Core: no ORM work for plain columns
        entries = self._entries
        if len(entries) != len(rows) or any(
                (found := entries.get(r.id)) is None or found.stamp != (r.version, r.stamped_at)
                for r in rows):
            entries = self._refresh(s, rows)
        # A definition deleted between the two reads (PostgreSQL reads committed rows per
        # statement) has no entry: it is left out, as a read a moment later would.
        return [(terms, r) for r in rows if (terms := entries.get(r.id)) is not None]

    def _refresh(self, s: Session, rows: Sequence[Any]) -> dict[str, ClaimTerms]:
        """The entries for exactly ``rows`` (this session's snapshot), loading those the map
        lacks; published as the map, which another thread's snapshot may replace again (every
        caller checks the stamps, so any published map is right for what it holds)."""
        with self._lock:
            old = self._entries
            entries: dict[str, ClaimTerms] = {}
            missing: list[str] = []
            for r in rows:
                found = old.get(r.id)
                if found is not None and found.stamp == (r.version, r.stamped_at):
                    entries[r.id] = found
                else:
                    missing.append(r.id)
            for chunk in _chunks(missing, 500):  # under any driver's parameter limit
                for row in s.connection().execute(_TERMS.where(_D.id.in_(chunk))):
                    entries[row.id] = ClaimTerms.of(row, (row.version, row.stamped_at))
            self._entries = entries
        return entries


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
