"""The tables of SPEC §2, as SQLAlchemy 2.x typed declarative models.

Ids are UUID strings made by whichever side creates the record, so a till can
create records offline. Money columns are ``Money`` (exact cents), instants are
``UTCDateTime`` (aware, stored UTC) and each record that the seeds give a
``timezone`` keeps the IANA zone it was issued in.

Nothing outside the engine's services writes to these tables (GUIDE principle 1).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from clienteling.engine.types import Money, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The version and variant bits of a version-4 UUID (RFC 4122), and the bits they replace.
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def new_id() -> str:
    """A random version-4 UUID as text, exactly as ``str(uuid.uuid4())`` gives one (the same
    16 bytes of ``os.urandom``) without building a ``UUID`` object: an import makes three a
    profile, and the object was half of their cost (issue 16)."""
    h = f"{int.from_bytes(os.urandom(16)) & _V4_CLEAR | _V4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        Decimal: Money(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        Any: JSON(),
    }


Id = String(36)
# An instance's ``source``: "reaction:" and a handle of up to 100 characters (RX5).
SOURCE_LENGTH = 120


class Store(Base):
    __tablename__ = "stores"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    pin_hash: Mapped[str] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    store: Mapped[Store] = relationship(lazy="joined")


class Profile(Base):
    __tablename__ = "profiles"
    # Covering indexes for name search in (name_key, id) order (migration 0005, SPEC §8).
    __table_args__ = (
        Index("ix_profiles_by_name", "name_key", "id", "last_name_key"),
        Index("ix_profiles_by_last_name", "last_name_key", "name_key", "id"),
        Index("ix_profiles_home_store", "home_store_id", "id"),  # a store's customers (0012)
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    mobile_phone: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[date | None] = mapped_column(Date)
    tier: Mapped[str | None] = mapped_column(String(64))
    join_date: Mapped[date | None] = mapped_column(Date)
    home_store_id: Mapped[str | None] = mapped_column(ForeignKey("stores.id"))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Search keys, kept lower-case (and digits-only for the phone) so that a
    # prefix search is an index range scan on a million rows.
    name_key: Mapped[str] = mapped_column(String(201))
    last_name_key: Mapped[str] = mapped_column(String(100))
    email_key: Mapped[str | None] = mapped_column(String(254), index=True)
    phone_key: Mapped[str | None] = mapped_column(String(32), index=True)
    # SPEC P3: moved by the purchase service's conditional UPDATE in the purchase's own
    # transaction, never read-then-written (migration 0007).
    lifetime_spend: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0.00"),
                                                    server_default="0")
    last_purchase_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    identities: Mapped[list[Identity]] = relationship(
        back_populates="profile", lazy="selectin", cascade="all, delete-orphan"
    )


class Identity(Base):
    """A loyalty card number or barcode that finds a profile."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("handle", "identifier", name="uq_identities_handle_identifier"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"), index=True)
    handle: Mapped[str] = mapped_column(String(64))
    identifier: Mapped[str] = mapped_column(String(128), index=True)

    profile: Mapped[Profile] = relationship(back_populates="identities")


