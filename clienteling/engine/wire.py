"""Records in Omneo's v3 wire shape (SPEC §7): times as ISO 8601 in UTC with an
explicit offset, money as decimal strings. Used for hub responses, outbox bodies,
audit snapshots and the change feed, so there is one shape everywhere.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from clienteling.engine import rules
from clienteling.engine.frozen import (
    AuditEventRecord,
    BenefitDefinitionRecord,
    BenefitRecord,
    ProfileRecord,
    PurchaseRecord,
    ReactionRecord,
    RedemptionTransaction,
    RewardDefinitionRecord,
    RewardRecord,
    StaffRecord,
    StoreRecord,
)
from clienteling.engine.models import (
    AuditEvent,
    Benefit,
    BenefitDefinition,
    Profile,
    Purchase,
    Reaction,
    Redemption,
    Reward,
    RewardDefinition,
    Staff,
    Store,
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


BENEFIT_DEFINITION_TEXT = (
    "name", "handle", "description", "short_description", "long_description",
    "terms_conditions", "earn_instructions", "redeem_instructions_store",
    "redeem_instructions_online", "internal_notes", "redeem_code_pos", "redeem_code_online",
    "icon", "image_url", "remind_target_id", "extend_target_id", "issue_target_id", "category",
)
BENEFIT_DEFINITION_INTS = (
    "period", "max_redemptions", "max_global_redemptions", "total_allocations",
    "notify_schedule_offset", "notify_issue_offset_days", "notify_issue_offset_hour",
    "notify_remind_offset_days", "notify_remind_offset_hour", "notify_extend_offset_days",
    "notify_extend_offset_hour",
)
BENEFIT_DEFINITION_FLAGS = (
    "is_claimable", "is_extendable", "is_assignable", "is_reassignable", "is_published",
    "is_archived",
)
BENEFIT_DEFINITION_TIMES = ("claim_period_start_at", "claim_period_end_at", "end_at")
BENEFIT_DEFINITION_JSON = (
    "claim_condition", "visibility_condition", "claim_timeframe", "discount", "tags",
)


def benefit_definition(d: BenefitDefinition | BenefitDefinitionRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"id": d.id}
    for name in BENEFIT_DEFINITION_TEXT + BENEFIT_DEFINITION_INTS + BENEFIT_DEFINITION_FLAGS:
        out[name] = getattr(d, name)
    out["is_reclaimable"] = d.is_reclaimable
    for name in BENEFIT_DEFINITION_TIMES:
        out[name] = iso(getattr(d, name))
    for name in BENEFIT_DEFINITION_JSON:
        out[name] = getattr(d, name)
    out["total_global_redemptions"] = d.total_global_redemptions
    out["total_issued"] = d.total_issued
    out["version"] = d.version
    out["created_at"] = iso(d.created_at)
    out["updated_at"] = iso(d.updated_at)
    return out


def benefit_record(b: Benefit | BenefitRecord) -> dict[str, Any]:
    """The stored fields only (audit snapshots and sync): nothing computed from "now"."""
    return {
        "id": b.id,
        "profile_id": b.profile_id,
        "benefit_definition_id": b.benefit_definition_id,
        "external_id": b.external_id,
        "issued_at": iso(b.issued_at),
        "expires_at": iso(b.expires_at),
        "timezone": b.timezone,
        "claimed_at": iso(b.claimed_at),
        "redemptions_remaining": b.redemptions_remaining,
        "meta": b.meta,
        "redeem_code_pos": b.redeem_code_pos,
        "redeem_code_online": b.redeem_code_online,
        "source": b.source,
        "issued_by": b.issued_by_staff_id,
        "created_at": iso(b.created_at),
        "updated_at": iso(b.updated_at),
    }


def benefit(b: Benefit | BenefitRecord, now: datetime, *, embed_definition: bool = True) -> dict[str, Any]:
    """Seed 002's shape: the stored fields plus the state B2 computes at read time."""
    state = rules.benefit_state(b, now)
    out = benefit_record(b)
    out.update(
        is_expired=state.is_expired,
        is_redeemable=state.is_redeemable,
        not_redeemable_reason=state.reason,
        total_global_redemptions_remaining=state.total_global_redemptions_remaining,
    )
    if embed_definition:
        out["definition"] = benefit_definition(b.definition)
    return out


