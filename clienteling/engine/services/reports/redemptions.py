"""Redemptions (SPEC §5): what was redeemed at a store (or the chain) between two local dates,
by day/week/month, by staff member and by definition. Benefit uses (a count) and reward
dollars are kept apart; voids (reversal transactions, dated when the void happened) are shown
beside them, never silently netted.

Three aggregate queries over the redemption items (GROUP BY), one per breakdown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    Redemption,
    RedemptionItem,
    Reward,
    RewardDefinition,
    Staff,
)
from clienteling.engine.services.reports.scope import (
    ReportScope,
    bucket_case,
    bucket_starts,
    local_midnight,
)

ZERO = Decimal("0.00")
UNKNOWN = "(unknown)"


@dataclass(frozen=True)
class Figures:
    """Benefit uses and reward dollars redeemed, and those voided."""

    benefit_uses: int = 0
    reward_dollars: Decimal = ZERO
    voided_uses: int = 0
    voided_dollars: Decimal = ZERO

    @property
    def net_uses(self) -> int:
        return self.benefit_uses - self.voided_uses

    @property
    def net_dollars(self) -> Decimal:
        return self.reward_dollars - self.voided_dollars


@dataclass(frozen=True)
class BucketLine:
    start: date  # the bucket's first local day (a Monday for weeks, the 1st for months)
    figures: Figures


@dataclass(frozen=True)
class StaffLine:
    staff_id: str | None
    name: str
    figures: Figures


@dataclass(frozen=True)
class DefinitionLine:
    kind: str  # benefit | reward
    definition_id: str | None  # None: the instance was deleted since (B5)
    name: str
    figures: Figures


@dataclass(frozen=True)
class RedemptionsReport:
    scope: ReportScope
    as_of: datetime
    start: date
    end: date  # inclusive
    by: str
    buckets: tuple[BucketLine, ...]
    staff: tuple[StaffLine, ...]
    definitions: tuple[DefinitionLine, ...]
    total: Figures


def redemptions(s: Session, scope: ReportScope, now: datetime, start: date, end: date,
                by: str) -> RedemptionsReport:
    starts = bucket_starts(start, end, by)
    lower = local_midnight(start, scope.timezone)
    upper = local_midnight(date.fromordinal(end.toordinal() + 1), scope.timezone)
    # Bucket i runs from its local start (the range's start for the first) to the next one's.
    bounds = [lower, *(local_midnight(d, scope.timezone) for d in starts[1:]), upper]
    labels = [d.isoformat() for d in starts]
    bucket = bucket_case(Redemption.redeem_at, bounds, labels, before="", after="").label("bucket")

    where: list[Any] = [Redemption.redeem_at >= lower, Redemption.redeem_at < upper]
    if scope.store_id is not None:
        where.append(Redemption.location_id == scope.store_id)
    measures = (Redemption.type, RedemptionItem.type, func.sum(RedemptionItem.count),
                func.sum(RedemptionItem.value))

    def grouped(*keys: Any, joins: Iterable[tuple[Any, Any]] = ()) -> list[Any]:
        q = select(*keys, *measures).join(Redemption, Redemption.id == RedemptionItem.redemption_id)
        for target, on in joins:
            q = q.outerjoin(target, on)
        return list(s.execute(q.where(*where).group_by(*keys, Redemption.type,
                                                        RedemptionItem.type)).all())

    per_bucket = _fold_rows(grouped(bucket), 1)
    buckets = tuple(BucketLine(d, per_bucket.get((d.isoformat(),), Figures())) for d in starts)

    per_staff = _fold_rows(grouped(Redemption.staff_id, Staff.display_name,
                                   joins=[(Staff, Staff.id == Redemption.staff_id)]), 2)
    staff = tuple(sorted((StaffLine(sid, name or UNKNOWN, f) for (sid, name), f in per_staff.items()),
                         key=lambda line: (line.name, line.staff_id or "")))

    definition_id = func.coalesce(Benefit.benefit_definition_id, Reward.reward_definition_id)
    definition_name = func.coalesce(BenefitDefinition.name, RewardDefinition.name)
    per_definition = _fold_rows(grouped(
        RedemptionItem.type.label("kind"), definition_id.label("definition_id"),
        definition_name.label("definition_name"),
        joins=[(Benefit, and_(RedemptionItem.type == "benefit", Benefit.id == RedemptionItem.item_id)),
               (BenefitDefinition, BenefitDefinition.id == Benefit.benefit_definition_id),
               (Reward, and_(RedemptionItem.type == "reward", Reward.id == RedemptionItem.item_id)),
               (RewardDefinition, RewardDefinition.id == Reward.reward_definition_id)]), 3)
    definitions = tuple(sorted(
        (DefinitionLine(kind, did, name or UNKNOWN, f)
         for (kind, did, name), f in per_definition.items()),
        key=lambda line: (line.kind, line.name, line.definition_id or "")))

    total = _sum(line.figures for line in buckets)
    return RedemptionsReport(scope, now, start, end, by, buckets, staff, definitions, total)


def _fold_rows(rows: list[Any], keys: int) -> dict[tuple[Any, ...], Figures]:
    """Rows of ``(*key, redemption type, item type, sum(count), sum(value))`` into Figures per
    key: a benefit item counts uses, a reward item dollars; a reversal counts as voided."""
    acc: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, ZERO, 0, ZERO])
    for row in rows:
        key, (rtype, itype, count, value) = tuple(row[:keys]), row[keys:]
        slot = acc[key]
        void = 2 if rtype == "reversal" else 0
        if itype == "benefit":
            slot[void] += int(count or 0)
        else:
            slot[void + 1] += value if value is not None else ZERO
    return {k: Figures(*v) for k, v in acc.items()}


def _sum(figures: Iterable[Figures]) -> Figures:
    lines = list(figures)
    return Figures(sum(f.benefit_uses for f in lines), sum((f.reward_dollars for f in lines), ZERO),
                   sum(f.voided_uses for f in lines), sum((f.voided_dollars for f in lines), ZERO))