class BenefitDefinition(Base):
    __tablename__ = "benefit_definitions"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    short_description: Mapped[str | None] = mapped_column(Text)
    long_description: Mapped[str | None] = mapped_column(Text)
    terms_conditions: Mapped[str | None] = mapped_column(Text)
    earn_instructions: Mapped[str | None] = mapped_column(Text)
    redeem_instructions_store: Mapped[str | None] = mapped_column(Text)
    redeem_instructions_online: Mapped[str | None] = mapped_column(Text)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    redeem_code_pos: Mapped[str | None] = mapped_column(String(64))
    redeem_code_online: Mapped[str | None] = mapped_column(String(64))
    icon: Mapped[str | None] = mapped_column(String(500))
    image_url: Mapped[str | None] = mapped_column(String(1000))
    period: Mapped[int | None]
    max_redemptions: Mapped[int | None]
    max_global_redemptions: Mapped[int | None]
    total_global_redemptions: Mapped[int] = mapped_column(Integer, default=0)
    # Instances issued so far, moved by the same conditional UPDATE that
    # enforces total_allocations (C1), never read-then-written.
    total_issued: Mapped[int] = mapped_column(Integer, default=0)
    is_claimable: Mapped[bool] = mapped_column(Boolean, default=False)
    is_extendable: Mapped[bool] = mapped_column(Boolean, default=False)
    is_assignable: Mapped[bool] = mapped_column(Boolean, default=True)
    is_reassignable: Mapped[bool] = mapped_column(Boolean, default=False)
    is_published: Mapped[bool] = mapped_column(Boolean, default=False)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    is_reclaimable: Mapped[bool | None] = mapped_column(Boolean)
    tags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    claim_condition: Mapped[Any | None] = mapped_column(JSON)
    visibility_condition: Mapped[Any | None] = mapped_column(JSON)
    claim_period_start_at: Mapped[datetime | None]
    claim_period_end_at: Mapped[datetime | None]
    claim_timeframe: Mapped[Any | None] = mapped_column(JSON)
    end_at: Mapped[datetime | None]
    total_allocations: Mapped[int | None]
    notify_schedule_offset: Mapped[int | None]
    notify_issue_offset_days: Mapped[int | None]
    notify_issue_offset_hour: Mapped[int | None]
    notify_remind_offset_days: Mapped[int | None]
    notify_remind_offset_hour: Mapped[int | None]
    notify_extend_offset_days: Mapped[int | None]
    notify_extend_offset_hour: Mapped[int | None]
    remind_target_id: Mapped[str | None] = mapped_column(String(64))
    extend_target_id: Mapped[str | None] = mapped_column(String(64))
    issue_target_id: Mapped[str | None] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32), default="entitlement")
    # {"percent_off": "10", "categories": [...], "skus": [...], "full_price_only": bool}
    discount: Mapped[Any | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Benefit(Base):
    """A benefit instance on one profile (seed 002)."""

    __tablename__ = "benefits"
    __table_args__ = (
        Index("ix_benefits_profile_definition", "profile_id", "benefit_definition_id"),
        # Expiring soon reads its window from this index alone (migration 0012).
        Index("ix_benefits_expiring", "expires_at", "profile_id", "redemptions_remaining",
              "benefit_definition_id"),
        # What reactions issued, for the reactions report (0012): a partial index.
        Index("ix_benefits_by_reaction", "source", "profile_id", "expires_at", "id",
              sqlite_where=text("benefits.source LIKE 'reaction:%'"),
              postgresql_where=text("benefits.source LIKE 'reaction:%'")),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"), index=True)
    benefit_definition_id: Mapped[str] = mapped_column(ForeignKey("benefit_definitions.id"))
    external_id: Mapped[str | None] = mapped_column(String(128), index=True)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    redemptions_remaining: Mapped[int | None]
    meta: Mapped[Any | None] = mapped_column(JSON)
    redeem_code_pos: Mapped[str | None] = mapped_column(String(64), index=True)
    redeem_code_online: Mapped[str | None] = mapped_column(String(64))
    # issued | claimed | import | reaction:<handle> (RX5; widened for the handle, 0011)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), default="issued")
    issued_by_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    definition: Mapped[BenefitDefinition] = relationship(lazy="joined")


class RewardDefinition(Base):
    __tablename__ = "reward_definitions"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    value: Mapped[Decimal | None]
    max_value: Mapped[Decimal | None]
    period: Mapped[int | None]
    is_extendable: Mapped[bool] = mapped_column(Boolean, default=False)
    extend_days: Mapped[int | None]
    excluded_categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    is_archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Reward(Base):
    __tablename__ = "rewards"
    __table_args__ = (  # expiring soon reads its window from this index alone (0012)
        Index("ix_rewards_expiring", "expires_at", "profile_id", "is_active", "value_remaining",
              "reward_definition_id"),
        Index("ix_rewards_by_reaction", "source", "profile_id", "expires_at",  # reactions report
              "value_initial", "value_remaining",
              sqlite_where=text("rewards.source LIKE 'reaction:%'"),
              postgresql_where=text("rewards.source LIKE 'reaction:%'")),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"), index=True)
    reward_definition_id: Mapped[str] = mapped_column(ForeignKey("reward_definitions.id"))
    # Another system's id for a reward imported from it (``hub import``, SPEC §7).
    external_id: Mapped[str | None] = mapped_column(String(128), index=True)
    value_initial: Mapped[Decimal]
    value_remaining: Mapped[Decimal]
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    extended_at: Mapped[datetime | None]
    issued_by_staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # issued | import | reaction:<handle> (RX5, migration 0011); last so older rows-v2
    # column lists stay a prefix.
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), default="issued",
                                        server_default="issued")

    definition: Mapped[RewardDefinition] = relationship(lazy="joined")


class ReportTotal(Base):
    """Live instances summed per kind × home store × definition × UTC expiry bucket, kept by
    triggers (``engine/report_totals.py``, migration 0012): the liability report reads these."""

    __tablename__ = "report_totals"

    kind: Mapped[str] = mapped_column(String(1), primary_key=True)  # r(eward) | b(enefit)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)  # d(ay) | m(onth) | n(one)
    bucket: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM[-DD] UTC, or ''
    store_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # '' = no home store
    definition_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)  # instances that still count
    amount: Mapped[int] = mapped_column(BigInteger)  # reward cents | benefit uses left
    unlimited: Mapped[int] = mapped_column(BigInteger)  # benefits with no use limit


