"""``GET /sync/snapshot`` (SPEC §7): a first sync pages over every synced record by keyset
(type, id), and the feed from the FIRST page's cursor brings whatever changed meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from clienteling.engine import wire_rows
from clienteling.engine.security import WITHHELD_HASH
from clienteling.engine.services.snapshot import SYNC_TYPES
from tests.hub.conftest import World
from tests.hub.support import benefit_definition, issue, ok, profile, refused, reward, reward_definition


def _apply(copy: dict[tuple[str, str], Any], entries: list[dict[str, Any]]) -> None:
    """What a till does with snapshot and feed entries: upsert the record, or drop it."""
    for e in entries:
        if e["op"] == "delete" or e["data"] is None:
            copy.pop((e["type"], e["id"]), None)
        else:
            copy[(e["type"], e["id"])] = e["data"]


def _feed(client: httpx.Client, after: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = ok(client.get("/sync/changes", params={"after": after, "limit": 50}))
        out.extend(page["data"])
        after = page["meta"]["next"]
        if not page["meta"]["has_more"]:
            return out


def _everything(client: httpx.Client) -> dict[tuple[str, str], Any]:
    page = ok(client.get("/sync/snapshot", params={"limit": 5000}))
    assert page["meta"]["has_more"] is False and page["meta"]["next"] is None
    copy: dict[tuple[str, str], Any] = {}
    _apply(copy, page["data"])
    return copy


def test_paged_snapshot_with_writes_between_pages_converges_through_the_feed(world: World) -> None:
    admin = world.as_("admin")
    manager = world.as_("manager")
    d = benefit_definition(admin, max_redemptions=3)
    rd = reward_definition(admin)
    people = [profile(admin) for _ in range(6)]
    benefits = [issue(admin, d["id"], p["id"]) for p in people[:4]]
    reward(manager, rd["id"], people[0]["id"])
    spare = benefit_definition(admin, handle="spare-def")
    till = world.device()

    first = ok(till.get("/sync/snapshot", params={"limit": 4}))
    cursor = first["meta"]["cursor"]
    assert cursor > 0 and first["meta"]["has_more"]
    totals = first["meta"]["totals"]
    assert list(totals) == list(SYNC_TYPES)
    assert totals["profile"] == 6 and totals["benefit"] == 4 and totals["reward"] == 1
    pages = [first]
    seen: list[tuple[str, str]] = []
    token = first["meta"]["next"]
    step = 0
    while token is not None:
        # Writes between pages: new rows, changed rows already sent, and a deletion.
        step += 1
        if step == 1:
            profile(admin, first_name="Late")
            ok(admin.put(f"/profiles/{people[0]['id']}", json={"tier": "gold"}))
        elif step == 2:
            ok(world.as_("associate").post(
                f"/profiles/{people[1]['id']}/benefits/{benefits[1]['id']}/redeem", json={}))
            ok(admin.delete(f"/benefits/definitions/{spare['id']}",
                            headers={"If-Match": str(spare["version"])}))
        page = ok(till.get("/sync/snapshot", params={"limit": 4, "next": token}))
        assert page["meta"]["cursor"] >= cursor
        pages.append(page)
        token = page["meta"]["next"]
    assert step >= 3
    for page in pages:
        assert len(page["data"]) <= 4
        seen.extend((e["type"], e["id"]) for e in page["data"])
        for e in page["data"]:
            assert set(e) == {"seq", "type", "id", "op", "at", "data"} and e["op"] == "upsert"
    assert len(seen) == len(set(seen)), "a row came twice"
    order = [list(SYNC_TYPES).index(t) for t, _ in seen]
    assert order == sorted(order), "types out of dependency order"
    for kind in SYNC_TYPES:
        ids = [i for t, i in seen if t == kind]
        assert ids == sorted(ids)

    copy: dict[tuple[str, str], Any] = {}
    for page in pages:
        _apply(copy, page["data"])
    _apply(copy, _feed(till, cursor))
    assert copy == _everything(till)
    assert ("benefit_definition", spare["id"]) not in copy
    assert copy[("profile", people[0]["id"])]["tier"] == "gold"


def test_every_row_exactly_once_and_a_resume_token(world: World) -> None:
    admin = world.as_("admin")
    for _ in range(7):
        profile(admin)
    till = world.device()
    everything = _everything(till)
    for limit in (1, 3, 7, 100):
        seen: list[tuple[str, str]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"limit": limit}
            if token is not None:
                params["next"] = token
            page = ok(till.get("/sync/snapshot", params=params))
            seen.extend((e["type"], e["id"]) for e in page["data"])
            token = page["meta"]["next"]
            if token is None:
                break
        assert sorted(seen) == sorted(everything) and len(seen) == len(set(seen))


def test_bad_snapshot_parameters_are_422(world: World) -> None:
    till = world.device()
    for params, field in (({"limit": 0}, "limit"), ({"limit": 5001}, "limit"),
                          ({"next": "nonsense"}, "next"), ({"next": "planet:1"}, "next")):
        body = refused(till.get("/sync/snapshot", params=params), 422)
        assert field in body["errors"], body
    refused(world.anonymous().get("/sync/snapshot"), 401)


def _rows_v2_walk(client: httpx.Client, limit: int) -> tuple[list[dict[str, Any]], list[Any]]:
    pages: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, "format": "rows-v2"}
        if token is not None:
            params["next"] = token
        page = ok(client.get("/sync/snapshot", params=params))
        pages.append(page)
        token = page["meta"]["next"]
        if token is None:
            return pages, [p["meta"]["next"] for p in pages]


def test_rows_v2_pages_hold_the_same_records_in_storage_form(world: World) -> None:
    """What a till asking ``format=rows-v2`` gets (``engine.wire_rows``): the same records,
    tokens and cursor as the entries, each type's columns once, values as a till stores them,
    PIN hashes scoped to the device as in the feed; any other format gets the entries."""
    admin = world.as_("admin")
    manager = world.as_("manager")
    d = benefit_definition(admin, max_redemptions=3)
    rd = reward_definition(admin)
    people = [profile(admin) for _ in range(5)]
    for p in people[:3]:
        issue(admin, d["id"], p["id"])
    reward(manager, rd["id"], people[0]["id"])
    till = world.device()
    entries = _everything(till)

    for limit in (3, 5000):
        pages, tokens = _rows_v2_walk(till, limit)
        v1_tokens: list[Any] = []
        token: str | None = None
        while True:
            page = ok(till.get("/sync/snapshot", params={"limit": limit, **(
                {"next": token} if token else {})}))
            token = page["meta"]["next"]
            v1_tokens.append(token)
            if token is None:
                break
        assert tokens == v1_tokens
        assert pages[0]["meta"]["totals"]["profile"] == 5
        assert all(p["meta"]["totals"] == {} for p in pages[1:])  # first page only
        got: dict[tuple[str, str], dict[str, Any]] = {}
        for page in pages:
            assert page["format"] == "rows-v2"
            for block in page["data"]:
                assert block["columns"] == wire_rows.columns(block["type"])
                for row in block["rows"]:
                    assert len(row) == len(block["columns"])
                    got[(block["type"], row[0])] = dict(zip(block["columns"], row, strict=True))
                if block["type"] == "profile":
                    assert block["child_columns"] == ["profile_id", "handle", "identifier"]
        assert set(got) == set(entries)

    for key, record in entries.items():
        stored = got[key]
        assert stored["created_at"] == datetime.fromisoformat(record["created_at"]).astimezone(
            UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        if key[0] == "staff":
            # withheld for those who may not act here, exactly as in the entries
            assert stored["pin_hash"] == record["pin_hash"]
        if key[0] == "reward":
            assert stored["value_initial"] == int(Decimal(record["value_initial"]) * 100)
            assert stored["profile_id"] == record["profile_id"]
    assert any(r["pin_hash"] == WITHHELD_HASH for k, r in entries.items() if k[0] == "staff")

    other = ok(till.get("/sync/snapshot", params={"limit": 5000, "format": "rows-v9"}))
    assert "format" not in other and {e["type"] for e in other["data"]} == {t for t, _ in entries}
    assert set(other["data"][0]) == {"seq", "type", "id", "op", "at", "data"}
