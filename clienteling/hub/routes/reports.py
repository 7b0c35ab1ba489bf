"""Reports (SPEC §5, §7): liability, expiring soon, redemptions and reactions, for one store
(``filter[store_id]``) or, for an admin at an admin device, the chain.

The numbers are the engine's (``cl.reports``) and ``?format=csv`` (or ``Accept: text/csv``)
serves the very CSV the desktop exports (``engine.services.reports.tables``).

Roles are checked here before the engine checks them again: a staff member (``X-Staff-Id``)
is required; associates are refused (403); a manager sees their own store only (any other
``filter[store_id]``, known or not, is 403 so store ids are not probed); an admin names any
store or none (the chain), from an admin device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine.errors import ValidationError
from clienteling.engine.permissions import Action, Actor
from clienteling.engine.services.reports import (
    ExpiringReport,
    Figures,
    LiabilityReport,
    ReactionLine,
    ReactionsReport,
    RedemptionsReport,
    ReportScope,
)
from clienteling.engine.services.reports.tables import Report, to_csv
from clienteling.hub.auth import acting_staff, check_role, device
from clienteling.hub.envelope import one
from clienteling.hub.state import Hub, get_hub

router = APIRouter(tags=["reports"])

_KNOWN = {
    "liability": {"format", "filter[store_id]"},
    "expiring": {"format", "filter[store_id]", "days", "limit"},
    "redemptions": {"format", "filter[store_id]", "from", "to", "by"},
    "reactions": {"format", "filter[store_id]"},
}


@dataclass(frozen=True)
class Viewer:
    hub: Hub
    actor: Actor
    store_id: str | None
    csv: bool


def _viewer(request: Request, report: str) -> Viewer:
    dev = device(request)
    actor = acting_staff(request, dev, required=True)
    assert actor is not None  # required=True raises instead
    check_role(actor, Action.VIEW_REPORTS, dev)
    params = request.query_params
    for key in params:
        if key not in _KNOWN[report]:
            raise ValidationError.field(key[:80], "is not a parameter of this report")
    store_id = params.get("filter[store_id]")
    if store_id is not None and not store_id.strip():
        raise ValidationError.field("filter[store_id]", "must name a store")
    # A manager without a store named sees their own; anything wider is chain scope.
    other_store = store_id is not None and store_id.strip() != actor.store_id
    if other_store or (store_id is None and actor.may(Action.VIEW_CHAIN_REPORTS)):
        check_role(actor, Action.VIEW_CHAIN_REPORTS, dev)
    fmt = params.get("format")
    if fmt is not None and fmt not in ("json", "csv"):
        raise ValidationError.field("format", "must be json or csv")
    wants_csv = fmt == "csv" or (fmt is None and "text/csv" in request.headers.get("accept", ""))
    return Viewer(get_hub(request), actor, store_id, wants_csv)


def _answer(viewer: Viewer, report: Report, name: str, data: dict[str, Any]) -> Response:
    if viewer.csv:
        return Response(to_csv(report), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return JSONResponse(one(data))


def _renamed_store_error(call: Any) -> Any:
    """The engine names its parameter ``store_id``; the hub's is ``filter[store_id]``."""
    try:
        return call()
    except ValidationError as error:
        if "store_id" in error.errors:
            raise ValidationError({"filter[store_id]": error.errors["store_id"]}) from error
        raise


def _scope(scope: ReportScope) -> dict[str, Any]:
    return {"store_id": scope.store_id, "label": scope.label, "timezone": scope.timezone}


def _figures(f: Figures) -> dict[str, Any]:
    return {"benefit_uses": f.benefit_uses, "voided_uses": f.voided_uses, "net_uses": f.net_uses,
            "reward_dollars": str(f.reward_dollars), "voided_dollars": str(f.voided_dollars),
            "net_dollars": str(f.net_dollars)}


def liability_doc(r: LiabilityReport) -> dict[str, Any]:
    return {
        "scope": _scope(r.scope), "as_of": r.as_of.isoformat(), "total": str(r.total),
        "rewards": [{"expiry_month": c.month, "reward_type": c.reward_type,
                     "reward_dollars": str(c.amount)} for c in r.cells],
        "benefits": [{"definition_id": b.definition_id, "handle": b.handle, "name": b.name,
                      "instances": b.instances, "uses_outstanding": b.uses,
                      "unlimited_instances": b.unlimited} for b in r.benefits],
    }


