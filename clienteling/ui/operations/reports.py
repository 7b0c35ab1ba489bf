"""The reports on the engine worker: one report computed from this till's own database (works
offline), with its flat table (the hub's CSV columns) and when this till last synced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.reports import (
    ExpiringReport,
    LiabilityReport,
    ReactionsReport,
    RedemptionsReport,
)
from clienteling.engine.services.reports.tables import Table, table, to_csv

Report = LiabilityReport | ExpiringReport | RedemptionsReport | ReactionsReport


@dataclass(frozen=True)
class LoadedReport:
    report: Report
    table: Table
    csv: str
    last_synced_at: datetime | None  # None: this till has never synced (or is standalone)


def load_report(cl: Clienteling, actor: Actor, kind: str, *, days: int = 30, by: str = "day",
                start: date | None = None, end: date | None = None) -> LoadedReport:
    report: Any
    if kind == "liability":
        report = cl.reports.liability(actor)
    elif kind == "expiring":
        report = cl.reports.expiring(actor, days=days)
    elif kind == "reactions":
        report = cl.reports.reactions(actor)
    else:
        report = cl.reports.redemptions(actor, start=start, end=end, by=by)
    return LoadedReport(report, table(report), to_csv(report), cl.sync_state.last_synced_at())
