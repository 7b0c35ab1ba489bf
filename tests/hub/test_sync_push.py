"""``POST /sync/push`` (SPEC §6, §7): a till's outbox in one request, a status per entry.

Each entry goes through the single call's own checks (auth, role, store, validation,
idempotency), so the outcomes below are those of the single calls, mapped to
applied / refused / retry."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.hub.conftest import World, new_key
from tests.hub.support import (
    benefit_definition,
    issue,
    ok,
    profile,
    refused,
    reward,
    reward_definition,
)
from tests.internals import context_of


def entry(method: str, path: str, body: Any = None, key: str | None = None,
          **headers: str) -> dict[str, Any]:
    out: dict[str, Any] = {"key": key or new_key(), "method": method, "path": path,
                           "headers": {k.replace("_", "-"): v for k, v in headers.items()}}
    if body is not None:
        out["body"] = body
    return out


def push(client: httpx.Client, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = ok(client.post("/sync/push", json={"entries": entries}),
                                       200)["data"]
    assert [r["key"] for r in results] == [e["key"] for e in entries]
    return results


def test_mixed_batch_one_bad_entry_does_not_block_the_rest(world: World) -> None:
    staff = world.staff
    admin = world.as_("admin")
    d = benefit_definition(admin, max_redemptions=1)
    p = profile(admin)
    b = issue(admin, d["id"], p["id"])
    # The store's admin device: its batch has an admin's definition edit (admins act only
    # there, issue 9).
    till = world.live.client(world.admin_token)
    entries = [
        entry("POST", "/profiles", {"first_name": "Ann", "last_name": "Pushed"},
              X_Staff_Id=staff["associate"]),
        # B3: the benefit has one redemption; the second is refused, the rest go on.
        entry("POST", f"/profiles/{p['id']}/benefits/{b['id']}/redeem", {},
              X_Staff_Id=staff["associate"]),
        entry("POST", f"/profiles/{p['id']}/benefits/{b['id']}/redeem", {},
              X_Staff_Id=staff["associate"]),
        entry("POST", "/profiles", {"first_name": ""}, X_Staff_Id=staff["associate"]),
        entry("GET", "/profiles", X_Staff_Id=staff["associate"]),
        entry("POST", "/api/v2/profiles", {}, X_Staff_Id=staff["associate"]),
        entry("POST", "/sync/push", {"entries": []}, X_Staff_Id=staff["associate"]),
        entry("PUT", f"/benefits/definitions/{d['id']}", {"name": "Stale"},
              X_Staff_Id=staff["admin"], If_Match='"7"'),
        entry("POST", f"/api/v3/profiles/{p['id']}/benefits/{b['id']}/redeem", {},
              X_Staff_Id="no-such-staff"),
        entry("POST", "/profiles", {"first_name": "Bo", "last_name": "Pushed"},
              X_Staff_Id=staff["associate"]),
    ]
    results = push(till, entries)
    statuses = [(r["status"], r["http_status"], r.get("code")) for r in results]
    assert statuses == [
        ("applied", 201, None),
        ("applied", 201, None),
        ("refused", 400, "exhausted"),
        ("refused", 422, "validation_failed"),
        ("refused", 422, "not_a_change"),
        ("refused", 422, "invalid_path"),
        ("refused", 422, "invalid_path"),
        ("refused", 409, "version_conflict"),
        ("refused", 401, "unknown_staff"),
        ("applied", 201, None),
    ], results
    assert results[0]["data"]["data"]["last_name"] == "Pushed"
    assert "first_name" in results[3]["errors"]
    assert results[2]["message"]
    names = {r["data"]["data"]["id"] for r in (results[0], results[9])}
    for pid in names:
        ok(till.get(f"/profiles/{pid}"))
    assert world.hub.unhandled == []


def test_re_push_of_the_same_batch_applies_nothing_twice(world: World) -> None:
    admin = world.as_("admin")
    d = benefit_definition(admin, max_redemptions=3)
    p = profile(admin)
    b = issue(admin, d["id"], p["id"])
    staff = world.staff["associate"]
    entries = [entry("POST", f"/profiles/{p['id']}/benefits/{b['id']}/redeem", {},
                     X_Staff_Id=staff) for _ in range(2)]
    entries.append(entry("POST", "/profiles", {"first_name": "Cy", "last_name": "Once"},
                         X_Staff_Id=staff))
    first = push(world.device(), entries)
    again = push(world.device(), entries)
    assert [r["status"] for r in first] == ["applied"] * 3
    assert [r["status"] for r in again] == ["applied"] * 3
    assert [r["replayed"] for r in first] == [False] * 3
    assert [r["replayed"] for r in again] == [True] * 3
    assert [r["data"] for r in again] == [r["data"] for r in first]
    left = ok(admin.get(f"/benefits/{b['id']}"))["data"]["redemptions_remaining"]
    assert left == 1  # two redeems, not four
    found = ok(admin.get("/profiles", params={"filter[last_name]": "Once"}))["data"]
    assert len(found) == 1


def test_role_and_store_checks_apply_per_entry(world: World) -> None:
    staff = world.staff
    entries = [
        # An associate may not void; the manager of another store may not act at this till.
        entry("POST", "/redemptions/nope/reversal", {}, X_Staff_Id=staff["associate"]),
        entry("POST", "/profiles", {"first_name": "Di", "last_name": "Elsewhere"},
              X_Staff_Id=world.other_manager),
        # An override by a non-manager is refused.
        entry("POST", "/profiles", {"first_name": "Ed", "last_name": "Override"},
              X_Staff_Id=staff["associate"], X_Authorised_By=staff["associate"]),
        entry("POST", "/profiles", {"first_name": "Fay", "last_name": "Fine"},
              X_Staff_Id=staff["associate"]),
    ]
    results = push(world.device(), entries)
    assert [(r["status"], r["http_status"], r["code"] if r["status"] != "applied" else None)
            for r in results] == [
        ("refused", 403, "forbidden"), ("refused", 403, "wrong_store"),
        ("refused", 403, "forbidden"), ("applied", 201, None)], results


def test_malformed_batch_is_422_and_applies_nothing(world: World) -> None:
    till = world.device()
    staff = world.staff["associate"]
    good = entry("POST", "/profiles", {"first_name": "Gus", "last_name": "Never"},
                 X_Staff_Id=staff)
    cases: list[tuple[Any, str]] = [
        ([good], "body"),
        ({"entries": good}, "entries"),
        ({"entries": [good] * 501}, "entries"),
        ({"entries": [good, {"method": "POST", "path": "/profiles"}]}, "entries.1.key"),
        ({"entries": [good, {"key": "k", "path": "/profiles"}]}, "entries.1.method"),
        ({"entries": [good, {"key": "k", "method": "POST"}]}, "entries.1.path"),
        ({"entries": [good, good]}, "entries.1.key"),
        ({"entries": [good, "x"]}, "entries.1"),
    ]
    for batch, field in cases:
        body = refused(till.post("/sync/push", json=batch), 422)
        assert field in body["errors"], (field, body)
    found = ok(till.get("/profiles", params={"filter[last_name]": "Never"}))["data"]
    assert found == []
    refused(world.anonymous().post("/sync/push", json={"entries": [good]}), 401)
    assert ok(till.get("/profiles", params={"filter[last_name]": "Never"}))["data"] == []


def test_an_entry_still_in_progress_is_retry(world: World, monkeypatch: Any) -> None:
    """A key whose first request committed its change but not its response (the hub died in
    between) answers 409 idempotency_in_progress alone, and ``retry`` in a push."""
    from clienteling.engine.services.idempotency import Scope
    from clienteling.hub import idempotency

    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.05)
    staff = world.staff["associate"]
    stuck = entry("POST", "/profiles", {"first_name": "Hal", "last_name": "Stuck"},
                  X_Staff_Id=staff)
    hub = world.hub
    fp = idempotency.fingerprint("POST", "/api/v3/profiles", stuck["body"])
    # Keys are scoped to the device and the staff member that used them (issue 9, defect 2).
    device = hub.cl.devices.authenticate(world.token)
    scope = Scope(device.token_id, staff)
    with context_of(hub.cl).transaction(None) as uow:
        hub.idempotency.claim(uow, scope, stuck["key"], "POST", "/api/v3/profiles", fp)
    after = entry("POST", "/profiles", {"first_name": "Ivy", "last_name": "After"},
                  X_Staff_Id=staff)
    results = push(world.device(), [stuck, after])
    assert [(r["status"], r["http_status"]) for r in results] == [("retry", 409),
                                                                   ("applied", 201)]
    assert results[0]["code"] == "idempotency_in_progress"


def test_status_mapping_of_answers() -> None:
    from clienteling.hub.push import _outcome

    def status(code: int, body: bytes = b'{"message": "m", "code": "c"}') -> str:
        return str(_outcome("k", code, {}, body).status)

    assert [status(s) for s in (200, 201, 204)] == ["applied"] * 3
    assert [status(s) for s in (400, 401, 403, 404, 409, 412, 413, 422)] == ["refused"] * 8
    assert [status(s) for s in (429, 500, 502, 503)] == ["retry"] * 4
    assert status(409, b'{"message": "m", "code": "idempotency_in_progress"}') == "retry"


def test_a_key_is_one_request_whether_sent_alone_or_pushed(world: World) -> None:
    """Entries of a push are applied without an HTTP sub-request (``hub.push.apply_direct``):
    an entry first sent as a single call is a replay when pushed, and the other way round,
    with the first answer and nothing applied twice."""
    admin = world.as_("admin")
    d = benefit_definition(admin, max_redemptions=5)
    p = profile(admin)
    b = issue(admin, d["id"], p["id"])
    r = reward(world.as_("manager"), reward_definition(admin)["id"], p["id"], "5.00")
    staff = world.staff["associate"]
    till = world.as_("associate")
    path = f"/profiles/{p['id']}/benefits/{b['id']}/redeem"
    alone_key, pushed_key, amount_key = new_key(), new_key(), new_key()
    alone = ok(till.post(path, json={}, headers={"Idempotency-Key": alone_key}), 201)["data"]
    results = push(world.device(), [
        entry("POST", path, {}, key=alone_key, X_Staff_Id=staff),
        entry("POST", path, {}, key=pushed_key, X_Staff_Id=staff),
        entry("POST", f"/profiles/{p['id']}/redeem", {"amount": "2.00"}, key=amount_key,
              X_Staff_Id=staff),
    ])
    assert [(x["status"], x["replayed"]) for x in results] == [
        ("applied", True), ("applied", False), ("applied", False)], results
    assert results[0]["data"] == {"data": alone}
    again = till.post(path, json={}, headers={"Idempotency-Key": pushed_key})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == results[1]["data"]
    # The amount redeem's answer carries the balance it left, read in its own transaction.
    assert results[2]["data"]["data"]["balances"]["reward_balance"] == "3.00"
    assert ok(admin.get(f"/rewards/{r['id']}"))["data"]["value_remaining"] == "3.00"
    left = ok(admin.get(f"/benefits/{b['id']}"))["data"]["redemptions_remaining"]
    assert left == 3  # two redeems, each once
    # The same key with another body is refused, pushed as alone.
    other = push(world.device(), [entry("POST", path, {"transaction_receipt_ref": "X"},
                                        key=pushed_key, X_Staff_Id=staff)])
    assert (other[0]["status"], other[0]["http_status"]) == ("refused", 422)
    assert "Idempotency-Key" in other[0]["errors"]


def test_entries_the_push_cannot_call_directly_go_through_the_application(
        world: World) -> None:
    """A query string, an encoded character or a route without a ``writes`` dependency
    takes the full application path, with the same answers."""
    from clienteling.hub.push import Prepared

    staff = world.staff["associate"]
    results = push(world.device(), [
        entry("POST", "/profiles?x=1", {"first_name": "Jo", "last_name": "Query"},
              X_Staff_Id=staff),
        entry("POST", "/profiles/search-id", {"type": "profile_id", "id": "nope"},
              X_Staff_Id=staff),
        entry("POST", "/profiles/a%2Fb/redeem", {"amount": "1.00"}, X_Staff_Id=staff),
    ])
    assert [(x["status"], x["http_status"]) for x in results] == [
        ("applied", 201), ("refused", 404), ("refused", 404)], results

    routes = world.live.server.config.app.state.direct_routes

    def find_direct(entry: Prepared) -> Any:
        from clienteling.hub.push import find_direct as find

        return find(entry, routes)

    def prepared(method: str, path: str, query: str = "") -> Prepared:
        return Prepared("k", method, "/api/v3" + path, query, b"", [])

    assert find_direct(prepared("POST", "/profiles", "x=1")) is None
    assert find_direct(prepared("POST", "/profiles/search-id")) is None  # a read, no key
    assert find_direct(prepared("GET", "/profiles")) is None
    found = find_direct(prepared("POST", "/profiles/p1/benefits/b1/redeem"))
    assert found is not None and found[1] == {"profile_id": "p1", "benefit_id": "b1"}
    assert found[0].endpoint.__name__ == "redeem_benefit"
    # Every write route of the served API is one a push calls directly, and at that route.
    openapi = world.hub_app_openapi()["paths"]
    writes = [(m.upper(), path, op["operationId"]) for path, ops in openapi.items()
              for m, op in ops.items() if m in ("post", "put", "delete")
              and path not in ("/api/v3/sync/push", "/api/v3/profiles/search-id")]
    assert len(writes) > 15
    for method, path, operation in writes:
        sample = re.sub(r"\{[a-z_]+\}", "v1", path)
        found = find_direct(Prepared("k", method, sample, "", b"", []))
        assert found is not None, (method, path)
        assert operation.startswith(found[0].endpoint.__name__ + "_"), (method, path, operation)
