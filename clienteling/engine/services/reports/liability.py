"""Liability (SPEC §5): reward dollars still owed by local expiry month and reward type, and
benefit uses still redeemable by definition — three aggregate queries, no row loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from clienteling.engine.models import Benefit, BenefitDefinition, Profile, Reward, RewardDefinition
from clienteling.engine.services.reports.live import live_reward, redeemable_benefit
from clienteling.engine.services.reports.scope import (
    ReportScope,
    bucket_case,
    bucket_starts,
    local_date,
    local_midnight,
    next_bucket,
)

NO_EXPIRY = "no expiry"
LATER = "later"
MAX_MONTHS = 60  # five years of months; anything expiring after that is one "later" bar
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class LiabilityCell:
    """Reward dollars of one reward type expiring in one local month (``YYYY-MM``, or
    ``no expiry``, or ``later`` past five years)."""

    month: str
    reward_type: str
    amount: Decimal


@dataclass(frozen=True)
class BenefitUses:
    """Redeemable instances of one definition and the uses left on them; ``unlimited`` counts
    instances with no use limit (their uses are not in ``uses``)."""

    definition_id: str
    handle: str
    name: str
    instances: int
    uses: int
    unlimited: int


@dataclass(frozen=True)
class LiabilityReport:
    scope: ReportScope
    as_of: datetime
    cells: tuple[LiabilityCell, ...]
    total: Decimal
    benefits: tuple[BenefitUses, ...]

    @property
    def months(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.month for c in self.cells))

    @property
    def reward_types(self) -> tuple[str, ...]:
        return tuple(sorted({c.reward_type for c in self.cells}))


def liability(s: Session, scope: ReportScope, now: datetime) -> LiabilityReport:
    where = (live_reward(now),)
    # A live reward expires after now, so the months start at now's: no query for the
    # earliest expiry is needed, and months no reward expires in yield no group at all.
    starts = bucket_starts(local_date(now, scope.timezone), date.max, "month", limit=MAX_MONTHS)
    labels = [d.strftime("%Y-%m") for d in starts]
    bounds = [local_midnight(d, scope.timezone) for d in starts]
    bounds.append(local_midnight(next_bucket(starts[-1], "month"), scope.timezone))
    month = case((Reward.expires_at.is_(None), NO_EXPIRY),
                 else_=bucket_case(Reward.expires_at, bounds, labels, before=labels[0],
                                   after=LATER))
    labelled = month.label("month")
    rewards = (select(labelled, RewardDefinition.type, func.sum(Reward.value_remaining))
               .join(RewardDefinition, RewardDefinition.id == Reward.reward_definition_id))
    rows = s.execute(_of_customers(rewards, Reward.profile_id, scope)
                     .where(*where).group_by(labelled, RewardDefinition.type)).all()
    order = {label: i for i, label in enumerate([*labels, LATER, NO_EXPIRY])}
    cells = sorted((LiabilityCell(m, t, amount) for m, t, amount in rows),
                   key=lambda c: (order[c.month], c.reward_type))
    total = sum((c.amount for c in cells), ZERO)

    benefit_query = (
        select(BenefitDefinition.id, BenefitDefinition.handle, BenefitDefinition.name,
               func.count(Benefit.id),
               func.coalesce(func.sum(Benefit.redemptions_remaining), 0),
               func.sum(case((Benefit.redemptions_remaining.is_(None), 1), else_=0)))
        .join(BenefitDefinition, BenefitDefinition.id == Benefit.benefit_definition_id))
    benefit_rows = s.execute(
        _of_customers(benefit_query, Benefit.profile_id, scope)
        .where(redeemable_benefit(now))
        .group_by(BenefitDefinition.id, BenefitDefinition.handle, BenefitDefinition.name)
        .order_by(BenefitDefinition.name, BenefitDefinition.id)
    ).all()
    benefits = tuple(BenefitUses(i, h, n, int(c or 0), int(u or 0), int(x or 0))
                     for i, h, n, c, u, x in benefit_rows)
    return LiabilityReport(scope, now, tuple(cells), total, benefits)


def _of_customers(query: Any, profile_id: Any, scope: ReportScope) -> Any:
    """Joined to the customer's profile only for one store's view: the chain's needs no
    home store."""
    if scope.store_id is None:
        return query
    # A semi-join (IN a list made once) rather than a join: the planner may otherwise walk
    # the store's profiles and look each one's rows up, far slower than one scan.
    return query.where(profile_id.in_(
        select(Profile.id).where(Profile.home_store_id == scope.store_id)))
