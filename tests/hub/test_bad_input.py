"""Must-show 4: bad input never gets a 5xx — always a 4xx with a message naming the problem.

A fixed sweep (malformed JSON, wrong types, unknown ids, bad dates, absurd numbers, oversize
bodies) and a hypothesis fuzz that walks the hub's own OpenAPI description: for every
POST/PUT/DELETE it fills the path with real and junk ids and the body with the documented
fields (and others) set to hostile values; for every GET list, the query with junk filters,
sorts and pages. The ``start_hub`` fixture also fails the test if any request reached the
catch-all (a bug).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hub.conftest import World, new_key, unique
from tests.hub.support import benefit_definition, issue, ok, profile, reward, reward_definition

ABSURD_NUMBERS: list[Any] = [1e308, -1, 10**30, -(10**30), "NaN", "Infinity", "-0", 0, 0.001,
                             "1e5", "12.345", True, 2**63, -(2**63) - 1, 1.5, "", " ", [], {}]
BAD_DATES: list[Any] = ["yesterday", "2026-02-30", "31/12/2026", "99999-01-01T00:00:00",
                        "2026-03-02T25:00:00", "0001-01-01", 12345, True, [], {"at": 1}]
JUNK_TEXT: list[Any] = ["", " ", "\x00", "a\x00b", "Staturday", "☃" * 300, "x" * 5000,
                        "'; DROP TABLE profiles; --", "%s%n", "../../etc/passwd", 7, None, False]


def _ids(world: World) -> dict[str, str]:
    admin, manager = world.as_("admin"), world.as_("manager")
    pid = profile(admin)["id"]
    d = benefit_definition(admin, is_claimable=True, is_extendable=True, is_reassignable=True)
    b = issue(manager, d["id"], pid)
    rd = reward_definition(admin)
    r = reward(manager, rd["id"], pid, "50.00")
    spent = ok(admin.post(f"/profiles/{pid}/redeem", json={"amount": "1.00"}), 201)["data"]
    rx = ok(admin.post("/reactions", json={
        "handle": "fuzz-rx", "name": "Fuzz", "trigger": {"type": "joined"}, "limit": "once",
        "effect": {"benefit_definition_id": d["id"]}}), 201)["data"]
    return {"profile_id": pid, "definition_id": d["id"], "handle": d["handle"], "benefit_id": b["id"],
            "reward_definition_id": rd["id"], "reward_id": r["id"], "redemption_id": spent["id"],
            "reaction_id": rx["id"]}


def _assert_answered(response: httpx.Response) -> None:
    request = f"{response.request.method} {response.request.url}"
    assert response.status_code < 500, f"{request} -> {response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body.get("message"), str) and body["message"], f"{request}: {body}"
        if response.status_code == 422:
            assert body["errors"] and all(isinstance(v, list) and v for v in body["errors"].values())


def test_malformed_bodies_are_422_naming_body(world: World) -> None:
    admin = world.as_("admin")
    for raw in (b"{", b'{"a": }', b"[1, 2", b"\xff\xfe", b'{"a": NaN}', b'{"a": Infinity}',
                b'{"a": 1e999}', b"[" * 100 + b"]" * 100, b'"just a string"', b"42", b"null",
                b'{"first_name": "A\\u0000"}', b'{"first_name": "\\ud800"}', b"1" * 5000):
        for path in ("/profiles", "/benefits/definitions", "/benefits", "/rewards"):
            response = admin.post(path, content=raw, headers={"Content-Type": "application/json"})
            _assert_answered(response)
            assert response.status_code == 422, (raw, path, response.text)


def test_wrong_types_bad_dates_and_absurd_numbers_are_4xx_with_a_named_field(world: World) -> None:
    ids = _ids(world)
    admin = world.as_("admin")
    pid = ids["profile_id"]
    numeric: list[tuple[str, str, str, dict[str, Any]]] = [
        ("POST", f"/profiles/{pid}/redeem", "amount", {}),
        ("POST", "/rewards", "value_initial", {"profile_id": pid, "reason": "x",
                                               "reward_definition_id": ids["reward_definition_id"]}),
        ("POST", "/rewards/definitions", "value", {"name": "R", "handle": "r-num", "type": "bonus"}),
        ("POST", "/rewards/definitions", "period", {"name": "R", "handle": "r-per", "type": "bonus"}),
        ("POST", "/benefits/definitions", "max_global_redemptions", {"name": "B", "handle": "b-n"}),
        ("POST", "/benefits/definitions", "period", {"name": "B", "handle": "b-p"}),
        ("POST", "/benefits/extend", "extend_days", {"ids": [ids["benefit_id"]], "profile_id": pid}),
    ]
    for method, path, field, base in numeric:
        for value in ABSURD_NUMBERS:
            if "handle" in base:
                base = {**base, "handle": unique("h")}
            response = admin.request(method, path, json={**base, field: value})
            _assert_answered(response)
            if response.status_code == 422:
                assert field in response.json()["errors"] or "body" in response.json()["errors"]
    dated: list[tuple[str, str, str, dict[str, Any]]] = [
        ("POST", "/benefits", "issued_at", {"benefit_definition_id": ids["definition_id"],
                                            "profile_id": pid}),
        ("PUT", f"/benefits/{ids['benefit_id']}", "expires_at", {}),
        ("POST", "/benefits/extend", "extend_date", {"ids": [ids["benefit_id"]], "profile_id": pid}),
        ("POST", "/benefits/definitions", "end_at", {"name": "B", "handle": "b-end"}),
        ("POST", "/profiles", "birth_date", {"first_name": "A", "last_name": "B"}),
    ]
    for method, path, field, base in dated:
        for value in BAD_DATES:
            if field == "birth_date" and value == "2026-03-02T25:00:00":
                continue  # a date-only field reads the date part (engine.form.Form.day)
            if "handle" in base:
                base = {**base, "handle": unique("h")}
            response = admin.request(method, path, json={**base, field: value})
            _assert_answered(response)
            assert response.status_code == 422, (field, value, response.text)
            assert field in response.json()["errors"], (field, value, response.text)
    for value in JUNK_TEXT:
        for method, path, body in (
            ("POST", "/profiles", {"first_name": value, "last_name": value, "email": value}),
            ("POST", f"/profiles/{pid}/benefits/claim", {"definition": value, "timezone": value}),
            ("POST", "/profiles/search-id", {"type": value, "id": value}),
            ("POST", f"/redemptions/{ids['redemption_id']}/reversal", {"reversal_id": value}),
        ):
            _assert_answered(admin.request(method, path, json=body))


def test_unknown_and_junk_ids_in_paths_are_4xx(world: World) -> None:
    admin = world.as_("admin")
    for junk in ("nope", "0", "-1", "x" * 2000, "%00", "a%00b", "%ED%A0%80", "☃", "'", "..%2F..",
                 "1e308", "%20"):
        for method, template in (("GET", "/profiles/{}"), ("PUT", "/profiles/{}"),
                                 ("GET", "/benefits/{}"), ("DELETE", "/benefits/{}"),
                                 ("GET", "/benefits/definitions/handle/{}"),
                                 ("POST", "/profiles/{}/benefits/{}/redeem"),
                                 ("POST", "/redemptions/{}/reversal"), ("GET", "/profiles/{}/balances"),
                                 ("GET", "/profiles/{}/benefits/claimable")):
            path = template.replace("{}", junk)
            _assert_answered(admin.request(method, path, json={}))


def test_junk_list_queries_are_4xx(world: World) -> None:
    admin = world.as_("admin")
    for params in ({"page[number]": "0"}, {"page[number]": "-3"}, {"page[number]": "1e9"},
                   {"page[number]": "99999999999999999999"}, {"page[size]": "0"},
                   {"page[size]": "101"}, {"sort": "password"}, {"sort": "--name"},
                   {"filter[created_at][gte]": "soon"}, {"filter[created_at][between]": "1"},
                   {"filter[is_published]": "maybe"}, {"filter[period][gt]": "10**30"},
                   {"filter[period]": "99999999999"}, {"filter[name]": "\x00"},
                   {"filter[]": "x"}, {"filter[a][b][c]": "x"}, {"timezone": "Mars/Base"},
                   {"tags[]": "x" * 500}, {"filter[value][gte]": "NaN"},
                   {"page[number]": "³"}, {"page[size]": "٣"}, {"filter[period]": "²"},
                   {"filter[created_at]": "２０２６-03-02"}):
        for path in ("/benefits/definitions", "/rewards/definitions", "/profiles", "/redemptions",
                     "/staff", "/locations"):
            response = admin.get(path, params=params)
            _assert_answered(response)


# --------------------------------------------------------------------------- hypothesis

json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(ABSURD_NUMBERS[:9]),
    st.text(max_size=40), st.sampled_from([*BAD_DATES[:6], *[j for j in JUNK_TEXT if isinstance(j, str)]]),
    st.sampled_from(["2026-03-02 10:00:00", "2026-03-02T10:00:00+11:00", "Australia/Melbourne",
                     "20.00", "gold", "female", "rewards", "customer-service", "bonus"]),
)
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)


def _write_operations(spec: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    ops = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            if method.upper() in ("POST", "PUT", "DELETE"):
                schema = (op.get("requestBody", {}).get("content", {}).get("application/json", {})
                          .get("schema", {}))
                ops.append((method.upper(), path.removeprefix("/api/v3"),
                            sorted(schema.get("properties", {}))))
    return ops


def _templates(ids: dict[str, str], handle: str) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body per operation, which the fuzz then spoils one field at a time."""
    pid = ids["profile_id"]
    return {
        ("POST", "/profiles"): {"first_name": "Fuzz", "last_name": "Z"},
        ("PUT", "/profiles/{profile_id}"): {"first_name": "Fuzzed"},
        ("POST", "/profiles/search-id"): {"type": "profile_id", "id": pid},
        ("POST", "/benefits/definitions"): {"name": "F", "handle": handle, "period": 5},
        ("PUT", "/benefits/definitions/{definition_id}"): {"name": "F2"},
        ("POST", "/benefits"): {"benefit_definition_id": ids["definition_id"], "profile_id": pid},
        ("PUT", "/benefits/{benefit_id}"): {"expires_at": "2026-04-01 10:00:00"},
        ("POST", "/benefits/extend"): {"ids": [ids["benefit_id"]], "profile_id": pid,
                                       "extend_days": 1},
        ("POST", "/profiles/{profile_id}/benefits/claim"): {"definition": ids["handle"]},
        ("POST", "/profiles/{profile_id}/benefits/claim-redeem"): {"definition": ids["handle"]},
        ("POST", "/rewards/definitions"): {"name": "R", "handle": handle, "type": "bonus"},
        ("PUT", "/rewards/definitions/{definition_id}"): {"name": "R2"},
        ("POST", "/rewards"): {"profile_id": pid, "reward_definition_id": ids["reward_definition_id"],
                               "value_initial": "1.00", "reason": "fuzz"},
        ("POST", "/rewards/extend"): {"ids": [ids["reward_id"]], "profile_id": pid},
        ("POST", "/profiles/{profile_id}/redeem"): {"amount": "0.50"},
        ("POST", "/reactions"): {"handle": handle, "name": "R", "trigger": {"type": "joined"},
                                 "effect": {"benefit_definition_id": ids["definition_id"]},
                                 "limit": "once"},
        ("PUT", "/reactions/{reaction_id}"): {"name": "R2"},
        ("POST", "/reactions/dry-run"): {"handle": handle, "name": "R", "limit": "once",
                                         "trigger": {"type": "birthday", "when": "month"},
                                         "effect": {"benefit_definition_id": ids["definition_id"]}},
    }


