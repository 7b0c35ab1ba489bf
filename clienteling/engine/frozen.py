"""Frozen copies of stored rows: what the services' public methods hand to the hub, the UI and
sync instead of ORM objects (issue 15, GUIDE principle 1).

Each record carries its model's column attributes under the same names (and the few
relationships a caller reads: a benefit's ``definition``, a profile's ``identities``, a
redemption's ``items``), so the wire renderers (``engine.wire``), which read attributes, render
a record exactly as they render the row. A record is copied inside (or at the end of) the
transaction that read or wrote it: it cannot lazy-load, go stale behind its holder's back, or
be changed and flushed by accident. ``tests/engine/test_frozen.py`` checks every record still
has every column of its model.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from clienteling.engine.models import (
    AuditEvent,
    Benefit,
    BenefitDefinition,
    DeviceToken,
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

T = TypeVar("T")
_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _copy(cls: type[T], row: Any, **nested: Any) -> T:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    values = {name: getattr(row, name) for name in names if name not in nested}
    return cls(**values, **nested)


@dataclass(frozen=True)
class StoreRecord:
    id: str
    name: str
    timezone: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StaffRecord:
    id: str
    username: str
    display_name: str
    role: str
    store_id: str
    pin_hash: str = field(repr=False)
    is_active: bool
    failed_attempts: int
    locked_until: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class IdentityRecord:
    id: str
    profile_id: str
    handle: str
    identifier: str


@dataclass(frozen=True)
class ProfileRecord:
    id: str
    first_name: str
    last_name: str
    email: str | None
    mobile_phone: str | None
    gender: str | None
    birth_date: date | None
    tier: str | None
    join_date: date | None
    home_store_id: str | None
    attributes: dict[str, Any]
    name_key: str
    last_name_key: str
    email_key: str | None
    phone_key: str | None
    created_at: datetime
    updated_at: datetime
    identities: tuple[IdentityRecord, ...]
    # SPEC P3; defaulted so a record built by hand (tests outside the project) still builds.
    lifetime_spend: Decimal = Decimal("0.00")
    last_purchase_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class BenefitDefinitionRecord:
    id: str
    name: str
    handle: str
    description: str | None
    short_description: str | None
    long_description: str | None
    terms_conditions: str | None
    earn_instructions: str | None
    redeem_instructions_store: str | None
    redeem_instructions_online: str | None
    internal_notes: str | None
    redeem_code_pos: str | None
    redeem_code_online: str | None
    icon: str | None
    image_url: str | None
    period: int | None
    max_redemptions: int | None
    max_global_redemptions: int | None
    total_global_redemptions: int
    total_issued: int
    is_claimable: bool
    is_extendable: bool
    is_assignable: bool
    is_reassignable: bool
    is_published: bool
    is_archived: bool
    is_reclaimable: bool | None
    tags: list[Any]
    claim_condition: Any | None
    visibility_condition: Any | None
    claim_period_start_at: datetime | None
    claim_period_end_at: datetime | None
    claim_timeframe: Any | None
    end_at: datetime | None
    total_allocations: int | None
    notify_schedule_offset: int | None
    notify_issue_offset_days: int | None
    notify_issue_offset_hour: int | None
    notify_remind_offset_days: int | None
    notify_remind_offset_hour: int | None
    notify_extend_offset_days: int | None
    notify_extend_offset_hour: int | None
    remind_target_id: str | None
    extend_target_id: str | None
    issue_target_id: str | None
    category: str
    discount: Any | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class BenefitRecord:
    id: str
    profile_id: str
    benefit_definition_id: str
    external_id: str | None
    issued_at: datetime
    expires_at: datetime | None
    timezone: str
    claimed_at: datetime | None
    redemptions_remaining: int | None
    meta: Any | None
    redeem_code_pos: str | None
    redeem_code_online: str | None
    source: str
    issued_by_staff_id: str | None
    created_at: datetime
    updated_at: datetime
    definition: BenefitDefinitionRecord


@dataclass(frozen=True)
class RewardDefinitionRecord:
    id: str
    name: str
    handle: str
    type: str
    description: str | None
    value: Decimal | None
    max_value: Decimal | None
    period: int | None
    is_extendable: bool
    extend_days: int | None
    excluded_categories: list[Any]
    is_published: bool
    is_archived: bool
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RewardRecord:
    id: str
    profile_id: str
    reward_definition_id: str
    external_id: str | None
    value_initial: Decimal
    value_remaining: Decimal
    issued_at: datetime
    expires_at: datetime | None
    timezone: str
    is_active: bool
    extended_at: datetime | None
    issued_by_staff_id: str | None
    reason: str | None
    meta: Any | None
    created_at: datetime
    updated_at: datetime
    definition: RewardDefinitionRecord
    # RX5: "reaction:<handle>" for what a reaction issued; defaulted so a record built by
    # hand (tests outside the project) still builds.
    source: str = "issued"


@dataclass(frozen=True)
class RedemptionItemRecord:
    id: str
    redemption_id: str
    position: int
    type: str  # benefit | reward
    item_id: str
    value: Decimal
    count: int


@dataclass(frozen=True)
class RedemptionTransaction:
    """A redemption (Omneo's redemption transaction) with its items, as stored."""

    id: str
    profile_id: str
    type: str  # redeem | reversal
    total: Decimal
    location_id: str | None
    staff_id: str | None
    transaction_receipt_ref: str | None
    redeem_at: datetime
    reversal_of_id: str | None
    reversed_by_id: str | None
    meta: Any | None
    created_at: datetime
    items: tuple[RedemptionItemRecord, ...]


@dataclass(frozen=True)
class PurchaseRecord:
    """A sale or a return (SPEC 3.8 P1)."""

    id: str
    profile_id: str
    store_id: str
    staff_id: str | None
    occurred_at: datetime
    receipt_ref: str
    total: Decimal
    eligible_spend: Decimal
    returns_purchase_id: str | None
    lines: Any
    source: str
    created_at: datetime
    updated_at: datetime
    # What the purchase earned from reactions in its own transaction (RX4), never stored.
    earned: tuple[EarnedRecord, ...] = ()

    @property
    def is_return(self) -> bool:
        return self.returns_purchase_id is not None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class ReactionRecord:
    """A benefit or reward that issues itself (SPEC 3.9 RX1; the shared contract)."""

    id: str
    handle: str
    name: str
    trigger: dict[str, Any]  # wire shape, RX2: {"type": "purchase", "min_spend": "100.00"}
    condition: dict[str, Any] | None  # JsonLogic over the profile (+ "event")
    effect: dict[str, Any]  # {"benefit_definition_id": id} | {"reward_definition_id", "value"}
    limit: str  # once | once_per_year | once_per_month | every_time
    active_from: datetime | None
    active_to: datetime | None
    enabled: bool
    version: int
    archived: bool
    # Why it does not fire although enabled, in words ("Its benefit definition Free Coffee
    # is archived."), else None. Computed when read; never stored or synced.
    problem: str | None = None
    # Defaulted (after the contract's fields) so a record built by hand still builds.
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def wire(self) -> dict[str, Any]:
        """The API body (the hub's JSON): the synced record plus ``problem``."""
        return {
            "id": self.id, "handle": self.handle, "name": self.name,
            "trigger": dict(self.trigger),
            "condition": self.condition, "effect": dict(self.effect), "limit": self.limit,
            "active_from": _iso(self.active_from), "active_to": _iso(self.active_to),
            "enabled": self.enabled, "archived": self.archived, "version": self.version,
            "created_at": _iso(self.created_at), "updated_at": _iso(self.updated_at),
            "problem": self.problem,
        }


@dataclass(frozen=True)
class DryRunResult:
    """RX6: how many profiles a reaction would fire for now, nothing issued."""

    count: int
    sample: tuple[tuple[str, str], ...]  # up to 10 (profile_id, "First Last")
    as_of: datetime


@dataclass(frozen=True)
class DailyRunResult:
    """What one daily run of the time triggers issued (RX4), per reaction handle."""

    at: datetime
    issued: dict[str, int]
    skipped: dict[str, str]  # handle -> why it did not run (switched off, problem, ...)
    ran: bool = True  # False when another process held the run's lock

    @property
    def total(self) -> int:
        return sum(self.issued.values())


@dataclass(frozen=True)
class EarnedRecord:
    """What a purchase or a new profile earned from reactions (the checkout says so)."""

    kind: str  # "benefit" | "reward"
    id: str
    name: str  # the definition's name
    value: Decimal | None  # reward dollars, None for a benefit
    expires_at: datetime | None
    reaction: str  # the reaction's name


@dataclass(frozen=True)
class DeviceTokenRecord:
    id: str
    store_id: str
    name: str
    lookup: str
    token_hash: str = field(repr=False)
    is_active: bool
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True)
class AuditEventRecord:
    seq: int
    id: str
    at: datetime
    staff_id: str | None
    store_id: str | None
    action: str
    entity_type: str
    entity_id: str
    profile_id: str | None
    before: Any | None
    after: Any | None
    meta: Any | None
    prev_hash: str
    hash: str


