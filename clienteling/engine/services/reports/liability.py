"""Liability (SPEC §5): reward dollars still owed by local expiry month and reward type, and
benefit uses still redeemable by definition — from the kept totals (totals.py) and the few
rows at the months' edges, by aggregate queries; no instance is loaded."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, case, func, literal, select, true, type_coerce
from sqlalchemy.orm import Session

from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    Profile,
    Reward,
    RewardDefinition,
)
from clienteling.engine.report_totals import BENEFIT, DAY, MONTH, NONE, REWARD
from clienteling.engine.services.reports.live import (
    definition_redeemable,
    redeemable_benefit,
)
from clienteling.engine.services.reports.scope import (
    ReportScope,
    bucket_starts,
    local_date,
    local_midnight,
    next_bucket,
)
from clienteling.engine.services.reports.totals import (
    ROWS,
    Piece,
    kept,
    labelled,
    pieces_of,
    stacked,
    totals_where,
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
    # A live reward expires after now, so the months start at now's; each month's span is
    # read from the kept totals and the part-days at its edges from the rows (totals.py).
    starts = bucket_starts(local_date(now, scope.timezone), date.max, "month", limit=MAX_MONTHS)
    labels = [d.strftime("%Y-%m") for d in starts]
    bounds = [local_midnight(d, scope.timezone) for d in starts]
    bounds.append(local_midnight(next_bucket(starts[-1], "month"), scope.timezone))
    spans: list[tuple[datetime, datetime | None, str]] = [(now, bounds[1], labels[0])]
    spans += [(bounds[i], bounds[i + 1], labels[i]) for i in range(1, len(labels))]
    spans.append((bounds[-1], None, LATER))
    pieces = pieces_of(spans)

    amounts: dict[tuple[str, str], int] = defaultdict(int)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for month, kind, n, cents in _reward_parts(s, scope, now, pieces):
        if month is not None:
            amounts[(month, kind)] += int(cents or 0)
            counts[(month, kind)] += int(n or 0)
    order = {label: i for i, label in enumerate([*labels, LATER, NO_EXPIRY])}
    cells = sorted((LiabilityCell(m, t, _money(amounts[(m, t)])) for (m, t), n in counts.items()
                    if n > 0), key=lambda c: (order[c.month], c.reward_type))
    total = sum((c.amount for c in cells), ZERO)
    benefits = _benefit_uses(s, scope, now)
    return LiabilityReport(scope, now, tuple(cells), total, benefits)


def _reward_parts(s: Session, scope: ReportScope, now: datetime,
                  pieces: dict[str, list[Piece]]) -> list[Any]:
    """(month label, reward type, live rewards, cents) from the rows at the spans' edges, the
    kept days and months, and the kept no-expiry rewards."""
    rows: list[Any] = []
    if pieces[ROWS]:
        def edge(piece: Piece, inside: Any) -> Any:
            query = (select(literal(piece.label), RewardDefinition.type, func.count(),
                            func.sum(type_coerce(Reward.value_remaining, Integer)))
                     .join(RewardDefinition, RewardDefinition.id == Reward.reward_definition_id)
                     # Live (R3): an edge's instants are from now on, so no "or no expiry"
                     # and "after now" only where it starts at now (given for every edge,
                     # SQLite would read each from now).
                     .where(Reward.is_active.is_(True), Reward.value_remaining > 0, inside,
                            Reward.expires_at > now if piece.lo <= now else true()))
            return _of_store(query, Reward.profile_id, scope).group_by(RewardDefinition.type)
        rows += s.execute(stacked(pieces[ROWS], Reward.expires_at, edge)).all()
    totals = kept(s.get_bind().dialect.name)
    for grain in (DAY, MONTH):
        if pieces[grain]:
            label, inside = labelled(totals.c.bucket, pieces[grain])
            rows += s.execute(
                select(label, RewardDefinition.type, func.sum(totals.c.n),
                       func.sum(totals.c.amount))
                .join(RewardDefinition, RewardDefinition.id == totals.c.definition_id)
                .where(*totals_where(totals, REWARD, grain, scope.store_id), inside)
                .group_by(label, RewardDefinition.type)).all()
    rows += s.execute(
        select(literal(NO_EXPIRY), RewardDefinition.type, func.sum(totals.c.n),
               func.sum(totals.c.amount))
        .join(RewardDefinition, RewardDefinition.id == totals.c.definition_id)
        .where(*totals_where(totals, REWARD, NONE, scope.store_id))
        .group_by(RewardDefinition.type)).all()
    return rows


def _benefit_uses(s: Session, scope: ReportScope, now: datetime) -> tuple[BenefitUses, ...]:
    """Redeemable instances per definition (B2): the instance's part (unexpired, uses left)
    from the kept totals from now on, the definition's (window, global limit) in the join."""
    pieces = pieces_of([(now, None, "live")])
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    parts: list[Any] = []
    if pieces[ROWS]:
        _, inside = labelled(Benefit.expires_at, pieces[ROWS])
        query = (select(Benefit.benefit_definition_id, func.count(),
                        func.sum(func.coalesce(Benefit.redemptions_remaining, 0)),
                        func.sum(case((Benefit.redemptions_remaining.is_(None), 1), else_=0)))
                 .join(BenefitDefinition, BenefitDefinition.id == Benefit.benefit_definition_id)
                 .where(redeemable_benefit(now), inside))
        parts += s.execute(_of_store(query, Benefit.profile_id, scope)
                           .group_by(Benefit.benefit_definition_id)).all()
    totals = kept(s.get_bind().dialect.name)
    for grain, grain_pieces in ((DAY, pieces[DAY]), (MONTH, pieces[MONTH]), (NONE, [])):
        if grain != NONE and not grain_pieces:
            continue
        where = list(totals_where(totals, BENEFIT, grain, scope.store_id))
        if grain_pieces:
            where.append(labelled(totals.c.bucket, grain_pieces)[1])
        parts += s.execute(
            select(totals.c.definition_id, func.sum(totals.c.n),
                   func.sum(totals.c.amount), func.sum(totals.c.unlimited))
            .join(BenefitDefinition, BenefitDefinition.id == totals.c.definition_id)
            .where(definition_redeemable(now), *where)
            .group_by(totals.c.definition_id)).all()
    for definition_id, n, uses, unlimited in parts:
        slot = sums[definition_id]
        slot[0] += int(n or 0)
        slot[1] += int(uses or 0)
        slot[2] += int(unlimited or 0)
    live = {k: v for k, v in sums.items() if v[0] > 0}
    if not live:
        return ()
    names = s.execute(select(BenefitDefinition.id, BenefitDefinition.handle, BenefitDefinition.name)
                      .where(BenefitDefinition.id.in_(list(live)))).all()
    return tuple(BenefitUses(i, h, n, *live[i])
                 for i, h, n in sorted(names, key=lambda r: (r.name, r.id)))


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _of_store(query: Any, profile_id: Any, scope: ReportScope) -> Any:
    """The rows at the spans' edges are few: one store's are picked by a join to each one's
    profile (the chain's need none)."""
    if scope.store_id is None:
        return query
    return query.join(Profile, Profile.id == profile_id).where(
        Profile.home_store_id == scope.store_id)