def expiring_doc(r: ExpiringReport) -> dict[str, Any]:
    return {
        "scope": _scope(r.scope), "as_of": r.as_of.isoformat(), "days": r.days,
        "until": r.until.isoformat(), "total_customers": r.total_customers,
        "total_reward_dollars": str(r.total_reward_dollars), "total_benefits": r.total_benefits,
        "customers": [{"profile_id": c.profile_id, "first_name": c.first_name,
                       "last_name": c.last_name, "email": c.email,
                       "mobile_phone": c.mobile_phone, "opted_out": c.opted_out,
                       "reward_dollars": str(c.reward_dollars), "rewards": c.rewards,
                       "benefits": c.benefits, "first_expiry": c.first_expiry.isoformat()}
                      for c in r.customers],
    }


def redemptions_doc(r: RedemptionsReport) -> dict[str, Any]:
    return {
        "scope": _scope(r.scope), "as_of": r.as_of.isoformat(), "from": r.start.isoformat(),
        "to": r.end.isoformat(), "by": r.by, "total": _figures(r.total),
        "buckets": [{"start": b.start.isoformat(), **_figures(b.figures)} for b in r.buckets],
        "staff": [{"staff_id": s.staff_id, "name": s.name, **_figures(s.figures)}
                  for s in r.staff],
        "definitions": [{"kind": d.kind, "definition_id": d.definition_id, "name": d.name,
                         **_figures(d.figures)} for d in r.definitions],
    }


def _reaction(line: ReactionLine) -> dict[str, Any]:
    return {"handle": line.handle, "name": line.name, "issued": line.issued,
            "redeemed": line.redeemed, "expired_unused": line.expired_unused,
            "reward_dollars": str(line.reward_dollars)}


def reactions_doc(r: ReactionsReport) -> dict[str, Any]:
    total = _reaction(r.total)
    del total["handle"], total["name"]
    return {"scope": _scope(r.scope), "as_of": r.as_of.isoformat(), "total": total,
            "reactions": [_reaction(line) for line in r.reactions]}


def _reactions_viewer(request: Request) -> Viewer:
    return _viewer(request, "reactions")


def _liability_viewer(request: Request) -> Viewer:
    return _viewer(request, "liability")


def _expiring_viewer(request: Request) -> Viewer:
    return _viewer(request, "expiring")


def _redemptions_viewer(request: Request) -> Viewer:
    return _viewer(request, "redemptions")


@router.get("/reports/liability", summary="Reward dollars owed by expiry month and type; "
            "benefit uses outstanding by definition (filter[store_id], format=csv)")
def liability(viewer: Annotated[Viewer, Depends(_liability_viewer)]) -> Response:
    report = _renamed_store_error(
        lambda: viewer.hub.cl.reports.liability(viewer.actor, store_id=viewer.store_id))
    return _answer(viewer, report, "liability", liability_doc(report))


@router.get("/reports/expiring", summary="Customers whose rewards or benefits expire within "
            "?days=N, most value first (limit, filter[store_id], format=csv)")
def expiring(request: Request,
             viewer: Annotated[Viewer, Depends(_expiring_viewer)]) -> Response:
    params = request.query_params
    report = _renamed_store_error(lambda: viewer.hub.cl.reports.expiring(
        viewer.actor, days=params.get("days", "30"), limit=params.get("limit", "200"),
        store_id=viewer.store_id))
    return _answer(viewer, report, "expiring", expiring_doc(report))


@router.get("/reports/redemptions", summary="Redemptions ?from=&to= (local dates) "
            "by=day|week|month, by staff and definition; voids shown (filter[store_id], "
            "format=csv)")
def redemptions(request: Request,
                viewer: Annotated[Viewer, Depends(_redemptions_viewer)]) -> Response:
    params = request.query_params
    report = _renamed_store_error(lambda: viewer.hub.cl.reports.redemptions(
        viewer.actor, start=params.get("from"), end=params.get("to"),
        by=params.get("by", "day"), store_id=viewer.store_id))
    return _answer(viewer, report, "redemptions", redemptions_doc(report))


@router.get("/reports/reactions", summary="Per reaction: instances issued, redeemed (net of "
            "voids), expired unused, and reward dollars issued (filter[store_id], format=csv)")
def reactions(viewer: Annotated[Viewer, Depends(_reactions_viewer)]) -> Response:
    report = _renamed_store_error(
        lambda: viewer.hub.cl.reports.reactions(viewer.actor, store_id=viewer.store_id))
    return _answer(viewer, report, "reactions", reactions_doc(report))
