"""Must-show 1 (happy paths): every endpoint of SPEC §7, over real HTTP, on SQLite and
PostgreSQL — and a check against the hub's own OpenAPI description that none was missed."""

from __future__ import annotations

import re
import uuid

from tests.hub.conftest import World, unique
from tests.hub.support import (
    balance,
    benefit_definition,
    issue,
    ok,
    profile,
    reward,
    reward_definition,
)


def _operations(world: World) -> list[tuple[str, re.Pattern[str]]]:
    spec = ok(world.anonymous().get("/openapi.json"))
    ops = []
    for path, methods in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")
        for method in methods:
            ops.append((method.upper(), pattern))
    return ops


def test_every_endpoint_answers_its_happy_path_over_http(world: World) -> None:
    admin, manager, associate = world.as_("admin"), world.as_("manager"), world.as_("associate")
    till = world.device()

    # -- health, stores, staff ------------------------------------------------------------
    health = ok(world.anonymous().get("/health"))["data"]
    assert health["status"] == "ok" and health["time"].endswith("+00:00")
    stores = ok(till.get("/locations"))
    assert {s["id"] for s in stores["data"]} == {world.store_id, world.other_store_id}
    assert stores["meta"]["total"] == 2 and stores["meta"]["per_page"] == 15
    assert set(stores["links"]) == {"first", "last", "prev", "next"}
    staff = ok(till.get("/staff", params={"filter[store_id]": world.store_id}))["data"]
    assert {s["role"] for s in staff} == {"associate", "manager", "admin"}
    # A till gets the PIN hashes of its own associates and managers only (issue 9).
    assert all(s["pin_hash"].startswith("$argon2") == (s["role"] != "admin") for s in staff)

    # -- profiles ---------------------------------------------------------------------------
    card = unique("card")[-8:]
    ann = profile(associate, first_name="Ann", email=f"{card}@example.com", gender="female",
                  tier="gold", attributes={"vip": True},
                  identities=[{"handle": "card", "identifier": card}])
    pid = ann["id"]
    assert ok(associate.get(f"/profiles/{pid}"))["data"]["identities"] == [
        {"handle": "card", "identifier": card}]
    updated = ok(associate.put(f"/profiles/{pid}", json={"mobile_phone": "+61 400 000 000"}))
    assert updated["data"]["mobile_phone"] == "+61 400 000 000"
    found = ok(associate.get("/profiles", params={"filter[search]": ann["last_name"]}))
    assert [p["id"] for p in found["data"]] == [pid]
    by_email = ok(associate.get("/profiles", params={"filter[email]": f"{card}@example.com"}))
    assert by_email["meta"]["total"] == 1
    assert ok(associate.post("/profiles/search-id", json={"type": "card", "id": card}))["data"][
        "id"] == pid
    assert ok(associate.post("/profiles/search-id", json={"type": "profile_id", "id": pid}))[
        "data"]["id"] == pid
    bob = profile(associate, first_name="Bob")

    # -- benefit definitions -----------------------------------------------------------------
    d = benefit_definition(admin, tags=["demo", "in-store"], is_extendable=True,
                           is_reassignable=True)
    assert d["version"] == 1
    listed = ok(admin.get("/benefits/definitions", params={"tags[]": "demo"}))
    assert [x["id"] for x in listed["data"]] == [d["id"]]
    got = admin.get(f"/benefits/definitions/{d['id']}")
    assert ok(got)["data"]["handle"] == d["handle"] and got.headers["etag"] == '"1"'
    assert ok(admin.get(f"/benefits/definitions/handle/{d['handle']}"))["data"]["id"] == d["id"]
    edited = ok(admin.put(f"/benefits/definitions/{d['id']}", json={"description": "One a day"},
                          headers={"If-Match": '"1"'}))["data"]
    assert edited["description"] == "One a day" and edited["version"] == 2
    alias = ok(admin.post("/benefit-definitions", json={"name": "Alias", "handle": unique("alias")}),
               201)["data"]
    assert ok(admin.get(f"/benefit-definitions/{alias['id']}"))["data"]["name"] == "Alias"
    ok(admin.delete(f"/benefits/definitions/{alias['id']}"), 204)
    assert admin.get(f"/benefits/definitions/{alias['id']}").status_code == 404

    # -- benefits: issue, read, update, extend, reassign ---------------------------------------
    b = issue(manager, d["id"], pid, issued_at="2026-03-01 09:00:00")
    assert b["issued_at"] == "2026-02-28T22:00:00+00:00"  # 09:00 Melbourne (AEDT) in UTC
    assert b["expires_at"] == "2026-03-30T22:00:00+00:00" and b["is_redeemable"] is True
    assert ok(manager.get(f"/benefits/{b['id']}"))["data"]["definition"]["id"] == d["id"]
    moved = ok(manager.put(f"/benefits/{b['id']}", json={"expires_at": "2026-04-01 12:00:00",
                                                         "timezone": "Australia/Melbourne"}))
    assert moved["data"]["expires_at"] == "2026-04-01T01:00:00+00:00"
    extended = ok(manager.post("/benefits/extend", json={"ids": [b["id"]], "profile_id": pid,
                                                         "extend_days": 10}))
    # 12:00 local is kept across the end of daylight saving on 5 April (UTC+10 after it)
    assert extended["data"][0]["expires_at"] == "2026-04-11T02:00:00+00:00"
    b2 = issue(manager, d["id"], pid)
    reassigned = ok(manager.put(f"/benefits/{b2['id']}", json={"profile_id": bob["id"]}))
    assert reassigned["data"]["profile_id"] == bob["id"]

    mine = ok(associate.get(f"/profiles/{pid}/benefits",
                            params={"tags[]": "demo", "filter[benefit_definition_id]": d["id"]}))
    assert [x["id"] for x in mine["data"]] == [b["id"]]
    assert ok(associate.get(f"/profiles/{pid}/redeemable_benefits"))["meta"]["total"] == 1
    assert ok(associate.get(f"/profiles/{pid}/benefits/{b['id']}"))["data"]["id"] == b["id"]

    redemption = ok(associate.post(f"/profiles/{pid}/benefits/{b['id']}/redeem",
                                   json={"transaction_receipt_ref": "R-1"}), 201)["data"]
    assert redemption["items"] == [{"type": "benefit", "id": b["id"], "value": "0.00", "count": 1}]
    assert ok(associate.get(f"/benefits/{b['id']}"))["data"]["redemptions_remaining"] == 2

    # -- claiming ----------------------------------------------------------------------------
    gold = benefit_definition(admin, is_claimable=True, claim_condition={"rule": "tier",
                                                                         "value": "gold"})
    instant = benefit_definition(admin, is_claimable=True, max_redemptions=1)
    claimable = ok(associate.get(f"/profiles/{pid}/benefits/claimable"))
    assert {x["handle"] for x in claimable["data"]} == {gold["handle"], instant["handle"]}
    not_for_bob = ok(associate.get(f"/profiles/{bob['id']}/benefits/claimable",
                                   params={"with_reasons": "1"}))["data"]
    assert {x["handle"]: x["not_claimable_code"] for x in not_for_bob}[gold["handle"]] == (
        "condition_failed")
    viewable = ok(associate.get(f"/profiles/{pid}/benefits/viewable"))
    assert d["id"] in {x["id"] for x in viewable["data"]}
    assert ok(associate.get(f"/profiles/{pid}/benefits/visibility"))["meta"]["total"] == (
        viewable["meta"]["total"])
    claimed = ok(associate.post(f"/profiles/{pid}/benefits/claim",
                                json={"definition": gold["handle"],
                                      "timezone": "Australia/Melbourne"}), 201)["data"]
    assert claimed["source"] == "claimed" and claimed["claimed_at"] == claimed["issued_at"]
    both = ok(associate.post(f"/profiles/{pid}/benefits/claim-redeem",
                             json={"definition": instant["handle"],
                                   "timezone": "Australia/Melbourne"}), 201)["data"]
    assert both["type"] == "redeem" and both["items"][0]["type"] == "benefit"

    doomed = issue(manager, d["id"], bob["id"])
    ok(admin.delete(f"/benefits/{doomed['id']}"), 204)
    assert admin.get(f"/benefits/{doomed['id']}").status_code == 404

    # -- rewards --------------------------------------------------------------------------
    rd = reward_definition(admin)
    assert ok(admin.get("/rewards/definitions"))["meta"]["total"] == 1
    assert ok(admin.get(f"/rewards/definitions/{rd['id']}"))["data"]["value"] == "10.00"
    rd2 = ok(admin.put(f"/rewards/definitions/{rd['id']}", json={"max_value": 200},
                       headers={"If-Match": "1"}))["data"]
    assert rd2["max_value"] == "200.00" and rd2["version"] == 2
    spare = reward_definition(admin)
    assert ok(admin.get(f"/reward-definitions/{spare['id']}"))["data"]["id"] == spare["id"]
    ok(admin.delete(f"/rewards/definitions/{spare['id']}"), 204)
    assert ok(admin.get("/reward-definitions"))["meta"]["total"] == 1

    r1 = reward(manager, rd["id"], pid, "20.00")
    r2 = reward(manager, rd["id"], pid, 15.5)  # a JSON number is fine when not over-precise
    assert r2["value_initial"] == "15.50"
    assert ok(manager.get(f"/rewards/{r1['id']}"))["data"]["value_remaining"] == "20.00"
    longer = ok(manager.post("/rewards/extend", json={"ids": [r1["id"]], "profile_id": pid}))
    assert longer["data"][0]["extended_at"] is not None
    assert ok(associate.get(f"/profiles/{pid}/rewards"))["meta"]["total"] == 2
    assert balance(associate, pid) == "35.50"
    spent = ok(associate.post(f"/profiles/{pid}/redeem", json={
        "amount": "25.00", "strategies": ["rewards"], "location_id": world.store_id,
        "transaction_receipt_ref": "R-2"}), 201)["data"]
    assert spent["total"] == "25.00" and spent["balances"]["reward_balance"] == "10.50"
    assert sum(float(i["value"]) for i in spent["items"]) == 25.0
    history = ok(associate.get("/redemptions", params={"filter[profile_id]": pid,
                                                       "filter[type]": "redeem"}))
    assert history["meta"]["total"] == 3
    assert ok(associate.get(f"/redemptions/{spent['id']}"))["data"]["id"] == spent["id"]
    assert ok(associate.get(f"/profiles/{pid}/redemptions"))["meta"]["total"] == 3
    reversal = ok(manager.post(f"/redemptions/{spent['id']}/reversal", json={}), 201)["data"]
    assert reversal["type"] == "reversal" and reversal["reversal_of_id"] == spent["id"]
    assert balance(associate, pid) == "35.50"

    # -- change feed ------------------------------------------------------------------------
    feed = ok(till.get("/sync/changes", params={"after": 0, "limit": 1000}))
    assert feed["meta"]["has_more"] is False and feed["data"]
    seqs = [row["seq"] for row in feed["data"]]
    assert seqs == sorted(seqs) and feed["meta"]["next"] == seqs[-1]
    kinds = {row["type"] for row in feed["data"]}
    assert {"store", "staff", "profile", "benefit_definition", "benefit", "reward_definition",
            "reward", "redemption"} <= kinds

    # -- purchases (SPEC 3.8 P4; details in test_purchases.py) -------------------------------
    sale = ok(associate.post(f"/profiles/{pid}/transactions",
                             json={"receipt_ref": "10023", "total": "182.50"}), 201)["data"]
    assert [p["id"] for p in ok(associate.get(f"/profiles/{pid}/transactions"))["data"]] == [
        sale["id"]]

    # -- reactions (SPEC 3.9; details in test_reactions.py) -----------------------------------
    rx = ok(admin.post("/reactions", json={
        "handle": unique("rx"), "name": "Spend 100", "limit": "every_time",
        "trigger": {"type": "purchase", "min_spend": "100.00"},
        "effect": {"benefit_definition_id": d["id"]}}), 201)["data"]
    assert [r["id"] for r in ok(admin.get("/reactions"))["data"]] == [rx["id"]]
    assert ok(admin.get(f"/reactions/{rx['id']}"))["data"]["version"] == 1
    rx = ok(admin.put(f"/reactions/{rx['id']}", json={"name": "Spend 100+"},
                      headers={"If-Match": '"1"'}))["data"]
    assert isinstance(ok(admin.post(f"/reactions/{rx['id']}/dry-run"))["data"]["count"], int)
    assert isinstance(ok(admin.post("/reactions/dry-run", json={
        **{k: rx[k] for k in ("trigger", "effect", "limit")}, "handle": "dry",
        "name": "Dry"}))["data"]["count"], int)
    earned = ok(associate.post(f"/profiles/{pid}/transactions",
                               json={"receipt_ref": "10024", "total": "120.00"}), 201)["data"]
    issued = next(b for b in ok(associate.get(f"/profiles/{pid}/benefits"))["data"]
                  if b["source"] == f"reaction:{rx['handle']}")
    assert ok(associate.post(f"/reactions/{rx['id']}/issues", json={
        "id": issued["id"], "profile_id": pid, "period": f"purchase:{earned['id']}"}), 200)
    assert ok(admin.delete(f"/reactions/{rx['id']}", headers={"If-Match": '"2"'}))["data"][
        "archived"] is True

    # -- push, snapshot, digest (details in test_sync_*.py) -----------------------------------
    pushed = ok(till.post("/sync/push", json={"entries": [{
        "key": str(uuid.uuid4()), "method": "POST", "path": "/profiles",
        "body": {"first_name": "Pia", "last_name": "Pushed"},
        "headers": {"X-Staff-Id": world.staff["associate"]}}]}))["data"]
    assert [r["status"] for r in pushed] == ["applied"]
    snapshot = ok(till.get("/sync/snapshot"))
    assert snapshot["meta"]["has_more"] is False
    assert snapshot["meta"]["totals"]["profile"] == len(
        [e for e in snapshot["data"] if e["type"] == "profile"])
    digest = ok(till.get("/sync/digest"))["data"]["types"]
    assert digest["profile"]["count"] == snapshot["meta"]["totals"]["profile"]
    assert ok(till.get("/sync/digest", params={"type": "profile", "prefix": "0"}))["data"][
        "prefix"] == "0"
    pia = next(r["data"]["data"]["id"] for r in pushed)
    assert [e["op"] for e in ok(till.get("/sync/records", params={
        "type": "profile", "id": [pia, "gone"]}))["data"]] == ["upsert", "delete"]
    assert ok(till.get("/sync/whoami"))["data"]["store"]["id"] == world.store_id

    # -- reports (SPEC §5, §7; numbers against a brute-force reference in test_reports.py) ---
    for report, params in (("liability", {}), ("expiring", {"days": "30"}),
                           ("redemptions", {"from": "2026-03-01", "to": "2026-03-31"}),
                           ("reactions", {})):
        assert isinstance(ok(manager.get(f"/reports/{report}", params=params))["data"], dict)

    # -- nothing in the OpenAPI description was left out --------------------------------------
    answered = {(m, p) for m, p, status in world.live.calls if 200 <= status < 300}
    missing = [
        (method, pattern.pattern) for method, pattern in _operations(world)
        if not any(m == method and pattern.match(p) for m, p in answered)
    ]
    assert not missing, f"endpoints never exercised: {missing}"