def reward_definition(d: RewardDefinition | RewardDefinitionRecord) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "handle": d.handle,
        "type": d.type,
        "description": d.description,
        "value": money(d.value),
        "max_value": money(d.max_value),
        "period": d.period,
        "is_extendable": d.is_extendable,
        "extend_days": d.extend_days,
        "excluded_categories": d.excluded_categories,
        "is_published": d.is_published,
        "is_archived": d.is_archived,
        "version": d.version,
        "created_at": iso(d.created_at),
        "updated_at": iso(d.updated_at),
    }


def reward(r: Reward | RewardRecord, now: datetime | None = None, *,
           embed_definition: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id,
        "profile_id": r.profile_id,
        "reward_definition_id": r.reward_definition_id,
        "external_id": r.external_id,
        "value_initial": money(r.value_initial),
        "value_remaining": money(r.value_remaining),
        "issued_at": iso(r.issued_at),
        "expires_at": iso(r.expires_at),
        "timezone": r.timezone,
        "is_active": r.is_active,
        "extended_at": iso(r.extended_at),
        "issued_by": r.issued_by_staff_id,
        "reason": r.reason,
        "meta": r.meta,
        "source": r.source,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }
    if now is not None:
        out["is_expired"] = r.expires_at is not None and r.expires_at <= now
    if embed_definition:
        out["definition"] = reward_definition(r.definition)
    return out


def redemption(r: Redemption | RedemptionTransaction) -> dict[str, Any]:
    return {
        "id": r.id,
        "profile_id": r.profile_id,
        "type": r.type,
        "total": money(r.total),
        "location_id": r.location_id,
        "staff_id": r.staff_id,
        "transaction_receipt_ref": r.transaction_receipt_ref,
        "redeem_at": iso(r.redeem_at),
        "reversal_of_id": r.reversal_of_id,
        "reversed_by_id": r.reversed_by_id,
        "meta": r.meta,
        "created_at": iso(r.created_at),
        "items": [
            {"type": i.type, "id": i.item_id, "value": money(i.value), "count": i.count}
            for i in r.items
        ],
    }


def purchase(p: Purchase | PurchaseRecord) -> dict[str, Any]:
    """A sale or a return (SPEC 3.8); a return's amounts are negative."""
    return {
        "id": p.id,
        "profile_id": p.profile_id,
        "store_id": p.store_id,
        "staff_id": p.staff_id,
        "occurred_at": iso(p.occurred_at),
        "receipt_ref": p.receipt_ref,
        "total": money(p.total),
        "eligible_spend": money(p.eligible_spend),
        "returns_purchase_id": p.returns_purchase_id,
        "lines": p.lines,
        "source": p.source,
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def reaction(r: Reaction | ReactionRecord) -> dict[str, Any]:
    """A reaction as it is synced (SPEC 3.9): the API adds ``problem`` (``ReactionRecord.wire``)."""
    return {
        "id": r.id,
        "handle": r.handle,
        "name": r.name,
        "trigger": r.trigger,
        "condition": r.condition,
        "effect": r.effect,
        "limit": r.limit,
        "active_from": iso(r.active_from),
        "active_to": iso(r.active_to),
        "enabled": r.enabled,
        "archived": r.archived,
        "version": r.version,
        "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at),
    }


def profile(p: Profile | ProfileRecord) -> dict[str, Any]:
    return {
        "id": p.id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "email": p.email,
        "mobile_phone": p.mobile_phone,
        "gender": p.gender,
        "birth_date": day(p.birth_date),
        "tier": p.tier,
        "join_date": day(p.join_date),
        "home_store_id": p.home_store_id,
        "attributes": p.attributes or {},
        "lifetime_spend": money(p.lifetime_spend),
        "last_purchase_at": iso(p.last_purchase_at),
        "identities": [
            {"handle": i.handle, "identifier": i.identifier} for i in p.identities
        ],
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
    }


def staff(s: Staff | StaffRecord, *, with_pin_hash: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.id,
        "username": s.username,
        "display_name": s.display_name,
        "role": s.role,
        "store_id": s.store_id,
        "is_active": s.is_active,
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
    }
    if with_pin_hash:
        out["pin_hash"] = s.pin_hash
    return out


def store(s: Store | StoreRecord) -> dict[str, Any]:
    return {"id": s.id, "name": s.name, "timezone": s.timezone, "created_at": iso(s.created_at),
            "updated_at": iso(s.updated_at)}


def audit_event(e: AuditEvent | AuditEventRecord) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "id": e.id,
        "at": iso(e.at),
        "staff_id": e.staff_id,
        "store_id": e.store_id,
        "action": e.action,
        "entity_type": e.entity_type,
        "entity_id": e.entity_id,
        "profile_id": e.profile_id,
        "before": e.before,
        "after": e.after,
        "meta": e.meta,
    }
