"""The reports on the workers: one report computed from this till's own database on the engine
worker (works offline), or an admin's chain report asked of the hub on the network worker
(issue 18); either with its flat table (the hub's CSV columns) and when this till last synced."""

from __future__ import annotations

from collections.abc import Callable
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
#: ``HubLink.report``: (engine, staff id, kind, query) → the hub's report, or None without a hub
AskHub = Callable[[Clienteling, str, str, dict[str, str]], Report | None]


@dataclass(frozen=True)
class LoadedReport:
    report: Report
    table: Table
    csv: str
    last_synced_at: datetime | None  # None: this till has never synced (or is standalone)
    from_hub: bool = False  # the hub's numbers (an admin's chain), not this till's copy
    #: why an admin's chain view is this till's copy rather than the hub's, in words
    hub_problem: str | None = None


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


def hub_params(kind: str, *, days: int = 30, by: str = "day", start: date | None = None,
               end: date | None = None) -> dict[str, str]:
    """The desktop's choices as the hub's query parameters (``GET /api/v3/reports/<kind>``)."""
    if kind == "expiring":
        return {"days": str(days)}
    if kind == "redemptions":
        params = {"by": by}
        if start is not None:
            params["from"] = start.isoformat()
        if end is not None:
            params["to"] = end.isoformat()
        return params
    return {}


def load_report_at_hub(ask: AskHub, cl: Clienteling, actor: Actor, kind: str, *,
                       days: int = 30, by: str = "day", start: date | None = None,
                       end: date | None = None) -> LoadedReport | None:
    """On the network worker: the hub's chain report with its table and CSV (the same
    functions as a till's report), or None when this till has no hub or token."""
    report = ask(cl, actor.staff_id, kind,
                         hub_params(kind, days=days, by=by, start=start, end=end))
    if report is None:
        return None
    return LoadedReport(report, table(report), to_csv(report), None, from_hub=True)


def load_report_here(cl: Clienteling, actor: Actor, kind: str, problem: str, *, days: int = 30,
                     by: str = "day", start: date | None = None,
                     end: date | None = None) -> LoadedReport:
    """:func:`load_report` on this till's copy, carrying why the hub's was not had."""
    loaded = load_report(cl, actor, kind, days=days, by=by, start=start, end=end)
    return LoadedReport(loaded.report, loaded.table, loaded.csv, loaded.last_synced_at,
                        hub_problem=problem)
