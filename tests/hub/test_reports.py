"""``GET /api/v3/reports/...`` (SPEC §7, issue 18) on SQLite and PostgreSQL: the numbers equal
the brute-force reference for seeded random data sets, the CSV is the engine's (the desktop
exports the same), roles are checked (403) and bad parameters are 422 naming them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from clienteling.engine.services.reports.tables import to_csv
from tests import reports_support as ref
from tests.hub.conftest import World

MEL = "Australia/Melbourne"


def _liability(doc: dict[str, Any]) -> dict[str, Any]:
    return {"cells": {(c["expiry_month"], c["reward_type"]): Decimal(c["reward_dollars"])
                      for c in doc["rewards"]},
            "total": Decimal(doc["total"]),
            "benefits": {b["definition_id"]: (b["instances"], b["uses_outstanding"],
                                              b["unlimited_instances"]) for b in doc["benefits"]}}


def _expiring(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    from datetime import datetime

    return [(c["profile_id"], c["first_name"], c["last_name"], c["email"], c["mobile_phone"],
             Decimal(c["reward_dollars"]), c["rewards"], c["benefits"],
             datetime.fromisoformat(c["first_expiry"]), c["opted_out"]) for c in doc["customers"]]


def _figs(d: dict[str, Any]) -> tuple[Any, ...]:
    return (d["benefit_uses"], Decimal(d["reward_dollars"]), d["voided_uses"],
            Decimal(d["voided_dollars"]))


def _redemptions(doc: dict[str, Any]) -> dict[str, dict[Any, tuple[Any, ...]]]:
    zero = (0, Decimal("0.00"), 0, Decimal("0.00"))
    return {
        "buckets": {date.fromisoformat(b["start"]): _figs(b) for b in doc["buckets"]
                    if _figs(b) != zero},
        "staff": {s["staff_id"]: _figs(s) for s in doc["staff"]},
        "definitions": {(d["kind"], d["definition_id"]): _figs(d) for d in doc["definitions"]},
        "total": {None: _figs(doc["total"])} if _figs(doc["total"]) != zero else {},
    }


def _get(client: Any, path: str, **params: str) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_reports_equal_the_reference_and_the_csv_is_the_engines(world: World) -> None:
    cl = world.hub.cl
    stores = {world.store_id: MEL, world.other_store_id: "Europe/Copenhagen"}
    staff = {sid: role for role, sid in world.staff.items()}
    data = ref.make_dataset(cl, 31, stores, staff)
    admin, manager = world.as_("admin"), world.as_("manager")
    today = data.now.date()
    span = {"from": (today - timedelta(days=50)).isoformat(),
            "to": (today + timedelta(days=3)).isoformat()}
    for client, store, asked in ((admin, None, None),
                                 (admin, world.other_store_id, world.other_store_id),
                                 (manager, world.store_id, None)):
        scope = {} if asked is None else {"filter[store_id]": asked}
        assert _liability(_get(client, "/reports/liability", **scope)) == \
            ref.liability(data, store, MEL)
        for days in ("7", "30"):
            doc = _get(client, "/reports/expiring", days=days, limit="5000", **scope)
            assert _expiring(doc) == ref.expiring(data, store, MEL, int(days))
        for by in ("day", "week", "month"):
            doc = _get(client, "/reports/redemptions", by=by, **span, **scope)
            assert _redemptions(doc) == ref.redemptions(
                data, store, MEL, date.fromisoformat(span["from"]),
                date.fromisoformat(span["to"]), by)

    # Reactions (RX5): the same numbers, and the engine's CSV.
    ref.add_reaction_instances(cl, data, 31)
    for client, store, asked in ((admin, None, None),
                                 (admin, world.other_store_id, world.other_store_id),
                                 (manager, world.store_id, None)):
        scope = {} if asked is None else {"filter[store_id]": asked}
        doc = _get(client, "/reports/reactions", **scope)
        assert {x["handle"]: (x["name"], x["issued"], x["redeemed"], x["expired_unused"],
                              Decimal(x["reward_dollars"])) for x in doc["reactions"]} == \
            ref.reactions(data, store)
    actor = world.hub.actor(world.staff["manager"])
    reactions_csv = manager.get("/reports/reactions", params={"format": "csv"})
    assert reactions_csv.text == to_csv(cl.reports.reactions(actor))
    assert reactions_csv.text.startswith("kind,handle,name,issued,redeemed,expired_unused,")

    # Same CSV as the engine hands the desktop, by ?format=csv and by Accept.
    actor = world.hub.actor(world.staff["manager"])
    engine_csv = to_csv(cl.reports.redemptions(actor, start=span["from"], end=span["to"],
                                               by="week"))
    by_param = manager.get("/reports/redemptions", params={**span, "by": "week", "format": "csv"})
    assert by_param.status_code == 200
    assert by_param.headers["content-type"].startswith("text/csv")
    assert by_param.text == engine_csv
    by_accept = manager.get("/reports/liability", headers={"Accept": "text/csv"})
    assert by_accept.text == to_csv(cl.reports.liability(actor))
    expiring_csv = manager.get("/reports/expiring", params={"days": "30", "format": "csv"})
    assert expiring_csv.text == to_csv(cl.reports.expiring(actor, days=30))


def test_roles(world: World) -> None:
    associate, manager = world.as_("associate"), world.as_("manager")
    for path in ("/reports/liability", "/reports/expiring", "/reports/redemptions",
                 "/reports/reactions"):
        assert associate.get(path).status_code == 403
        assert world.device().get(path).status_code == 401  # no staff member named
        other = manager.get(path, params={"filter[store_id]": world.other_store_id})
        assert other.status_code == 403
        assert manager.get(path, params={"filter[store_id]": "no-such-store"}).status_code == 403
        assert manager.get(path).status_code == 200


BAD_PARAMETERS: list[tuple[str, dict[str, str], str]] = [
    ("/reports/expiring", {"days": "0"}, "days"),
    ("/reports/expiring", {"days": "-1"}, "days"),
    ("/reports/expiring", {"days": "1.5"}, "days"),
    ("/reports/expiring", {"days": "soon"}, "days"),
    ("/reports/expiring", {"limit": "0"}, "limit"),
    ("/reports/redemptions", {"from": "2026-03-10", "to": "2026-03-01"}, "to"),
    ("/reports/redemptions", {"from": "yesterday"}, "from"),
    ("/reports/redemptions", {"to": "0001-01-01"}, "to"),
    ("/reports/redemptions", {"by": "year"}, "by"),
    ("/reports/liability", {"filter[store_id]": "no-such-store"}, "filter[store_id]"),
    ("/reports/liability", {"filter[store_id]": ""}, "filter[store_id]"),
    ("/reports/liability", {"format": "pdf"}, "format"),
    ("/reports/liability", {"filter[name]": "x"}, "filter[name]"),
    ("/reports/reactions", {"filter[store_id]": "no-such-store"}, "filter[store_id]"),
    ("/reports/reactions", {"days": "7"}, "days"),
]


def test_bad_parameters_are_422_naming_them(world: World) -> None:
    admin = world.as_("admin")
    for path, params, field in BAD_PARAMETERS:
        response = admin.get(path, params=params)
        assert response.status_code == 422, (path, params, response.text)
        body = response.json()
        assert list(body["errors"]) == [field], (path, params)
        assert body["message"]
