"""``GET /api/v3/sync/whoami``: one call that proves a device token and names its store
(SPEC §6 "Connecting a till"), on both backends, behind the usual token checks."""

from __future__ import annotations

from clienteling import __version__
from tests.hub.conftest import World


def test_a_till_token_names_its_device_and_store(world: World) -> None:
    response = world.device().get("/sync/whoami")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["device"]["name"] == "Till 1"
    assert data["device"]["kind"] == "till"
    assert data["device"]["id"]
    assert data["store"] == {"id": world.store_id, "name": "Melbourne Central",
                             "timezone": "Australia/Melbourne"}
    assert data["hub"]["name"] == "clienteling"
    assert data["hub"]["version"] == __version__


def test_an_admin_device_says_so(world: World) -> None:
    data = world.live.client(world.admin_token).get("/sync/whoami").json()["data"]
    assert data["device"] == {**data["device"], "name": "Back office A", "kind": "admin device"}
    other = world.live.client(world.other_token).get("/sync/whoami").json()["data"]
    assert other["store"]["name"] == "Copenhagen"


def test_no_wrong_or_revoked_token_is_401(world: World) -> None:
    assert world.anonymous().get("/sync/whoami").status_code == 401
    wrong = world.live.client("clt_nothere_nosecret").get("/sync/whoami")
    assert wrong.status_code == 401
    assert wrong.json()["message"]
    token_id = world.device().get("/sync/whoami").json()["data"]["device"]["id"]
    world.hub.cl.devices.revoke(None, token_id)
    assert world.device().get("/sync/whoami").status_code == 401


def test_in_the_openapi_document_with_the_device_token(world: World) -> None:
    doc = world.hub_app_openapi()
    op = doc["paths"]["/api/v3/sync/whoami"]["get"]
    assert op.get("security", doc["security"]) == [{"device": []}]