class ReportTotalDelta(Base):
    """On PostgreSQL the triggers append changes here instead of updating ``report_totals``
    (whose rows every writer of a store shares: updated in place, concurrent redeems
    deadlocked on them); the reports add these in and fold them into the totals."""

    __tablename__ = "report_total_deltas"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"),
                                    primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(1))
    grain: Mapped[str] = mapped_column(String(1))
    bucket: Mapped[str] = mapped_column(String(10))
    store_id: Mapped[str] = mapped_column(String(36))
    definition_id: Mapped[str] = mapped_column(String(36))
    n: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int] = mapped_column(BigInteger)
    unlimited: Mapped[int] = mapped_column(BigInteger)


class Redemption(Base):
    """Omneo's redemption transaction, for benefits and rewards alike (append-only)."""

    __tablename__ = "redemptions"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))  # redeem | reversal
    total: Mapped[Decimal]
    location_id: Mapped[str | None] = mapped_column(ForeignKey("stores.id"))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    transaction_receipt_ref: Mapped[str | None] = mapped_column(String(128))
    redeem_at: Mapped[datetime]
    reversal_of_id: Mapped[str | None] = mapped_column(ForeignKey("redemptions.id"))
    # Set once, by a conditional UPDATE, when the redemption is voided (R5).
    reversed_by_id: Mapped[str | None] = mapped_column(String(36))
    meta: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime]

    items: Mapped[list[RedemptionItem]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="RedemptionItem.position"
    )