# -- copying ---------------------------------------------------------------------------------

def store(row: Store) -> StoreRecord:
    return _copy(StoreRecord, row)


def staff(row: Staff) -> StaffRecord:
    return _copy(StaffRecord, row)


def profile(row: Profile) -> ProfileRecord:
    return _copy(ProfileRecord, row,
                 identities=tuple(_copy(IdentityRecord, i) for i in row.identities))


def benefit_definition(row: BenefitDefinition) -> BenefitDefinitionRecord:
    return _copy(BenefitDefinitionRecord, row)


def benefit(row: Benefit,
            definitions: dict[str, BenefitDefinitionRecord] | None = None) -> BenefitRecord:
    """``definitions``: copies already made in this read, shared by the benefits of one
    definition instead of copied again for each."""
    if definitions is None:
        return _copy(BenefitRecord, row, definition=benefit_definition(row.definition))
    d = definitions.get(row.benefit_definition_id)
    if d is None:
        d = definitions[row.benefit_definition_id] = benefit_definition(row.definition)
    return _copy(BenefitRecord, row, definition=d)


def reward_definition(row: RewardDefinition) -> RewardDefinitionRecord:
    return _copy(RewardDefinitionRecord, row)


def reward(row: Reward) -> RewardRecord:
    return _copy(RewardRecord, row, definition=reward_definition(row.definition))


