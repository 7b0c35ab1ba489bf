"""Reading a customer's profile on the engine worker into the plain frozen rows of
:mod:`clienteling.ui.profile.rows`, and creating or changing the customer's details.

The GUI thread only ever sees those dataclasses — never an ORM object — so nothing it
touches can lazy-load from the database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from clienteling.engine import rules
from clienteling.engine.models import AuditEvent, Benefit, Redemption, Reward
from clienteling.engine.money import format_money
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.profiles import condition_data
from clienteling.ui.common import formatting as fmt
from clienteling.ui.profile.rows import (
    CARD,
    BenefitRow,
    ClaimRow,
    ContactDetails,
    Header,
    HistoryRow,
    ProfileData,
    RewardRow,
)

SOON = timedelta(days=14)

def _benefit_row(b: Benefit, state: rules.BenefitState, pending: frozenset[str]) -> BenefitRow:
    d = b.definition
    return BenefitRow(
        id=b.id, definition_id=d.id, name=d.name,
        description=d.short_description or d.description,
        remaining=b.redemptions_remaining, max_redemptions=d.max_redemptions,
        issued_at=b.issued_at, expires_at=b.expires_at, source=b.source,
        redeemable=state.is_redeemable, reason=state.reason,
        reason_text=rules.MESSAGES.get(state.reason or "") if state.reason else None,
        code_pos=b.redeem_code_pos, code_online=b.redeem_code_online,
        extendable=bool(d.is_extendable), reassignable=bool(d.is_reassignable),
        pending=b.id in pending,
    )


def _reward_row(r: Reward, now: datetime, pending: frozenset[str]) -> RewardRow:
    live = rules.reward_is_live(r, now)
    d = r.definition
    return RewardRow(
        id=r.id, name=d.name, initial=r.value_initial, remaining=r.value_remaining,
        issued_at=r.issued_at, expires_at=r.expires_at, live=live,
        extendable=bool(d.is_extendable and d.extend_days and r.expires_at is not None),
        reason=r.reason, pending=r.id in pending,
    )


def _expiring(rewards: list[RewardRow], benefits: list[BenefitRow], now: datetime,
              tz: str) -> tuple[str, ...]:
    notes: list[tuple[datetime, str]] = []
    for r in rewards:
        if r.live and r.expires_at is not None and r.expires_at <= now + SOON:
            notes.append((r.expires_at, f"{format_money(r.remaining)} expires "
                                        f"{fmt.relative_days(r.expires_at, now, tz)}"))
    for b in benefits:
        if b.redeemable and b.expires_at is not None and b.expires_at <= now + SOON:
            notes.append((b.expires_at, f"{b.name} expires {fmt.relative_days(b.expires_at, now, tz)}"))
    notes.sort(key=lambda n: n[0])
    return tuple(text for _, text in notes[:3])


def load_header_parts(cl: Clienteling, profile_id: str, tz: str, rewards: list[RewardRow],
                      benefits: list[BenefitRow], pending: frozenset[str], now: datetime) -> Header:
    profile = cl.profiles.get(profile_id)
    cards = sorted(i.identifier for i in profile.identities)
    return Header(
        profile_id=profile.id,
        name=f"{profile.first_name} {profile.last_name}".strip(),
        tier=profile.tier, email=profile.email, phone=profile.mobile_phone,
        card=cards[0] if cards else None,
        balance=cl.rewards.balance(profile_id),
        expiring=_expiring(rewards, benefits, now, tz),
        pending=profile.id in pending,
        condition_data=condition_data(profile, now),
    )


def load_benefits(cl: Clienteling, profile_id: str,
                  pending: frozenset[str] | None = None) -> tuple[BenefitRow, ...]:
    pending = pending if pending is not None else cl.outbox.pending_ids(profile_id)
    return tuple(_benefit_row(i.benefit, i.state, pending) for i in cl.benefits.for_profile(profile_id))


def load_claimable(cl: Clienteling, profile_id: str, tz: str) -> tuple[ClaimRow, ...]:
    return tuple(
        ClaimRow(o.definition.id, o.definition.handle, o.definition.name,
                 o.definition.short_description or o.definition.description, o.claimable, o.code,
                 o.message, o.definition.max_redemptions)
        for o in cl.benefits.claim_options(profile_id, tz)
    )


def load_rewards(cl: Clienteling, profile_id: str,
                 pending: frozenset[str] | None = None) -> tuple[RewardRow, ...]:
    pending = pending if pending is not None else cl.outbox.pending_ids(profile_id)
    now = cl.ctx.clock.now()
    return tuple(_reward_row(r, now, pending) for r in cl.rewards.for_profile(profile_id))


def load_profile(cl: Clienteling, profile_id: str, tz: str) -> ProfileData:
    """Everything the panel shows for one profile (one trip to the worker)."""
    now = cl.ctx.clock.now()
    pending = cl.outbox.pending_ids(profile_id)
    benefits = load_benefits(cl, profile_id, pending)
    rewards = load_rewards(cl, profile_id, pending)
    header = load_header_parts(cl, profile_id, tz, list(rewards), list(benefits), pending, now)
    return ProfileData(header, benefits, load_claimable(cl, profile_id, tz), rewards, now)


def refresh_profile(cl: Clienteling, current: ProfileData, areas: frozenset[str],
                    tz: str) -> ProfileData:
    """Reload only the parts of ``current`` that ``areas`` say changed (GUIDE principle 2)."""
    pid = current.header.profile_id
    now = cl.ctx.clock.now()
    pending = cl.outbox.pending_ids(pid)
    benefits = (load_benefits(cl, pid, pending) if areas & {"benefits", "definitions"}
                else current.benefits)
    rewards = load_rewards(cl, pid, pending) if "rewards" in areas else current.rewards
    claimable = (load_claimable(cl, pid, tz) if areas & {"claimable", "benefits", "definitions"}
                 else current.claimable)
    if not areas & {"benefits", "definitions"}:
        benefits = tuple(replace(b, pending=b.id in pending) for b in benefits)
    if "rewards" not in areas:
        rewards = tuple(replace(r, pending=r.id in pending) for r in rewards)
    header = load_header_parts(cl, pid, tz, list(rewards), list(benefits), pending, now)
    return ProfileData(header, benefits, claimable, rewards, now)


_ACTIONS = {
    "profile.create": "Profile created",
    "profile.update": "Profile details changed",
}


def _event_text(e: AuditEvent, benefit_names: dict[str, str], defs: dict[str, str],
                reward_defs: dict[str, str], tz: str) -> tuple[str, str]:
    after: dict[str, Any] = e.after if isinstance(e.after, dict) else {}
    before: dict[str, Any] = e.before if isinstance(e.before, dict) else {}
    meta: dict[str, Any] = e.meta if isinstance(e.meta, dict) else {}
    record = after or before
    def_name = defs.get(str(record.get("benefit_definition_id")), "a benefit")
    amount = ""
    if e.action == "benefit.issue":
        text = f"Issued {def_name}"
    elif e.action == "benefit.claim":
        text = f"Claimed {def_name}"
    elif e.action == "benefit.redeem":
        name = benefit_names.get(str(meta.get("benefit_id")), "a benefit")
        left = meta.get("redemptions_remaining")
        text = f"Redeemed {name}" + (f" · {left} left" if left is not None else "")
    elif e.action in ("benefit.update", "benefit.extend"):
        when = after.get("expires_at")
        new = fmt.day(datetime.fromisoformat(when), tz) if when else "no expiry"
        verb = "Extended" if e.action == "benefit.extend" else "Set expiry of"
        text = f"{verb} {def_name} to {new}"
    elif e.action == "benefit.reassign":
        text = f"Moved {def_name} to another customer"
    elif e.action == "benefit.delete":
        text = f"Deleted {def_name}"
    elif e.action == "reward.issue":
        amount = format_money(Decimal(after.get("value_initial") or "0"))
        name = reward_defs.get(str(after.get("reward_definition_id")), "reward")
        reason = after.get("reason")
        text = f"Issued {name}" + (f" — {reason}" if reason else "")
    elif e.action == "reward.extend":
        when = after.get("expires_at")
        name = reward_defs.get(str(after.get("reward_definition_id")), "reward")
        text = f"Extended {name}" + (f" to {fmt.day(datetime.fromisoformat(when), tz)}" if when else "")
    elif e.action == "reward.redeem":
        amount = format_money(Decimal(after.get("total") or "0"))
        text = "Redeemed reward dollars"
    elif e.action == "redemption.void":
        total = Decimal(after.get("total") or "0")
        amount = format_money(total) if total else ""
        text = "Voided a redemption"
    else:
        text = _ACTIONS.get(e.action, e.action.replace(".", " ").replace("_", " ").capitalize())
    return text, amount


def load_history(cl: Clienteling, profile_id: str, tz: str) -> tuple[HistoryRow, ...]:
    """Audit events for this customer, newest first, with the redemptions that can be voided."""
    events = cl.rewards.history(profile_id, limit=200)
    redemptions: dict[str, Redemption] = {r.id: r for r in cl.rewards.redemptions(profile_id, limit=500)}
    staff = {s.id: s.display_name for s in cl.staff.list_staff(active_only=False)}
    defs = {d.id: d.name for d in cl.definitions.benefit_definitions()}
    reward_defs = {d.id: d.name for d in cl.definitions.reward_definitions()}
    benefit_names = {i.benefit.id: i.definition.name for i in cl.benefits.for_profile(profile_id)}
    for e in events:  # deleted benefits still have a name in their audit record
        if e.action == "benefit.delete" and isinstance(e.before, dict):
            benefit_names.setdefault(e.entity_id, defs.get(str(e.before.get("benefit_definition_id")),
                                                           "a benefit"))
    pending = cl.outbox.pending_ids(profile_id)
    rows = []
    for e in events:
        text, amount = _event_text(e, benefit_names, defs, reward_defs, tz)
        who = staff.get(e.staff_id or "", "System")
        meta = e.meta if isinstance(e.meta, dict) else {}
        if meta.get("authorised_by"):
            who += f" (authorised by {staff.get(meta['authorised_by'], 'a manager')})"
        redemption_id = None
        voided = False
        if e.action in ("benefit.redeem", "reward.redeem") and e.entity_id in redemptions:
            redemption_id = e.entity_id
            voided = redemptions[e.entity_id].reversed_by_id is not None
            if voided:
                text += " (voided)"
        rows.append(HistoryRow(e.at, text, who, amount, redemption_id, voided,
                               e.entity_id in pending))
    return tuple(rows)


# -- the customer's details ------------------------------------------------------------

def load_contact_details(cl: Clienteling, profile_id: str) -> ContactDetails:
    p = cl.profiles.get(profile_id)
    identities = sorted((i.handle, i.identifier) for i in p.identities)
    return ContactDetails(
        profile_id=p.id, first_name=p.first_name, last_name=p.last_name, email=p.email or "",
        mobile_phone=p.mobile_phone or "", gender=p.gender or "",
        birth_date=p.birth_date.isoformat() if p.birth_date else "", tier=p.tier or "",
        cards=tuple(i for h, i in identities if h == CARD),
        other_identities=tuple((h, i) for h, i in identities if h != CARD),
    )


def create_profile(cl: Clienteling, actor: Actor, data: dict[str, Any]) -> tuple[str, str]:
    profile = cl.profiles.create(actor, data)
    return profile.id, f"{profile.first_name} {profile.last_name}".strip()


def update_profile(cl: Clienteling, actor: Actor, profile_id: str,
                   changes: dict[str, Any]) -> tuple[str, str]:
    profile = cl.profiles.update(actor, profile_id, changes)
    return profile.id, f"{profile.first_name} {profile.last_name}".strip()