class RedemptionItem(Base):
    __tablename__ = "redemption_items"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    redemption_id: Mapped[str] = mapped_column(ForeignKey("redemptions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    type: Mapped[str] = mapped_column(String(16))  # benefit | reward
    item_id: Mapped[str] = mapped_column(String(36), index=True)
    value: Mapped[Decimal]
    count: Mapped[int] = mapped_column(Integer, default=1)


class Purchase(Base):
    """A sale or a return on one profile (SPEC 3.8 P1): a return has negative amounts and
    names the purchase it returns (``returns_purchase_id``)."""

    __tablename__ = "purchases"
    # The same receipt at the same store is one purchase (P4): the idempotency key.
    __table_args__ = (UniqueConstraint("store_id", "receipt_ref",
                                       name="uq_purchases_store_receipt"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(ForeignKey("profiles.id"), index=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    # The staff member at the counter; None when an integration reported it (``source``).
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    occurred_at: Mapped[datetime]
    receipt_ref: Mapped[str] = mapped_column(String(128))
    total: Mapped[Decimal]
    eligible_spend: Mapped[Decimal]
    returns_purchase_id: Mapped[str | None] = mapped_column(ForeignKey("purchases.id"),
                                                            index=True)
    lines: Mapped[Any | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(16), default="counter")  # counter | api | import
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Reaction(Base):
    """A benefit or reward that issues itself (SPEC 3.9 RX1): when (``trigger``), for whom
    (``condition``), what (``effect``) and how often (``limit``), within an optional window.

    ``effect`` names its definition inside JSON, not by a foreign key: a reaction outlives
    its definition being archived (it then stops firing and says why, ``problem``)."""

    __tablename__ = "reactions"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    trigger: Mapped[dict[str, Any]] = mapped_column(JSON)
    condition: Mapped[Any | None] = mapped_column(JSON)
    effect: Mapped[dict[str, Any]] = mapped_column(JSON)
    limit: Mapped[str] = mapped_column(String(16))
    active_from: Mapped[datetime | None]
    active_to: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AuditEvent(Base):
    """Who did what, where and when; each row's hash covers the previous row's."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(Id, unique=True, default=new_id)
    at: Mapped[datetime]
    staff_id: Mapped[str | None] = mapped_column(String(36))
    store_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    profile_id: Mapped[str | None] = mapped_column(String(36), index=True)
    before: Mapped[Any | None] = mapped_column(JSON)
    after: Mapped[Any | None] = mapped_column(JSON)
    meta: Mapped[Any | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class OutboxEntry(Base):
    """A local change waiting to be sent to the hub as the equivalent API call (SPEC §6)."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    id: Mapped[str] = mapped_column(Id, unique=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    body: Mapped[Any | None] = mapped_column(JSON)
    headers: Mapped[Any | None] = mapped_column(JSON)
    # What the entry does, as its audit event(s) say: "benefit.redeem"; a unit sent as one
    # call, its records' actions joined by "+" ("benefit.claim+benefit.redeem"). None only
    # for an entry written before it was stored that migration 0006 could not tell.
    action: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    staff_id: Mapped[str | None] = mapped_column(String(36))
    store_id: Mapped[str | None] = mapped_column(String(36))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    profile_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Shared by every entry one local transaction wrote: the hub must see all of them or none.
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    # pending -> in_flight -> done | conflict | pending (retry); pending -> parked;
    # conflict | parked -> dismissed. Moved only by ``OutboxService``'s conditional UPDATEs.
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # The hub's reason code for a refusal (SPEC §3), or "depends_on_refused" when parked.
    last_code: Mapped[str | None] = mapped_column(String(64))
    response: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OutboxEntity(Base):
    """An entity one outbox entry touches, written with the entry by the service that made the
    change, so "what is still unsent about this record" and "which entries depend on this one"
    are exact index look-ups rather than guesses from request bodies.

    ``role``: "created" (the entry makes it), "changed" (it changes it) or "ref" (it only
    refers to it: the profile a benefit is issued to, a definition whose counter moves)."""

    __tablename__ = "outbox_entities"
    __table_args__ = (Index("ix_outbox_entities_entity", "entity_id", "entity_type"),)

    outbox_seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("outbox.seq", ondelete="CASCADE"), primary_key=True,
    )
    entity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    role: Mapped[str] = mapped_column(String(8))


class ChangeLog(Base):
    """The change feed's rows (SPEC §7): one per committed change to a syncable record.

    Writers append under one lock held to commit (see ``journal``), so ``seq``
    order is commit order and a reader can never see a gap filled later.
    """

    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(36))
    op: Mapped[str] = mapped_column(String(8))  # upsert | delete
    at: Mapped[datetime]
    # The feed entry as every device receives it (JSON text), stored by the first reader of
    # its page so it is rendered once, not once per till (``engine.services.feed``). NULL
    # until then, and always for types rendered per device (staff).
    entry: Mapped[str | None] = mapped_column(Text, nullable=True)


class TokenFailure(Base):
    """One failed device-token check, counted by the hub's failure throttle when the hub runs
    on PostgreSQL, so every worker and host sees the same counts (``hub.throttle``). ``key``
    is ``address:<ip>`` or ``lookup:<token prefix>``; ``at`` is wall-clock seconds."""

    __tablename__ = "token_failures"
    __table_args__ = (Index("ix_token_failures_key_at", "key", "at"),
                      Index("ix_token_failures_at", "at"))

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100))
    at: Mapped[float] = mapped_column(Float)


class TokenTurn(Base):
    """When a throttled token prefix last had its rationed argon2 check (``hub.throttle``),
    shared by the hub's workers on PostgreSQL: a turn is taken by a conditional UPDATE."""

    __tablename__ = "token_turns"

    lookup: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[float] = mapped_column(Float)


class DeviceToken(Base):
    """A till's bearer token on the hub, stored hashed."""

    __tablename__ = "device_tokens"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"))
    name: Mapped[str] = mapped_column(String(200))
    lookup: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # An admin device (back office): admins may act on it and admin actions are accepted
    # from it; a till (False) never sees an admin's PIN hash (docs/security.md).
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]


class IdempotencyRecord(Base):
    """The first response to a write request, replayed for a repeat of its key.

    A key belongs to the device (token) and staff member that used it: the same key from
    another till or staff member is another request, never a replay of this one (issue 9).
    Rows from before that rule have both set to '' (migration 0003_idempotency_scope).
    """

    __tablename__ = "idempotency_records"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    body_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[Any | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class DigestRow(Base):
    """One synced record's fingerprint as last kept (``engine.digest_keeper``): what a change
    to the record takes out of its bucket before adding the new one. Keyed by bucket first,
    so a drill-down reads one bucket's rows as a range and a first sync's pages (in id order
    per type) append at 256 places, not at random."""

    __tablename__ = "digest_rows"
    __table_args__ = {"sqlite_with_rowid": False}

    entity_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(Id, primary_key=True)
    # The fingerprint's 64 bits as a signed BIGINT (both backends' widest integer).
    hash: Mapped[int] = mapped_column(BigInteger)


class DigestBucket(Base):
    """Per synced type and id bucket, how many records and the sum of their fingerprints mod
    2**64, kept in each write's transaction (``engine.digest_keeper``; SPEC §6 "Verify")."""

    __tablename__ = "digest_buckets"

    entity_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer)
    hash: Mapped[int] = mapped_column(BigInteger)


class KeyValue(Base):
    """A till's small key/value state: the hub it syncs with, the feed cursor, a first sync's
    resume point. Not the programme policy (``engine.context.Policy``). The table keeps its
    first name, ``settings`` (no migration)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any | None] = mapped_column(JSON)
