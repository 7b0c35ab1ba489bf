"""Each report as one flat table (header and rows of text): the CSV the hub serves and the
desktop exports, column for column the same. Money as plain decimals to the cent, times as
local ISO 8601 in the report's timezone."""

from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo

from clienteling.engine.services.reports.expiring import ExpiringReport
from clienteling.engine.services.reports.liability import LiabilityReport
from clienteling.engine.services.reports.reactions import ReactionLine, ReactionsReport
from clienteling.engine.services.reports.redemptions import Figures, RedemptionsReport

Table = tuple[tuple[str, ...], list[tuple[str, ...]]]
Report = LiabilityReport | ExpiringReport | RedemptionsReport | ReactionsReport

LIABILITY_COLUMNS: tuple[str, ...] = (
    "kind", "expiry_month", "reward_type", "definition_id", "definition_name", "reward_dollars",
    "instances", "uses_outstanding", "unlimited_instances")
EXPIRING_COLUMNS: tuple[str, ...] = (
    "first_name", "last_name", "email", "mobile_phone", "opted_out", "reward_dollars",
    "rewards", "benefits", "first_expiry", "profile_id")
REDEMPTIONS_COLUMNS: tuple[str, ...] = (
    "breakdown", "key", "name", "benefit_uses", "voided_uses", "net_uses",
    "reward_dollars", "voided_dollars", "net_dollars")
REACTIONS_COLUMNS: tuple[str, ...] = (
    "kind", "handle", "name", "issued", "redeemed", "expired_unused", "reward_dollars")


def liability_table(report: LiabilityReport) -> Table:
    rows: list[tuple[str, ...]] = [("reward", c.month, c.reward_type, "", "", str(c.amount), "", "", "")
            for c in report.cells]
    rows += [("benefit", "", "", b.definition_id, b.name, "", str(b.instances), str(b.uses),
              str(b.unlimited)) for b in report.benefits]
    rows.append(("total", "", "", "", "", str(report.total), "", "", ""))
    return LIABILITY_COLUMNS, rows


def expiring_table(report: ExpiringReport) -> Table:
    tz = ZoneInfo(report.scope.timezone)
    rows: list[tuple[str, ...]] = [(c.first_name, c.last_name, c.email or "", c.mobile_phone or "",
             "yes" if c.opted_out else "no", str(c.reward_dollars), str(c.rewards),
             str(c.benefits), c.first_expiry.astimezone(tz).isoformat(timespec="minutes"),
             c.profile_id) for c in report.customers]
    return EXPIRING_COLUMNS, rows


def _figures(f: Figures) -> tuple[str, ...]:
    return (str(f.benefit_uses), str(f.voided_uses), str(f.net_uses), str(f.reward_dollars),
            str(f.voided_dollars), str(f.net_dollars))


def redemptions_table(report: RedemptionsReport) -> Table:
    rows: list[tuple[str, ...]] = [("bucket", b.start.isoformat(), report.by, *_figures(b.figures))
            for b in report.buckets]
    rows += [("staff", s.staff_id or "", s.name, *_figures(s.figures)) for s in report.staff]
    rows += [(f"{d.kind}_definition", d.definition_id or "", d.name, *_figures(d.figures))
             for d in report.definitions]
    rows.append(("total", "", "", *_figures(report.total)))
    return REDEMPTIONS_COLUMNS, rows


def reactions_table(report: ReactionsReport) -> Table:
    def row(kind: str, line: ReactionLine) -> tuple[str, ...]:
        return (kind, line.handle, line.name, str(line.issued), str(line.redeemed),
                str(line.expired_unused), str(line.reward_dollars))
    rows = [row("reaction", line) for line in report.reactions]
    rows.append(row("total", report.total))
    return REACTIONS_COLUMNS, rows


def table(report: Report) -> Table:
    if isinstance(report, LiabilityReport):
        return liability_table(report)
    if isinstance(report, ExpiringReport):
        return expiring_table(report)
    if isinstance(report, ReactionsReport):
        return reactions_table(report)
    return redemptions_table(report)


#: What a spreadsheet reads as the start of a formula (OWASP "CSV injection"): a customer
#: named ``=HYPERLINK(...)`` must not become a live link or a command in a manager's Excel.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def csv_cell(value: str) -> str:
    """``value`` as a spreadsheet will read it as text: a leading ``'`` before a formula
    start. A number (``-5.00``, a voided amount) stays a number."""
    if value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def to_csv(report: Report) -> str:
    header, rows = table(report)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
