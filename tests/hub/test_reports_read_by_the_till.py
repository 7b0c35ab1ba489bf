"""An admin's chain reports read by the till from the hub (issue 18, SPEC §5, §7), on SQLite and
PostgreSQL: ``clienteling.sync.hub_reports`` turns the hub's JSON back into the very records
the engine returns on the hub's database (Decimal money, tz-aware times), so the desktop's
chart, table and CSV are the hub's numbers. Refusals are words; a malformed answer is
``HubFailed`` naming the value, never a traceback."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from clienteling.engine.errors import ValidationError
from clienteling.engine.services.reports.tables import to_csv
from clienteling.hub.routes.reports import (
    expiring_doc,
    liability_doc,
    reactions_doc,
    redemptions_doc,
)
from clienteling.sync.client import HubClient, HubFailed
from clienteling.sync.hub_reports import parse_report, report_at_hub
from tests import reports_support as ref
from tests.hub.conftest import World

MEL = "Australia/Melbourne"


def test_the_hubs_chain_reports_read_back_equal_the_engines_on_the_hubs_database(
        world: World) -> None:
    cl = world.hub.cl
    stores = {world.store_id: MEL, world.other_store_id: "Europe/Copenhagen"}
    data = ref.make_dataset(cl, 47, stores, {sid: role for role, sid in world.staff.items()})
    ref.add_reaction_instances(cl, data, 47)
    admin = world.hub.actor(world.staff["admin"])
    today = data.now.date()
    start, end = today - timedelta(days=50), today + timedelta(days=3)
    expected = {
        "liability": cl.reports.liability(admin),
        "expiring": cl.reports.expiring(admin, days=30),
        "redemptions": cl.reports.redemptions(admin, start=start, end=end, by="week"),
        "reactions": cl.reports.reactions(admin),
    }
    params = {"expiring": {"days": "30"},
              "redemptions": {"from": start.isoformat(), "to": end.isoformat(), "by": "week"}}
    client = HubClient(world.live.base_url, world.admin_token)
    try:
        for kind, report in expected.items():
            got = report_at_hub(client, world.staff["admin"], kind, params.get(kind))
            assert report.scope.store_id is None  # the chain: both stores
            assert got == report, kind
            assert to_csv(got) == to_csv(report)  # hence the same table and CSV on the desktop
        # Money stays Decimal and times stay tz-aware through JSON.
        liability = report_at_hub(client, world.staff["admin"], "liability")
        assert liability.as_of.tzinfo is not None
        assert all(type(c.amount).__name__ == "Decimal" for c in liability.cells)

        # Bad parameters are the hub's 422, each named, as the engine's would be.
        with pytest.raises(ValidationError) as bad:
            report_at_hub(client, world.staff["admin"], "expiring", {"days": "0"})
        assert set(bad.value.errors) == {"days"}
    finally:
        client.close()

    # A store's till is not an admin device: the hub refuses the chain (403), in words.
    till = HubClient(world.live.base_url, world.token)
    try:
        with pytest.raises(HubFailed) as refused:
            report_at_hub(till, world.staff["admin"], "liability")
        assert "HTTP 403" in refused.value.message
    finally:
        till.close()


# --------------------------------------------------------------------------- malformed answers

def _docs(world: World) -> dict[str, dict[str, Any]]:
    cl = world.hub.cl
    stores = {world.store_id: MEL, world.other_store_id: "Europe/Copenhagen"}
    data = ref.make_dataset(cl, 5, stores, {sid: role for role, sid in world.staff.items()},
                            profiles=10, rewards=30, benefits=30, redemptions=20)
    ref.add_reaction_instances(cl, data, 5, instances=10)
    admin = world.hub.actor(world.staff["admin"])
    return {"liability": liability_doc(cl.reports.liability(admin)),
            "expiring": expiring_doc(cl.reports.expiring(admin, days=3660)),
            "redemptions": redemptions_doc(cl.reports.redemptions(
                admin, start=data.now.date() - timedelta(days=60), end=data.now.date())),
            "reactions": reactions_doc(cl.reports.reactions(admin))}


Spoil = Callable[[dict[str, Any]], None]
SPOILED: list[tuple[str, str, Spoil, str]] = [
    ("liability", "float money", lambda d: d["rewards"][0].update(reward_dollars=1.5),
     "rewards[0]: reward_dollars: not an amount written as text"),
    ("liability", "not an amount", lambda d: d.update(total="lots"), "total: not an amount"),
    ("liability", "a total that does not add up",
     lambda d: d.update(total="999999.99"), "total is not the sum"),
    ("liability", "fractions of a cent",
     lambda d: d["rewards"][0].update(reward_dollars="1.005"), "not an amount to the cent"),
    ("expiring", "a time without its offset",
     lambda d: d["customers"][0].update(first_expiry="2026-03-05T10:00:00"),
     "customers[0]: first_expiry: a time without its offset"),
    ("expiring", "a count that is text", lambda d: d.update(total_customers="3"),
     "total_customers: not a whole number"),
    ("expiring", "a missing field", lambda d: d["scope"].pop("timezone"),
     "scope: timezone is missing"),
    ("redemptions", "a bad date", lambda d: d["buckets"][0].update(start="03/02/2026"),
     "buckets[0]: start: not a date"),
    ("redemptions", "nets that disagree", lambda d: d["total"].update(net_uses=-1),
     "net_uses is not"),
    ("redemptions", "a list that is not one", lambda d: d.update(staff={}), "staff: not a list"),
    ("reactions", "a boolean for a count", lambda d: d["reactions"][0].update(issued=True),
     "reactions[0]: issued: not a whole number"),
    ("reactions", "an item that is not an object", lambda d: d["reactions"].append("x"),
     "not an object"),
]


def test_a_malformed_answer_is_a_message_naming_the_value(world: World) -> None:
    docs = _docs(world)
    for kind, _why, spoil, words in SPOILED:
        doc = copy.deepcopy(docs[kind])
        spoil(doc)
        with pytest.raises(HubFailed) as failed:
            parse_report(kind, {"data": doc})
        assert failed.value.message.startswith(
            f"The hub's answer to the {kind} report is not the expected JSON ("), _why
        assert words in failed.value.message, (_why, failed.value.message)
    for body in (None, [], {"data": []}, {"nothing": 1}):
        with pytest.raises(HubFailed):
            parse_report("liability", body)
