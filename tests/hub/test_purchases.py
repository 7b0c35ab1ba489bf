"""SPEC 3.8 P4 at the hub, over real HTTP on SQLite and PostgreSQL:
``POST/GET /api/v3/profiles/{pid}/transactions`` — idempotent on store + receipt ref, returns
no more than their sale, bad input a 422 naming the field with nothing saved, the store
check, and a till's outbox entry for a purchase applied through ``/sync/push``."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.hub.conftest import World
from tests.hub.support import ok, profile, refused


def _post(world: World, pid: str, role: str = "associate", **body: Any) -> Any:
    return world.as_(role).post(f"/profiles/{pid}/transactions", json=body)


def _spend(world: World, pid: str) -> str:
    return str(ok(world.as_("associate").get(f"/profiles/{pid}"))["data"]["lifetime_spend"])


def test_p4_the_same_receipt_twice_is_one_purchase(world: World) -> None:
    pid = profile(world.as_("associate"), first_name="Pat")["id"]
    first = ok(_post(world, pid, receipt_ref="W-1", total="182.50", eligible_spend="170.00",
                     lines=[{"sku": "A", "quantity": 1}]), 201)["data"]
    again = ok(_post(world, pid, receipt_ref="W-1", total="182.50"), 200)["data"]
    assert again["id"] == first["id"] and first["source"] == "api"
    assert first["store_id"] == world.store_id
    listed = ok(world.as_("associate").get(f"/profiles/{pid}/transactions"))["data"]
    assert [p["id"] for p in listed] == [first["id"]]
    assert _spend(world, pid) == "170.00"
    back = ok(_post(world, pid, receipt_ref="W-1-R", total="-20.00", eligible_spend="-20.00",
                    returns_purchase_id=first["id"]), 201)["data"]
    assert Decimal(back["total"]) == Decimal("-20.00")
    assert _spend(world, pid) == "150.00"


@pytest.mark.parametrize(("body", "field"), [
    ({"receipt_ref": "B", "total": "-1.00"}, "total"),
    ({"receipt_ref": "B", "total": "10.00", "eligible_spend": "-1.00"}, "eligible_spend"),
    ({"receipt_ref": "B", "total": "1.001"}, "total"),
    ({"total": "1.00"}, "receipt_ref"),
    ({"receipt_ref": "B", "total": "-1.00", "returns_purchase_id": "missing"},
     "returns_purchase_id"),
    ({"receipt_ref": "B", "total": "1.00", "source": "fax"}, "source"),
])
def test_s4_bad_transactions_are_422_naming_the_field(world: World, body: dict[str, Any],
                                                      field: str) -> None:
    pid = profile(world.as_("associate"), first_name="Bad")["id"]
    answer = refused(_post(world, pid, **body), 422)
    assert field in answer["errors"], answer
    assert ok(world.as_("associate").get(f"/profiles/{pid}/transactions"))["data"] == []
    assert _spend(world, pid) == "0.00"


def test_a_return_of_more_than_the_sale_is_422(world: World) -> None:
    pid = profile(world.as_("associate"), first_name="Ret")["id"]
    sale = ok(_post(world, pid, receipt_ref="S", total="50.00"), 201)["data"]
    answer = refused(_post(world, pid, receipt_ref="S-R", total="-50.01",
                           eligible_spend="-50.00", returns_purchase_id=sale["id"]), 422)
    assert "total" in answer["errors"]


def test_an_unknown_profile_and_another_stores_receipt(world: World) -> None:
    refused(_post(world, "no-such-profile", receipt_ref="X", total="1.00"), 422)
    pid = profile(world.as_("associate"), first_name="Sto")["id"]
    # A manager of store A cannot book a sale at store B: only an admin reports for any store.
    refused(_post(world, pid, "manager", receipt_ref="X", total="1.00",
                  store_id=world.other_store_id), 403)
    assert ok(_post(world, pid, "admin", receipt_ref="X", total="1.00",
                    store_id=world.other_store_id), 201)["data"]["store_id"] == world.other_store_id


def test_a_tills_purchase_entry_pushes_through_sync_push(world: World) -> None:
    pid = profile(world.as_("associate"), first_name="Tilly")["id"]
    entry = {"key": str(uuid.uuid4()), "method": "POST", "path": f"/profiles/{pid}/transactions",
             "body": {"id": str(uuid.uuid4()), "receipt_ref": "T-7", "total": "30.00",
                      "eligible_spend": "30.00", "store_id": world.store_id,
                      "occurred_at": "2026-03-01T23:00:00+00:00", "source": "counter"},
             "headers": {"X-Staff-Id": world.staff["associate"]}}
    till = world.device()
    for _ in range(2):  # a repeated batch is replayed, never applied twice
        results = ok(till.post("/sync/push", json={"entries": [entry]}))["data"]
        assert [r["status"] for r in results] == ["applied"], results
    listed = ok(world.as_("associate").get(f"/profiles/{pid}/transactions"))["data"]
    assert [(p["id"], p["source"], p["staff_id"]) for p in listed] == [
        (entry["body"]["id"], "counter", world.staff["associate"])]
    assert _spend(world, pid) == "30.00"


@pytest.mark.parametrize(("change", "field"), [
    ({"eligible_spend": "-1.00"}, "eligible_spend"),  # a sale with a negative eligible spend
    ({"total": "-30.00", "eligible_spend": "-30.00"}, "total"),  # a return naming no purchase
    ({"total": "-30.00", "eligible_spend": "-30.00", "returns_purchase_id": "no-such-sale"},
     "returns_purchase_id"),
    ({"total": "30.001"}, "total"),
])
def test_s4_a_tills_bad_purchase_entry_is_refused_at_push_naming_the_field(
        world: World, change: dict[str, Any], field: str) -> None:
    """SPEC §4 from a synced entry: a till's bad purchase is refused at ``/sync/push`` (422)
    naming the field; nothing is saved and the spend does not move."""
    pid = profile(world.as_("associate"), first_name="Tilly")["id"]
    entry = {"key": str(uuid.uuid4()), "method": "POST", "path": f"/profiles/{pid}/transactions",
             "body": {"id": str(uuid.uuid4()), "receipt_ref": "T-8", "total": "30.00",
                      "eligible_spend": "30.00", "store_id": world.store_id,
                      "occurred_at": "2026-03-01T23:00:00+00:00", "source": "counter",
                      **change},
             "headers": {"X-Staff-Id": world.staff["associate"]}}
    [result] = ok(world.device().post("/sync/push", json={"entries": [entry]}))["data"]
    assert (result["status"], result["http_status"]) == ("refused", 422), result
    assert field in result["errors"], result
    assert ok(world.as_("associate").get(f"/profiles/{pid}/transactions"))["data"] == []
    assert _spend(world, pid) == "0.00"
