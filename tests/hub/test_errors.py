"""Must-show 1 (errors): every error code of SPEC §7 over real HTTP, each with its shape —
400 with a reason code, 401, 403, 404, 409 (and 412), 413, 422 — and the headers that
carry who and when (X-Staff-Id, X-Occurred-At)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest

from clienteling.hub.requests import MAX_BODY
from tests.hub.conftest import World, unique
from tests.hub.support import benefit_definition, issue, ok, profile, refused, reward, reward_definition
from tests.internals import database_of


def test_400_carries_the_rule_reason_code_and_changes_nothing(world: World) -> None:
    admin, manager = world.as_("admin"), world.as_("manager")
    pid = profile(admin)["id"]
    d = benefit_definition(admin, max_redemptions=1)
    b = issue(manager, d["id"], pid)
    ok(admin.post(f"/profiles/{pid}/benefits/{b['id']}/redeem"), 201)
    body = refused(admin.post(f"/profiles/{pid}/benefits/{b['id']}/redeem"), 400, "exhausted")
    assert "no redemptions left" in body["message"]
    other = profile(admin)["id"]
    refused(admin.post(f"/profiles/{other}/benefits/{b['id']}/redeem"), 400, "wrong_profile")
    refused(admin.post(f"/profiles/{pid}/benefits/claim", json={"definition": d["handle"]}), 400,
            "not_claimable")
    rd = reward_definition(admin)
    reward(manager, rd["id"], pid, "5.00")
    refused(admin.post(f"/profiles/{pid}/redeem", json={"amount": "5.01"}), 400, "over_balance")
    refused(manager.post("/rewards", json={"profile_id": pid, "reward_definition_id": rd["id"],
                                           "value_initial": "100.01", "reason": "x"}), 400, "over_cap")
    assert ok(admin.get(f"/profiles/{pid}/balances"))["data"]["reward_balance"] == "5.00"
    assert ok(admin.get(f"/benefits/{b['id']}"))["data"]["redemptions_remaining"] == 0


def test_401_without_a_valid_token_or_a_known_staff_member(world: World) -> None:
    live = world.live
    refused(live.client().get("/profiles"), 401, "unauthenticated")
    assert live.client().get("/profiles").headers["www-authenticate"] == "Bearer"
    refused(live.client("clt_0123456789abcdef_not-the-secret").get("/profiles"), 401,
            "unauthenticated")
    refused(live.client("nonsense").get("/locations"), 401)
    refused(live.client(None, Authorization="Basic dXNlcjpwYXNz").get("/staff"), 401)
    # Writes need X-Staff-Id naming a known, active staff member.
    refused(world.device().post("/profiles", json={"first_name": "A", "last_name": "B"}), 401,
            "staff_required")
    refused(live.client(world.token, "no-such-staff").post("/profiles", json={}), 401,
            "unknown_staff")
    refused(live.client(world.token, "bad id!").get("/profiles"), 401, "unknown_staff")
    with database_of(world.hub.cl).write() as s:  # deactivate the associate (a test-only shortcut)
        from clienteling.engine.models import Staff

        s.get(Staff, world.staff["associate"]).is_active = False
    refused(world.as_("associate").post("/profiles", json={"first_name": "A", "last_name": "B"}),
            401, "staff_inactive")


def test_403_for_a_role_or_a_store_that_may_not(world: World) -> None:
    associate = world.as_("associate")
    body = refused(associate.post("/benefits/definitions", json={"name": "X", "handle": "x"}), 403,
                   "forbidden")
    assert "associate" in body["message"]
    # A manager of another store cannot act through this store's till …
    refused(world.live.client(world.token, world.other_manager).get("/profiles"), 403, "wrong_store")
    # … nor this store's manager through the other store's till; an admin acts only on an
    # admin device, never on a till (issue 9, docs/security.md).
    refused(world.live.client(world.other_token, world.staff["manager"]).get("/profiles"), 403,
            "wrong_store")
    admin_elsewhere = world.live.client(world.other_token, world.staff["admin"])
    refused(admin_elsewhere.post("/profiles", json={"first_name": "A", "last_name": "B"}), 403,
            "admin_device_required")
    # A manager override (X-Authorised-By) lets an associate issue a customer-service reward.
    pid = profile(associate)["id"]
    rd = reward_definition(world.as_("admin"))
    refused(associate.post("/rewards", json={"profile_id": pid, "reward_definition_id": rd["id"],
                                             "reason": "sorry"}), 403, "forbidden")
    ok(world.as_("associate", **{"X-Authorised-By": world.staff["manager"]}).post(
        "/rewards", json={"profile_id": pid, "reward_definition_id": rd["id"], "reason": "sorry"}),
        201)
    refused(world.as_("associate", **{"X-Authorised-By": world.staff["associate"]}).post(
        "/rewards", json={"profile_id": pid, "reward_definition_id": rd["id"], "reason": "x"}), 403)


def test_404_for_unknown_ids_and_paths(world: World) -> None:
    admin = world.as_("admin")
    missing = "00000000-0000-0000-0000-000000000000"
    for path in (f"/profiles/{missing}", f"/benefits/{missing}", f"/benefits/definitions/{missing}",
                 f"/benefits/definitions/handle/{missing}", f"/rewards/definitions/{missing}",
                 f"/rewards/{missing}", f"/redemptions/{missing}", f"/profiles/{missing}/benefits",
                 f"/profiles/{missing}/rewards", f"/profiles/{missing}/balances",
                 f"/profiles/{missing}/benefits/claimable", f"/profiles/{missing}/redemptions"):
        refused(admin.get(path), 404, "not_found")
    for method, path in (("PUT", f"/profiles/{missing}"), ("DELETE", f"/benefits/{missing}"),
                         ("POST", f"/redemptions/{missing}/reversal"),
                         ("PUT", f"/benefits/definitions/{missing}"),
                         ("DELETE", f"/rewards/definitions/{missing}"),
                         ("POST", f"/profiles/{missing}/redeem")):
        body = {"amount": "1.00"} if path.endswith("redeem") else {"name": "x"}
        refused(admin.request(method, path, json=body), 404, "not_found")
    refused(admin.post("/profiles/search-id", json={"type": "card", "id": "404404"}), 404)
    refused(admin.get("/no-such-endpoint"), 404)


def test_409_for_a_stale_if_match_with_the_current_version_and_412_when_unreadable(
    world: World,
) -> None:
    admin = world.as_("admin")
    d = benefit_definition(admin)
    ok(admin.put(f"/benefits/definitions/{d['id']}", json={"name": "Mine"}, headers={"If-Match": "1"}))
    body = refused(admin.put(f"/benefits/definitions/{d['id']}", json={"name": "Theirs"},
                             headers={"If-Match": '"1"'}), 409, "version_conflict")
    assert body["current_version"] == 2 and body["data"]["name"] == "Mine"
    for unreadable in ("yesterday", "³".encode("latin-1"), '"1"2', "1.0", "-1"):
        refused(admin.put(f"/benefits/definitions/{d['id']}", json={"name": "?"},
                          headers={"If-Match": unreadable}), 412, "precondition_failed")
    refused(admin.delete(f"/benefits/definitions/{d['id']}", headers={"If-Match": "1"}), 409)
    rd = reward_definition(admin)
    refused(admin.put(f"/rewards/definitions/{rd['id']}", json={"name": "R"},
                      headers={"If-Match": 'W/"7"'}), 409, "version_conflict")
    assert ok(admin.get(f"/benefits/definitions/{d['id']}"))["data"]["name"] == "Mine"


def test_422_names_each_bad_field(world: World) -> None:
    admin = world.as_("admin")
    body = refused(admin.post("/profiles", json={"first_name": "", "email": "nope",
                                                 "birth_date": "31/12/1990"}), 422)
    assert {"first_name", "last_name", "email", "birth_date"} <= set(body["errors"])
    body = refused(admin.post("/benefits/definitions", json={
        "name": "X", "handle": "not a handle", "claim_condition": {"frobnicate": [1]},
        "claim_timeframe": {"timezone": "Mars/Olympus", "timeframe": {"repeat": []}}}), 422)
    assert {"handle", "claim_condition", "claim_timeframe"} <= set(body["errors"])
    body = refused(admin.post("/profiles", content=b'{"first_name": "A",'), 422)
    assert list(body["errors"]) == ["body"]
    body = refused(admin.post("/profiles", json=["a", "list"]), 422)
    assert list(body["errors"]) == ["body"]
    # FastAPI's own validation errors come back in the same shape, naming the parameter.
    body = refused(admin.get("/sync/changes", params={"after": "soon"}), 422)
    assert list(body["errors"]) == ["after"]
    body = refused(admin.get("/profiles", params={"filter[shoe_size]": "9"}), 422)
    assert list(body["errors"]) == ["filter[shoe_size]"]
    body = refused(admin.get("/profiles", params={"page[size]": "500"}), 422)
    assert list(body["errors"]) == ["page[size]"]
    body = refused(admin.get("/profiles", params={"sort": "-shoe_size"}), 422)
    assert list(body["errors"]) == ["sort"]


def test_413_for_a_body_over_one_mebibyte_with_or_without_a_length(world: World) -> None:
    admin = world.as_("admin")
    big = b'{"first_name": "' + b"a" * MAX_BODY + b'"}'
    refused(admin.post("/profiles", content=big), 413, "payload_too_large")

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 64 * 1024):
            yield big[i:i + 64 * 1024]

    refused(admin.post("/profiles", content=chunks()), 413, "payload_too_large")
    # A declared length far over the limit is refused before the body is read at all.
    host, port = world.live.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"POST /api/v3/profiles HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer "
            f"{world.token}\r\nX-Staff-Id: {world.staff['admin']}\r\nContent-Type: "
            f"application/json\r\nContent-Length: {64 * MAX_BODY}\r\n\r\n{{".encode())
        head = sock.recv(65536).decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head
    ok(admin.post("/profiles", content=b'{"first_name": "A", "last_name": "B"}'), 201)


def test_x_occurred_at_judges_a_replayed_redeem_at_the_till_time(world: World) -> None:
    assert world.clock is not None
    admin, manager = world.as_("admin"), world.as_("manager")
    pid = profile(admin)["id"]
    d = benefit_definition(admin, period=1)
    b = issue(manager, d["id"], pid)
    at_till = world.clock.now() + timedelta(hours=20)
    world.clock.advance(hours=30)  # expired now, but not when the till redeemed it offline
    refused(admin.post(f"/profiles/{pid}/benefits/{b['id']}/redeem"), 400, "expired")
    replayed = world.as_("admin", **{"X-Occurred-At": at_till.isoformat()})
    redemption = ok(replayed.post(f"/profiles/{pid}/benefits/{b['id']}/redeem"), 201)["data"]
    assert redemption["redeem_at"] == at_till.isoformat()
    for bad in ("yesterday", "2026-03-02 10:00:00", "2026-13-45T00:00:00Z"):
        body = refused(world.as_("admin", **{"X-Occurred-At": bad}).post(
            f"/profiles/{pid}/redeem", json={"amount": "1"}), 422)
        assert list(body["errors"]) == ["X-Occurred-At"]


def test_delete_of_a_definition_in_use_is_refused_with_advice_to_archive(world: World) -> None:
    admin, manager = world.as_("admin"), world.as_("manager")
    d = benefit_definition(admin, handle=unique("used"))
    issue(manager, d["id"], profile(admin)["id"])
    body = refused(admin.delete(f"/benefits/definitions/{d['id']}"), 400, "in_use")
    assert "archive" in body["message"]
    ok(admin.put(f"/benefits/definitions/{d['id']}", json={"is_archived": True}))


def test_a_real_bug_is_a_logged_500_without_a_traceback(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The catch-all exists for bugs only; every other test proves bad input never reaches it
    (the ``start_hub`` fixture fails a test whose requests did)."""
    hub = world.hub

    def broken(profile_id: str) -> None:
        raise RuntimeError("secret internals")

    hub.cl.profiles.get = broken  # type: ignore[assignment,method-assign]
    with caplog.at_level(logging.ERROR, logger="clienteling.hub"):
        response = world.as_("admin").get("/profiles/anything")
    assert response.status_code == 500
    assert response.json() == {"message": "Internal error in the hub; it has been logged.",
                               "code": "internal_error"}
    assert "secret internals" not in response.text and "Traceback" not in response.text
    assert any("unhandled error" in r.message for r in caplog.records)
    assert [type(e) for e in hub.unhandled] == [RuntimeError]
    hub.unhandled.clear()


def test_environment_failures_are_503_with_retry_after_not_500() -> None:
    from sqlalchemy.exc import OperationalError

    from clienteling.engine.db import DatabaseError
    from clienteling.hub.errors import classify

    busy = classify(OperationalError("INSERT …", {}, Exception("database is locked")))
    gone = classify(OperationalError("SELECT 1", {}, Exception("server closed the connection")))
    broken = classify(DatabaseError("Cannot open the database hub.db"))
    assert busy is not None and busy[0] == 503 and busy[1]["code"] == "busy"
    assert gone is not None and gone[0] == 503 and gone[1]["code"] == "database_unavailable"
    assert broken is not None and broken[0] == 503 and broken[2] == {"Retry-After": "5"}
    assert classify(RuntimeError("a bug")) is None
