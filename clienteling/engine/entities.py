"""The registry of synced types: each type a till copies from the hub, declared once (SPEC §6
local database and sync, §7 the change feed, snapshot and digest; GUIDE principle 12).

``ENTITIES`` holds one frozen ``SyncedType`` per type, in dependency order: a row refers only
to rows of types before it, so a first sync inserts each snapshot page as it arrives and the
remote door writes parents before children. Everything sync does per type is derived from
these entries rather than listed again beside them:

- the wire: ``render`` (``engine.wire``'s renderer, as the feed and snapshot send it) and
  ``parse`` (``engine.wire_in``'s parser) with ``SyncedType.read``, which names the record in
  a refusal and derives its children's ids;
- ``copy``: the frozen record (``engine.frozen``) a row leaves the engine as, when the hub
  renders it itself (the feed's per-device view; the reference rendering of a feed page);
- the snapshot's type order, tokens, counts, embedded definitions and children
  (``engine.services.snapshot``), and rows-v2's columns and rules (``engine.wire_rows``);
- the change feed's models (``engine.services.listing``) and renderers, with the hub's
  per-device view where ``device_view`` says so (``hub.changes``);
- the remote door's tables, children, till columns, write order and the tables a first sync
  loads before indexing them (``engine.services.remote``);
- the digest's columns and children (``engine.services.digest``);
- the areas of the screen a change makes stale (``engine.changes``).

Tables that are not synced are declared too (``LOCAL_TABLES``), so that
``tests/engine/test_entities.py`` can fail for a model that is none of synced, a declared
child of a synced type, or local: a new model cannot be left out of sync by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Table

from clienteling.engine import frozen, reaction_shapes, wire, wire_in
from clienteling.engine.areas import Area
from clienteling.engine.models import (
    Base,
    Benefit,
    BenefitDefinition,
    Identity,
    Profile,
    Purchase,
    Reaction,
    Redemption,
    RedemptionItem,
    Reward,
    RewardDefinition,
    Staff,
    Store,
)
from clienteling.engine.permissions import Role
from clienteling.engine.search_keys import PROFILE_KEY_COLUMNS, profile_keys
from clienteling.engine.security import WITHHELD_HASH
from clienteling.engine.wire_in import Bad, Parsed, Reader, child_id, refusal

Renderer = Callable[[Any, datetime], dict[str, Any]]
"""(record, now) -> the wire record: a model instance, or a row read with Core that has the
same attributes (``snapshot.Record``)."""
Parser = Callable[[Reader], Parsed]
ColumnValues = Mapping[str, Sequence[Any]]
RuleOverrides = Mapping[str, Mapping[str, Any]]
"""Per column, ``wire_rows.Rule`` fields where ``wire_in``'s rule is not the one the column's
type implies (a timezone, a choice, a list)."""


@dataclass(frozen=True)
class ChildRows:
    """Rows a synced record owns and that travel inside it (a profile's identities, a
    redemption's items): replaced as a whole with their parent, never synced on their own.

    They carry no id on the wire: a till derives it from the parent's id and ``id_from``
    (``wire_in.child_id``), so applying the same record twice writes the same rows."""

    entity_type: str  # what a change to one alone would be called (areas: its parent's)
    model: type[Base]
    parent_key: str  # the column naming the parent
    # Within one parent: the digest's and rows-v2's order. The wire keeps the order the
    # model's relationship loads them in (``label``), as the feed has always sent them.
    order: tuple[str, ...]
    # The wire list holding them, the parent's attribute the renderer reads them from, and
    # a refusal's field ("items[2].value").
    label: str
    id_from: tuple[str, ...]
    # Columns unique across parents (a card number): a row that moved to another parent is
    # taken from its old one first, or the insert would clash.
    moves_by: tuple[str, ...] = ()
    rules: RuleOverrides = field(default_factory=dict)

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[return-value]

    @property
    def columns(self) -> list[str]:
        """The columns that are synced: all but the till-derived id."""
        return [c.name for c in self.table.columns if c.name != "id"]

    def derive_id(self, parent_id: str, row: Mapping[str, Any]) -> str:
        return child_id(parent_id, *(str(row[name]) for name in self.id_from))


@dataclass(frozen=True)
class TillColumns:
    """Columns a till keeps for itself: never on the wire, not in the digest (equal digests
    prove the till holds what the hub sent, SPEC §6 "Verify")."""

    # The till's own state (a staff member's wrong-PIN count and lockout): this value on
    # insert, never overwritten by the hub.
    kept: Mapping[str, Any] = field(default_factory=dict)
    # Computed from the record on every write, as its service computes them (search keys).
    derived: tuple[str, ...] = ()
    derive: Callable[[ColumnValues], dict[str, list[Any]]] | None = None

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.kept) | frozenset(self.derived)


@dataclass(frozen=True)
class Embedded:
    """A record of another synced type that the renderer reads through an attribute (a
    benefit's state is computed from its definition, SPEC B2): the snapshot reads it with
    the page instead of one query per row."""

    attribute: str
    key: str  # the column holding its id
    type: str


@dataclass(frozen=True)
class DeviceView:
    """A column each device receives only for the records in its scope, ``withheld`` for
    the others (SPEC §7 ``GET /staff``: PIN hashes for offline sign-in, only of staff who may
    act on that device; docs/security.md). The hub judges the scope (``Device.may_act`` on the
    ``scope`` columns); the feed, the snapshot and the digest all take it from here."""

    column: str
    scope: tuple[str, str]  # (role, store id), as ``Device.may_act`` takes them
    withheld: str


@dataclass(frozen=True)
class SyncedType:
    """One synced type: its table and everything sync derives from it (module docstring)."""

    name: str
    model: type[Base]
    render: Renderer
    parse: Parser
    areas: frozenset[Area]
    children: ChildRows | None = None
    till: TillColumns = field(default_factory=TillColumns)
    embeds: Embedded | None = None
    device_view: DeviceView | None = None
    # A column naming another record of this type (a reversal names the redemption it
    # voids): rows without one are written first, so a page never refers forward.
    refers_to_own: str | None = None
    rules: RuleOverrides = field(default_factory=dict)
    # Grows with the customers (not a few definitions): a first sync loads it without its
    # secondary indexes and builds them with its last page (``RemoteService.apply``).
    bulk: bool = False
    # The frozen record a row is handed out as, read inside its session (children and
    # embedded records included): the hub renders records, never ORM rows (issue 15).
    copy: Callable[[Any], Any] = field(kw_only=True)

    @property
    def table(self) -> Table:
        return self.model.__table__  # type: ignore[return-value]

    @property
    def columns(self) -> list[str]:
        """The synced columns, in table order (``id`` first): rows-v2's block columns."""
        local = self.till.names
        return [c.name for c in self.table.columns if c.name not in local]

    @property
    def digest_columns(self) -> list[str]:
        """What a record's fingerprint covers, ``id`` first (``services.digest``)."""
        return ["id", *(name for name in self.columns if name != "id")]

    def read(self, data: Any) -> Parsed:
        """Column values for one wire record of this type, children with their derived ids.

        Raises ``ValidationError`` naming the type, the record's id and the bad field."""
        if not isinstance(data, dict):
            raise refusal(self.name, "?", "data", "must be an object")
        ident = data.get("id")
        if not isinstance(ident, str) or not 1 <= len(ident) <= 36:
            raise refusal(self.name, "?", "id", "must be an id of 1 to 36 characters")
        try:
            parsed = self.parse(Reader(data))
        except Bad as bad:
            raise refusal(self.name, ident, bad.name, bad.problem) from None
        parsed.row["id"] = ident
        children = self.children
        if children is not None:
            for child in parsed.children:
                child["id"] = children.derive_id(ident, child)
                child[children.parent_key] = ident
        return parsed


# Renderers as the feed sends each record at ``now`` (SPEC §7): staff with the PIN hash
# (``device_view`` withholds it per device), benefits and rewards with their computed state
# but without the embedded definition (the definitions come as records of their own).

def _store(record: Any, now: datetime) -> dict[str, Any]:
    return wire.store(record)


def _staff(record: Any, now: datetime) -> dict[str, Any]:
    return wire.staff(record, with_pin_hash=True)


def _definition(record: Any, now: datetime) -> dict[str, Any]:
    return wire.benefit_definition(record)


def _reward_definition(record: Any, now: datetime) -> dict[str, Any]:
    return wire.reward_definition(record)


def _profile(record: Any, now: datetime) -> dict[str, Any]:
    return wire.profile(record)


def _benefit(record: Any, now: datetime) -> dict[str, Any]:
    return wire.benefit(record, now, embed_definition=False)


def _reward(record: Any, now: datetime) -> dict[str, Any]:
    return wire.reward(record, now, embed_definition=False)


def _redemption(record: Any, now: datetime) -> dict[str, Any]:
    return wire.redemption(record)


def _purchase(record: Any, now: datetime) -> dict[str, Any]:
    return wire.purchase(record)


def _reaction(record: Any, now: datetime) -> dict[str, Any]:
    return wire.reaction(record)


_ZONE: Mapping[str, Any] = {"kind": "zone"}
# A return's amounts are negative (SPEC P1): rows-v2 takes cents down to wire_in's bound.
_SIGNED_CENTS: Mapping[str, Any] = {"low": -(10**14 - 1)}
_VERSION: Mapping[str, Any] = {"low": 1}

ENTITIES: tuple[SyncedType, ...] = (
    SyncedType("store", Store, _store, wire_in.store, frozenset({Area.STAFF}),
               rules={"timezone": _ZONE}, copy=frozen.store),
    SyncedType(
        "staff", Staff, _staff, wire_in.staff, frozenset({Area.STAFF}),
        till=TillColumns(kept={"failed_attempts": 0, "locked_until": None}),
        device_view=DeviceView("pin_hash", ("role", "store_id"), WITHHELD_HASH),
        rules={"role": {"kind": "choice", "options": tuple(role.value for role in Role)}},
        copy=frozen.staff),
    SyncedType("benefit_definition", BenefitDefinition, _definition, wire_in.benefit_definition,
               frozenset({Area.DEFINITIONS}), rules={"tags": {"kind": "list"}, "version": _VERSION},
               copy=frozen.benefit_definition),
    SyncedType("reward_definition", RewardDefinition, _reward_definition,
               wire_in.reward_definition, frozenset({Area.DEFINITIONS}),
               rules={"excluded_categories": {"kind": "list"}, "version": _VERSION},
               copy=frozen.reward_definition),
    SyncedType(
        "profile", Profile, _profile, wire_in.profile, frozenset({Area.PROFILE}),
        children=ChildRows("identity", Identity, "profile_id", ("handle", "identifier"),
                           "identities", id_from=("handle", "identifier"),
                           moves_by=("handle", "identifier")),
        till=TillColumns(derived=PROFILE_KEY_COLUMNS, derive=profile_keys), bulk=True,
        # wire_in reads a missing last name as "".
        rules={"last_name": {"nonblank": False}, "attributes": {"kind": "object"}},
        copy=frozen.profile),
    SyncedType("benefit", Benefit, _benefit, wire_in.benefit,
               frozenset({Area.BENEFITS, Area.CLAIMABLE}),
               embeds=Embedded("definition", "benefit_definition_id", "benefit_definition"),
               rules={"timezone": _ZONE}, bulk=True, copy=frozen.benefit),
    SyncedType("reward", Reward, _reward, wire_in.reward, frozenset({Area.REWARDS}),
               embeds=Embedded("definition", "reward_definition_id", "reward_definition"),
               rules={"timezone": _ZONE}, bulk=True, copy=frozen.reward),
    SyncedType(
        "redemption", Redemption, _redemption, wire_in.redemption,
        # A redemption draws on benefits or rewards and shows in the history; which of the
        # two it drew on is not worth a second map, an extra refresh costs one read.
        frozenset({Area.BENEFITS, Area.REWARDS, Area.HISTORY, Area.CLAIMABLE}),
        children=ChildRows("redemption_item", RedemptionItem, "redemption_id", ("position",),
                           "items", id_from=("position",),
                           rules={"type": {"kind": "choice", "options": ("benefit", "reward")},
                                  "count": {"low": 1}}),
        refers_to_own="reversal_of_id", bulk=True,
        rules={"type": {"kind": "choice", "options": ("redeem", "reversal")}},
        copy=frozen.redemption),
    # Last: a first sync resumed across the upgrade goes on by type name (docs/architecture.md).
    SyncedType(
        "purchase", Purchase, _purchase, wire_in.purchase,
        frozenset({Area.PROFILE, Area.HISTORY}),
        refers_to_own="returns_purchase_id", bulk=True,
        rules={"total": _SIGNED_CENTS, "eligible_spend": _SIGNED_CENTS,
               "source": {"kind": "choice", "options": wire_in.PURCHASE_SOURCES},
               "lines": {"kind": "list"}},
        copy=frozen.purchase),
    # SPEC 3.9: admin-edited like a definition; its effect names a definition inside JSON.
    SyncedType(
        "reaction", Reaction, _reaction, wire_in.reaction, frozenset({Area.DEFINITIONS}),
        rules={"trigger": {"kind": "object"}, "effect": {"kind": "object"},
               "limit": {"kind": "choice", "options": reaction_shapes.LIMITS},
               "version": _VERSION},
        copy=frozen.reaction),
)

BY_NAME: Mapping[str, SyncedType] = MappingProxyType({e.name: e for e in ENTITIES})
NAMES: tuple[str, ...] = tuple(BY_NAME)

# The tables that are not synced: each database's own (a till's outbox and settings, the
# hub's change log, tokens and idempotency records; the audit chain of what was done there).
LOCAL_TABLES = frozenset({
    "audit_events", "outbox", "outbox_entities", "change_log", "device_tokens",
    "idempotency_records", "settings", "token_failures", "token_turns",
    "digest_rows", "digest_buckets",
    # The reports' kept totals (issue 18): derived from synced rows, each copy counts its own.
    "report_totals", "report_total_deltas",
})


def parse(entity_type: str, data: Any) -> Parsed:
    """Column values for one wire record of ``entity_type`` (``SyncedType.read``).

    Raises ``ValidationError`` naming the type, the record's id and the bad field."""
    kind = BY_NAME.get(entity_type)
    if kind is None:
        raise refusal(str(entity_type)[:40], "?", "type", "is not a synced entity type")
    return kind.read(data)


def models() -> dict[str, type[Base]]:
    """Each synced type's model, in dependency order."""
    return {e.name: e.model for e in ENTITIES}