_PATH_IDS = {"profile_id": "profile_id", "benefit_id": "benefit_id", "redemption_id": "redemption_id",
             "reaction_id": "reaction_id"}


def test_fuzzing_every_write_endpoint_from_the_openapi_description_never_gets_a_5xx(
    world: World,
) -> None:
    ids = _ids(world)
    spec = ok(world.anonymous().get("/openapi.json"))
    ops = _write_operations(spec)
    assert len(ops) >= 20
    clients = {role: world.as_(role) for role in ("associate", "manager", "admin")}
    real = list(ids.values())
    junk_path = st.one_of(st.text(max_size=40), st.sampled_from(["x" * 100, "%00", "☃", "null"]))

    def path_for(data: st.DataObject, template: str) -> str:
        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if data.draw(st.integers(0, 3), label="junk path") > 0:
                if name == "definition_id":
                    key = "reward_definition_id" if template.startswith("/rewards") else "definition_id"
                    return ids[key]
                if name in _PATH_IDS:
                    return ids[_PATH_IDS[name]]
            return quote(data.draw(st.one_of(junk_path, st.sampled_from(real)), label="path"),
                         safe="%")

        return re.sub(r"\{([^}]+)\}", fill, template)

    @settings(derandomize=True, max_examples=250, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        method, template, fields = data.draw(st.sampled_from(ops), label="operation")
        path = path_for(data, template)
        handle = f"h-{data.draw(st.uuids()).hex[:12]}"
        base = _templates(ids, handle).get((method, template), {})
        values = st.one_of(json_value, st.sampled_from(real))
        body: Any
        if data.draw(st.integers(0, 3), label="shape") > 0:
            body = dict(base)  # a valid body with a few fields spoiled (or extra ones added)
            for name in data.draw(st.lists(st.one_of(st.sampled_from(fields or ["x"]),
                                                     st.text(max_size=12)), max_size=3)):
                body[name] = data.draw(values, label=name)
        else:
            body = data.draw(st.one_of(st.dictionaries(st.text(max_size=12), values, max_size=6),
                                       json_value), label="body")
        headers: dict[str, str] = {}
        key = data.draw(st.integers(0, 9), label="key")
        if key > 4:
            headers["Idempotency-Key"] = "reused-key" if key == 9 else new_key()
        if data.draw(st.integers(0, 4), label="occurred") == 0:
            headers["X-Occurred-At"] = data.draw(st.sampled_from(
                ["2026-03-01T23:00:00+00:00", "garbage", "2026-03-02", "1800-01-01T00:00:00Z"]))
        if data.draw(st.integers(0, 4), label="if-match") == 0:
            headers["If-Match"] = data.draw(st.sampled_from(['"1"', "0", "x", 'W/"2"', "*"]))
        client = clients[data.draw(st.sampled_from(sorted(clients)), label="role")]
        content = json.dumps(body, allow_nan=True).encode()
        response = client.request(method, path, content=content,
                                  headers={"Content-Type": "application/json", **headers})
        _assert_answered(response)

    check()
    succeeded = [(m, p) for m, p, status in world.live.calls if status < 300]
    assert len(succeeded) > 25, "the fuzz hardly ever got past validation"


def test_fuzzing_list_queries_never_gets_a_5xx(world: World) -> None:
    spec = ok(world.anonymous().get("/openapi.json"))
    lists = [p.removeprefix("/api/v3") for p, m in spec["paths"].items()
             if "get" in m and "{" not in p and p.endswith(("s", "definitions", "changes"))]
    admin = world.as_("admin")
    field = st.sampled_from(["name", "handle", "created_at", "period", "is_published", "value",
                             "type", "profile_id", "email", "search", "store_id", "total", "x"])
    op = st.sampled_from(["", "[gte]", "[lt]", "[ne]", "[in]", "[nullable]", "[eq]", "[zz]"])
    value = st.one_of(st.text(max_size=30), st.sampled_from(["1", "-1", "1e308", "NaN", "true",
                                                             "2026-03-02", "2026-03-02 10:00:00"]))

    @settings(derandomize=True, max_examples=150, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(path=st.sampled_from(lists),
           filters=st.lists(st.tuples(field, op, value), max_size=3),
           sort=st.one_of(st.none(), st.text(max_size=15), st.sampled_from(["-name", "created_at"])),
           page=st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 10**12).map(str)),
           size=st.one_of(st.none(), st.integers(-5, 500).map(str)))
    def check(path: str, filters: list[tuple[str, str, str]], sort: str | None, page: str | None,
              size: str | None) -> None:
        params: list[tuple[str, str]] = [(f"filter[{f}]{o}", v) for f, o, v in filters]
        if sort is not None:
            params.append(("sort", sort))
        if page is not None:
            params.append(("page[number]", page))
        if size is not None:
            params.append(("page[size]", size))
        _assert_answered(admin.get(path, params=params))

    check()


def test_junk_headers_are_4xx(world: World) -> None:
    pid = _ids(world)["profile_id"]
    junk: list[bytes] = [b"\xb3", b"\xff" * 10, b"x" * 5000, b" ", b"clt_\xb3\xb3_x", b"clt__",
                         b"clt_0123456789abcdef_", b"Bearer", b"2026-03-02T10:00:00+99:00",
                         b"W/", b'"', b"\xe2\x98\x83"]
    for name in ("Authorization", "X-Staff-Id", "X-Authorised-By", "Idempotency-Key",
                 "X-Occurred-At", "If-Match", "Content-Length"):
        for value in junk:
            headers = {name: value if name != "Authorization" else b"Bearer " + value}
            client = world.as_("admin")
            for method, path, body in (("POST", f"/profiles/{pid}/redeem", b'{"amount": "1"}'),
                                       ("GET", "/profiles", b""),
                                       ("PUT", f"/benefits/definitions/{pid}", b"{}")):
                try:
                    response = client.request(method, path, content=body, headers=headers)
                except httpx.HTTPError:
                    continue  # refused on the wire (a malformed Content-Length): no answer to judge
                _assert_answered(response)
