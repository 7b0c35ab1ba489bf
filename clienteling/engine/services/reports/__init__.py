"""Reports a manager reads at a glance (SPEC §5, §3.7): ``cl.reports``.

Each report is computed by SQL aggregates in one read and returned as a frozen record; the
hub and the desktop render the same record (``reports.csv_export`` gives both the same CSV).
Parameters arrive as the hub's query strings or as typed values from the desktop; bad ones
raise ``ValidationError`` naming the parameter (``from``, ``to``, ``by``, ``days``,
``limit``, ``store_id``) before anything is read.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from clienteling.engine import report_totals
from clienteling.engine.context import Context
from clienteling.engine.errors import DomainError, ValidationError
from clienteling.engine.models import KeyValue
from clienteling.engine.permissions import Actor
from clienteling.engine.report_totals import DEFERRED_SETTING, NOT_READY
from clienteling.engine.services.reports.expiring import (
    DEFAULT_LIMIT,
    MAX_DAYS,
    MAX_LIMIT,
    ExpiringCustomer,
    ExpiringReport,
    expiring,
)
from clienteling.engine.services.reports.liability import (
    BenefitUses,
    LiabilityCell,
    LiabilityReport,
    liability,
)
from clienteling.engine.services.reports.reactions import (
    ReactionLine,
    ReactionsReport,
    reactions,
)
from clienteling.engine.services.reports.redemptions import (
    BucketLine,
    DefinitionLine,
    Figures,
    RedemptionsReport,
    StaffLine,
    redemptions,
)
from clienteling.engine.services.reports.scope import (
    BUCKETS,
    MAX_BUCKETS,
    ReportScope,
    bucket_starts,
    local_date,
    resolve_scope,
)

__all__ = [
    "BenefitUses", "BucketLine", "DefinitionLine", "ExpiringCustomer", "ExpiringReport",
    "Figures", "LiabilityCell", "LiabilityReport", "ReactionLine", "ReactionsReport",
    "RedemptionsReport", "ReportScope",
    "ReportService", "StaffLine",
]


FIRST_YEAR, LAST_YEAR = 1900, 2200


class ReportService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def liability(self, actor: Actor, *, store_id: str | None = None) -> LiabilityReport:
        if self.ctx.db.dialect != "sqlite":
            # The deltas the triggers appended since the last report, into the totals (a
            # short transaction of its own); the report adds in any committed after it.
            with self.ctx.db.writer.begin() as conn:
                report_totals.fold(conn)
        with self.ctx.reading() as s:
            scope = resolve_scope(s, actor, store_id)
            if s.scalar(select(KeyValue.value).where(KeyValue.key == DEFERRED_SETTING)):
                raise DomainError(NOT_READY)
            return liability(s, scope, self.ctx.clock.now())

    def expiring(self, actor: Actor, *, days: int | str = 30, limit: int | str = DEFAULT_LIMIT,
                 store_id: str | None = None) -> ExpiringReport:
        n = _whole(days, "days", 1, MAX_DAYS)
        cap = _whole(limit, "limit", 1, MAX_LIMIT)
        with self.ctx.reading() as s:
            scope = resolve_scope(s, actor, store_id)
            return expiring(s, scope, self.ctx.clock.now(), n, cap)

    def reactions(self, actor: Actor, *, store_id: str | None = None) -> ReactionsReport:
        """Per reaction: issued, redeemed, expired unused, reward dollars issued (RX5)."""
        with self.ctx.reading() as s:
            scope = resolve_scope(s, actor, store_id)
            return reactions(s, scope, self.ctx.clock.now())

    def redemptions(self, actor: Actor, *, start: date | str | None = None,
                    end: date | str | None = None, by: str = "day",
                    store_id: str | None = None) -> RedemptionsReport:
        """Redemptions from local day ``start`` to local day ``end`` (inclusive) in the scope's
        timezone; without them, the last 30 days to today."""
        first = _day(start, "from")
        last = _day(end, "to")
        if by not in BUCKETS:
            raise ValidationError.field("by", "must be one of day, week, month")
        with self.ctx.reading() as s:
            scope = resolve_scope(s, actor, store_id)
            now = self.ctx.clock.now()
            if last is None:
                last = local_date(now, scope.timezone)
            if first is None:
                first = date.fromordinal(last.toordinal() - 29)
            if last < first:
                raise ValidationError.field("to", f"ends ({last}) before the range starts "
                                            f"({first})")
            if len(bucket_starts(first, last, by, limit=MAX_BUCKETS + 1)) > MAX_BUCKETS:
                raise ValidationError.field("by", f"more than {MAX_BUCKETS} {by}s in the range: "
                                            "pick a longer bucket or a shorter range")
            return redemptions(s, scope, now, first, last, by)


def _whole(value: int | str, name: str, low: int, high: int) -> int:
    if isinstance(value, bool):
        raise ValidationError.field(name, "must be a positive whole number")
    if isinstance(value, str):
        text = value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValidationError.field(name, "must be a positive whole number")
        value = int(text[:12])
    if not isinstance(value, int) or value < low:
        raise ValidationError.field(name, "must be a positive whole number")
    if value > high:
        raise ValidationError.field(name, f"must be at most {high}")
    return value


def _day(value: date | str | None, name: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            value = date.fromisoformat(text) if len(text) == 10 else _bad_day(name)
        except ValueError:
            value = _bad_day(name)
    # Far-off years would overflow the calendar arithmetic (a bucket's end, a zone's offset).
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError.field(name, f"must be a date between {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _bad_day(name: str) -> date:
    raise ValidationError.field(name, "must be a date as YYYY-MM-DD")
