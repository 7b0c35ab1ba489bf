"""What each report's chart plots, as exact numbers (no Qt): categories along the axis and one
series of values per bar set. Kept apart from the drawing so a test can check the chart adds
up to the table and the CSV."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from clienteling.engine.services.reports import (
    ExpiringReport,
    LiabilityReport,
    ReactionsReport,
    RedemptionsReport,
)

ZERO = Decimal("0.00")
TOP_CUSTOMERS = 15  # the call list's chart shows the most valuable; the table has them all


@dataclass(frozen=True)
class ChartData:
    title: str
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[Decimal, ...]], ...]  # (bar set name, one value per category)
    stacked: bool
    value_title: str
    horizontal: bool = False  # bars along names (a call list's customers) read better across


def liability_chart(report: LiabilityReport) -> ChartData:
    months = report.months
    by_cell = {(c.month, c.reward_type): c.amount for c in report.cells}
    series = tuple((kind, tuple(by_cell.get((m, kind), ZERO) for m in months))
                   for kind in report.reward_types)
    return ChartData(f"Reward dollars owed by expiry month — total {report.total}", months,
                     series, True, "Reward dollars")


def expiring_chart(report: ExpiringReport) -> ChartData:
    top = report.customers[:TOP_CUSTOMERS]
    names = tuple(f"{c.first_name} {c.last_name}" for c in top)
    return ChartData(f"Expiring within {report.days} days — {report.total_customers} customers, "
                     f"{report.total_reward_dollars} reward dollars", names,
                     (("Reward dollars", tuple(c.reward_dollars for c in top)),
                      ("Benefits", tuple(Decimal(c.benefits) for c in top))),
                     False, "Reward dollars / benefits", horizontal=True)


def redemptions_chart(report: RedemptionsReport) -> ChartData:
    days = tuple(b.start.isoformat() for b in report.buckets)
    return ChartData(f"Redemptions by {report.by} — {report.total.net_dollars} reward dollars, "
                     f"{report.total.net_uses} benefit uses (net of voids)", days,
                     (("Reward dollars", tuple(b.figures.reward_dollars for b in report.buckets)),
                      ("Voided dollars", tuple(b.figures.voided_dollars for b in report.buckets)),
                      ("Benefit uses", tuple(Decimal(b.figures.benefit_uses)
                                             for b in report.buckets))),
                     False, "Dollars / uses")


def reactions_chart(report: ReactionsReport) -> ChartData:
    """Issued beside redeemed beside expired unused, per reaction (counts of instances); the
    reward dollars are in the title and the table."""
    lines = report.reactions
    t = report.total
    return ChartData(f"Reactions — {t.issued} issued, {t.redeemed} redeemed, "
                     f"{t.expired_unused} expired unused, {t.reward_dollars} reward dollars "
                     "issued", tuple(x.name for x in lines),
                     (("Issued", tuple(Decimal(x.issued) for x in lines)),
                      ("Redeemed", tuple(Decimal(x.redeemed) for x in lines)),
                      ("Expired unused", tuple(Decimal(x.expired_unused) for x in lines))),
                     False, "Benefits and rewards", horizontal=True)


def chart_data(report: LiabilityReport | ExpiringReport | RedemptionsReport | ReactionsReport
               ) -> ChartData:
    if isinstance(report, LiabilityReport):
        return liability_chart(report)
    if isinstance(report, ExpiringReport):
        return expiring_chart(report)
    if isinstance(report, ReactionsReport):
        return reactions_chart(report)
    return redemptions_chart(report)
