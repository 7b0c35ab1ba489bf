"""What the sync-under-faults tests count (issue 8, must-shows 3 and 7): every change a till
made has exactly one effect on the hub, or none when the hub refused it (and then it is in
the till's Conflicts, not lost); no limit is broken on the hub or a till.

The ledger is the audit trail: a till change writes one audit event and one outbox entry in
its transaction (and the remote door writes no audit event), and the hub writes one audit
event when it applies the change; a replay of an idempotency key writes none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select

from clienteling.engine.models import (
    AuditEvent,
    Benefit,
    BenefitDefinition,
    IdempotencyRecord,
    OutboxEntry,
    Redemption,
    RedemptionItem,
    Reward,
    Staff,
)
from clienteling.engine.services import Clienteling
from tests.internals import context_of

# The audit actions a till change of the scenarios writes, one event per change, on the till
# and (once applied) on the hub.
ACTIONS = ("benefit.redeem", "reward.redeem", "benefit.claim", "benefit.issue", "reward.issue",
           "profile.update")
MANAGER_CAP = Decimal("100.00")
# Refusals the scenarios provoke on purpose (the shared cap); any other is a bug.
EXPECTED_CONFLICTS = frozenset({"global_limit_reached"})


class Till(Protocol):
    name: str
    cl: Clienteling
    made: Counter[str]


class Hub(Protocol):
    audit_baseline: int


def till_entries(cl: Clienteling) -> list[OutboxEntry]:
    with context_of(cl).reading() as s:
        entries = list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))
        s.expunge_all()
    return entries


def action_events(cl: Clienteling, after_seq: int = 0) -> Counter[tuple[str, str]]:
    with context_of(cl).reading() as s:
        rows = s.execute(select(AuditEvent.entity_type, AuditEvent.entity_id).where(
            AuditEvent.action.in_(ACTIONS), AuditEvent.seq > after_seq)).all()
    return Counter((t, i) for t, i in rows)


@dataclass
class Accounting:
    changes: int
    applied: int
    refused: int
    parked: int
    conflict_codes: Counter[str]


def account(tills: list[Till], hub_cl: Clienteling, hub: Hub) -> Accounting:
    """Every till change has exactly one effect on the hub, or none when the hub refused it
    (and then it is in the till's Conflicts with the reason, not lost)."""
    expected_on_hub: Counter[tuple[str, str]] = Counter()
    done_keys: list[str] = []
    changes = refused = parked = 0
    codes: Counter[str] = Counter()
    for till in tills:
        made = sum(till.made.values())
        events = action_events(till.cl)
        entries = till_entries(till.cl)
        # Each local change wrote one audit event and one outbox entry: none lost locally.
        assert sum(events.values()) == made, (till.name, sum(events.values()), made)
        assert Counter((e.entity_type, e.entity_id) for e in entries) == events, till.name
        statuses = Counter(e.status for e in entries)
        # Nothing waiting: a refusal holds back only what depends on it (parked), and no
        # manager had to dismiss anything for the rest to go.
        assert set(statuses) <= {"done", "conflict", "parked"}, (till.name, statuses)
        for e in entries:
            if e.status == "done":
                expected_on_hub[(e.entity_type, e.entity_id)] += 1
                done_keys.append(e.idempotency_key)
            elif e.last_code == "depends_on_refused":
                parked += 1
                codes[f"parked:{e.last_code}"] += 1
            else:
                refused += 1
                codes[e.last_code or "?"] += 1
        changes += made
    on_hub = action_events(hub_cl, hub.audit_baseline)
    missing = expected_on_hub - on_hub
    extra = on_hub - expected_on_hub
    assert not missing, f"till changes never applied on the hub: {list(missing.items())[:5]}"
    assert not extra, f"hub effects applied twice or from nowhere: {list(extra.items())[:5]}"
    with context_of(hub_cl).reading() as s:
        keyed = Counter(s.scalars(select(IdempotencyRecord.key).where(
            IdempotencyRecord.key.in_(done_keys))).all()) if done_keys else Counter()
        statuses = Counter(s.scalars(select(IdempotencyRecord.status_code).where(
            IdempotencyRecord.key.in_(done_keys))).all()) if done_keys else Counter()
    assert set(keyed.values()) <= {1} and len(keyed) == len(done_keys), (
        "an applied entry's key is not on the hub exactly once")
    assert all(200 <= code < 300 for code in statuses), statuses
    unexpected = {c for c in codes if c not in EXPECTED_CONFLICTS
                  and c != "parked:depends_on_refused"}
    assert not unexpected, f"refusals the scenario does not provoke: {codes}"
    return Accounting(changes, sum(expected_on_hub.values()), refused, parked, codes)


def check_limits(cl: Clienteling, where: str) -> None:
    """No balance negative, no benefit used beyond its uses, no global cap exceeded, no
    manager-issued reward above the manager's cap (on a till or the hub)."""
    with context_of(cl).reading() as s:
        negative = s.scalar(select(func.count()).select_from(Reward).where(
            Reward.value_remaining < 0))
        assert negative == 0, f"{where}: {negative} rewards with a negative balance"
        over = s.scalar(select(func.count()).select_from(Reward).where(
            Reward.value_remaining > Reward.value_initial))
        assert over == 0, f"{where}: {over} rewards with more left than issued"
        below = s.scalar(select(func.count()).select_from(Benefit).where(
            Benefit.redemptions_remaining < 0))
        assert below == 0, f"{where}: {below} benefits used beyond their uses"
        for d in s.scalars(select(BenefitDefinition).where(
                BenefitDefinition.max_global_redemptions.is_not(None))):
            assert d.total_global_redemptions <= (d.max_global_redemptions or 0), (
                where, d.handle, d.total_global_redemptions)
        manager_ids = s.scalars(select(Staff.id).where(Staff.role == "manager")).all()
        too_big = s.scalar(select(func.count()).select_from(Reward).where(
            Reward.issued_by_staff_id.in_(manager_ids), Reward.reason == "soak",
            Reward.value_initial > MANAGER_CAP))
        assert too_big == 0, f"{where}: {too_big} manager rewards over the cap"


def shared_redemptions(cl: Clienteling, shared_id: str) -> tuple[int, int]:
    """(redemptions of the shared benefit, the definition's global count)."""
    with context_of(cl).reading() as s:
        used = s.scalar(select(func.count()).select_from(RedemptionItem)
                        .join(Benefit, Benefit.id == RedemptionItem.item_id)
                        .join(Redemption, Redemption.id == RedemptionItem.redemption_id)
                        .where(Benefit.benefit_definition_id == shared_id,
                               RedemptionItem.type == "benefit", Redemption.type == "redeem"))
        total = s.scalar(select(BenefitDefinition.total_global_redemptions).where(
            BenefitDefinition.id == shared_id))
    return int(used or 0), int(total or 0)