def test_openapi_is_served_at_api_v3_and_documents_bodies_and_auth(world: World) -> None:
    spec = ok(world.anonymous().get("/openapi.json"))
    assert spec["components"]["securitySchemes"]["device"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v3/health"]["get"]["security"] == []
    post = spec["paths"]["/api/v3/benefits/definitions"]["post"]
    props = post["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"claim_timeframe", "claim_condition", "max_global_redemptions"} <= set(props)
    headers = {p["name"] for p in post["parameters"]}
    assert {"X-Staff-Id", "Idempotency-Key", "X-Occurred-At"} <= headers


def test_lists_page_with_laravel_links_and_meta(world: World) -> None:
    admin = world.as_("admin")
    for i in range(5):
        benefit_definition(admin, name=f"Def {i}", handle=unique(f"d{i}"))
    first = ok(admin.get("/benefits/definitions", params={"page[size]": 2, "sort": "-name"}))
    assert [x["name"] for x in first["data"]] == ["Def 4", "Def 3"]
    meta = first["meta"]
    assert (meta["current_page"], meta["per_page"], meta["total"], meta["last_page"],
            meta["from"], meta["to"]) == (1, 2, 5, 3, 1, 2)
    assert meta["path"].endswith("/api/v3/benefits/definitions")
    assert first["links"]["prev"] is None and "page%5Bnumber%5D=2" in first["links"]["next"]
    last = ok(admin.get(first["links"]["last"]))
    assert [x["name"] for x in last["data"]] == ["Def 0"] and last["links"]["next"] is None
    assert last["meta"]["from"] == 5 and last["meta"]["to"] == 5
    later = ok(admin.get("/benefits/definitions", params={
        "filter[created_at][gte]": "2026-03-02 11:00:00", "timezone": "Australia/Melbourne"}))
    assert later["meta"]["total"] == 5
    none = ok(admin.get("/benefits/definitions", params={"filter[created_at][gt]": "2026-03-02T00:00:01Z"}))
    assert none["meta"]["total"] == 0 and none["meta"]["from"] is None
    assert ok(admin.get("/benefits/definitions", params={"filter[name][in]": "Def 1,Def 2"}))[
        "meta"]["total"] == 2