def audit_event(row: AuditEvent) -> AuditEventRecord:
    return _copy(AuditEventRecord, row)


def redemption(row: Redemption) -> RedemptionTransaction:
    items: list[RedemptionItem] = list(row.items)
    return _copy(RedemptionTransaction, row,
                 items=tuple(_copy(RedemptionItemRecord, i) for i in items))


def purchase(row: Purchase) -> PurchaseRecord:
    return _copy(PurchaseRecord, row, earned=())


def reaction(row: Reaction, problem: str | None = None) -> ReactionRecord:
    return _copy(ReactionRecord, row, problem=problem)


def device_token(row: DeviceToken) -> DeviceTokenRecord:
    return _copy(DeviceTokenRecord, row)


# Each record and the model it copies (the parity test walks this).
COPIES: dict[type[Any], type[Any]] = {
    StoreRecord: Store, StaffRecord: Staff, IdentityRecord: Identity, ProfileRecord: Profile,
    BenefitDefinitionRecord: BenefitDefinition, BenefitRecord: Benefit,
    RewardDefinitionRecord: RewardDefinition, RewardRecord: Reward,
    RedemptionItemRecord: RedemptionItem, RedemptionTransaction: Redemption,
    DeviceTokenRecord: DeviceToken, AuditEventRecord: AuditEvent, ReactionRecord: Reaction,
}
