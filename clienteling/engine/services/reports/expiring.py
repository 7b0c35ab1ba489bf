"""Expiring soon (SPEC §5): the call list of customers whose reward dollars or redeemable
benefits expire within N days, most value first.

One aggregate query: the expiring rewards and benefits are read from covering indexes and
stacked (``UNION ALL``), grouped per customer once (a store's customers kept by one list
from ``ix_profiles_home_store``), sorted and capped in SQL with the totals over every
customer computed beside it; then the page's profiles, by id, for contact details.
A customer whose profile attribute ``marketing_opt_in`` is ``false`` is marked as opted out
of contact (docs/reports.md).

On PostgreSQL the grouping is a hash aggregate of every customer in the window (377,000 at
1,000,000 profiles), so the read is given the memory to keep it whole and no JIT, the group
key is compared byte for byte (``COLLATE "C"``: the same groups, a quarter less time), and a
store's customers are a semi-join before the grouping: as ``HAVING … IN`` PostgreSQL ran the
store's list as a plain subplan once a store's list outgrew ``work_mem`` — scanned once per
customer, minutes at 1M (docs/reports.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Integer, func, literal, or_, select, text, true, type_coerce, union_all
from sqlalchemy.orm import Session

from clienteling.engine.models import Benefit, BenefitDefinition, Profile, Reward
from clienteling.engine.rules import add_local_days
from clienteling.engine.services.reports.live import definition_redeemable
from clienteling.engine.services.reports.scope import ReportScope

MAX_DAYS = 3660
DEFAULT_LIMIT = 200
MAX_LIMIT = 5000
OPT_IN_ATTRIBUTE = "marketing_opt_in"


@dataclass(frozen=True)
class ExpiringCustomer:
    profile_id: str
    first_name: str
    last_name: str
    email: str | None
    mobile_phone: str | None
    reward_dollars: Decimal
    rewards: int
    benefits: int
    first_expiry: datetime
    opted_out: bool


@dataclass(frozen=True)
class ExpiringReport:
    scope: ReportScope
    as_of: datetime
    days: int
    until: datetime
    customers: tuple[ExpiringCustomer, ...]
    total_customers: int  # all that match; ``customers`` holds the first ``limit``
    total_reward_dollars: Decimal  # over every matching customer, not only those listed
    total_benefits: int


#: PostgreSQL settings for the report's own read transaction (``SET LOCAL``).
POSTGRES_READ = (text("SET LOCAL work_mem = '128MB'"), text("SET LOCAL jit = off"))


def expiring(s: Session, scope: ReportScope, now: datetime, days: int,
             limit: int) -> ExpiringReport:
    until = add_local_days(now, days, scope.timezone)
    postgres = s.get_bind().dialect.name == "postgresql"
    if postgres:
        for setting in POSTGRES_READ:
            s.execute(setting)
    # Money is stored as whole cents (types.Money): summing the raw integers is exact, and
    # the stacked query needs one integer type for both halves.
    cents = type_coerce(Reward.value_remaining, Integer)
    # B2's definition part as a list of the open definitions (a few hundred), so each half
    # reads only its covering index (0012: expires_at, profile_id and the counted columns).
    open_definitions = select(BenefitDefinition.id).where(definition_redeemable(now))
    rewards = (select(Reward.profile_id.label("profile_id"), cents.label("cents"),
                      literal(1).label("rewards"), literal(0).label("benefits"),
                      Reward.expires_at.label("expires_at"))
               .where(Reward.expires_at > now, Reward.expires_at <= until,
                      Reward.is_active.is_(True), Reward.value_remaining > 0))
    benefits = (select(Benefit.profile_id.label("profile_id"), literal(0).label("cents"),
                       literal(0).label("rewards"), literal(1).label("benefits"),
                       Benefit.expires_at.label("expires_at"))
                .where(Benefit.expires_at > now, Benefit.expires_at <= until,
                       or_(Benefit.redemptions_remaining.is_(None),
                           Benefit.redemptions_remaining > 0),
                       Benefit.benefit_definition_id.in_(open_definitions)))
    stacked = union_all(rewards, benefits).subquery()
    key = stacked.c.profile_id.collate("C") if postgres else stacked.c.profile_id
    # Each customer's sums once, kept (MATERIALIZED) for both the page and the totals: a
    # window aggregate over every customer cost a third more at 1,000,000 profiles.
    grouped = (select(key.label("profile_id"),
                      func.sum(stacked.c.cents).label("cents"),
                      func.sum(stacked.c.rewards).label("rewards"),
                      func.sum(stacked.c.benefits).label("benefits"),
                      func.min(stacked.c.expires_at).label("first_expiry"))
               .group_by(key))
    if scope.store_id is not None:  # the chain's view needs no home store
        store = select(Profile.id).where(Profile.home_store_id == scope.store_id)
        if postgres:
            grouped = grouped.where(stacked.c.profile_id.in_(store))
        else:
            # Each customer's sums checked once against a list of the store's customers
            # made once from ix_profiles_home_store: per row of each half, it was made
            # twice and probed half a million times at 1,000,000 profiles.
            grouped = grouped.having(stacked.c.profile_id.in_(store))
    per = grouped.cte("per").prefix_with("MATERIALIZED")
    order = (per.c.cents.desc(), per.c.benefits.desc(), per.c.first_expiry, per.c.profile_id)
    page = (select(per.c.profile_id, per.c.cents, per.c.rewards, per.c.benefits,
                   per.c.first_expiry).order_by(*order).limit(limit).subquery())
    # Over every matching customer, not only the page (limit >= 1, so no page, no customer).
    totals = select(func.count().label("n"), func.sum(per.c.cents).label("cents"),
                    func.sum(per.c.benefits).label("benefits")).subquery()
    rows = s.execute(
        select(page.c.profile_id, page.c.cents, page.c.rewards, page.c.benefits,
               page.c.first_expiry, totals.c.n, totals.c.cents, totals.c.benefits)
        .join(totals, true())
        .order_by(page.c.cents.desc(), page.c.benefits.desc(), page.c.first_expiry,
                  page.c.profile_id)
    ).all()
    # The page's profiles in a read of their own, by id: joined in the statement above, the
    # planner (which cannot know the page is 200 rows) hashed all 1,000,000 profiles to
    # find them on PostgreSQL.
    opt_in = Profile.attributes[OPT_IN_ATTRIBUTE].as_boolean()
    contact = {row[0]: row[1:] for row in s.execute(
        select(Profile.id, Profile.first_name, Profile.last_name, Profile.email,
               Profile.mobile_phone, opt_in).where(Profile.id.in_([r[0] for r in rows])))
    } if rows else {}
    customers = tuple(
        ExpiringCustomer(pid, first, last, email, phone, _money(c), int(r), int(b),
                         _aware(first_expiry), opted_in is False)
        for pid, c, r, b, first_expiry, *_ in rows
        for first, last, email, phone, opted_in in [contact[pid]])
    count, cents_total, benefit_total = rows[0][-3:] if rows else (0, 0, 0)
    return ExpiringReport(scope, now, days, until, customers, int(count), _money(cents_total),
                          int(benefit_total))


def _money(cents: int | Decimal) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def _aware(value: datetime | str) -> datetime:
    """A UTC instant, whichever way the driver hands back the stored naive-UTC (SQLite) or
    aware (PostgreSQL) value through the stacked query."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
