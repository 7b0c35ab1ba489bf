"""SPEC 3.9 at the hub, over real HTTP on SQLite and PostgreSQL: ``/api/v3/reactions`` CRUD
with If-Match, the dry runs (RX6), a 422 naming the field for every bad shape with nothing
saved, roles, and the event triggers fired as the hub applies an event (RX4) — a till's
instance arriving afterwards with the same derived id is a no-op success (RX3)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from clienteling.engine.reactions import keys
from tests.hub.conftest import World
from tests.hub.support import benefit_definition, ok, profile, refused, reward_definition


def _reaction(world: World, **fields: Any) -> dict[str, Any]:
    d = benefit_definition(world.as_("admin"), name="Welcome coffee")
    body = {"handle": f"welcome-{uuid.uuid4().hex[:6]}", "name": "Member Activation",
            "trigger": {"type": "joined"}, "effect": {"benefit_definition_id": d["id"]},
            "limit": "once", **fields}
    return dict(ok(world.as_("admin").post("/reactions", json=body), 201)["data"])


def test_rx1_crud_with_if_match_and_dry_runs(world: World) -> None:
    admin = world.as_("admin")
    made = _reaction(world)
    assert made["version"] == 1 and made["problem"] is None
    got = admin.get(f"/reactions/{made['id']}")
    assert ok(got)["data"]["handle"] == made["handle"] and got.headers["etag"] == '"1"'
    assert [r["id"] for r in ok(admin.get("/reactions"))["data"]] == [made["id"]]
    edited = ok(admin.put(f"/reactions/{made['id']}", json={"name": "Welcome"},
                          headers={"If-Match": '"1"'}))["data"]
    assert edited["version"] == 2
    stale = refused(admin.put(f"/reactions/{made['id']}", json={"name": "Old"},
                              headers={"If-Match": '"1"'}), 409, "version_conflict")
    assert stale["data"]["name"] == "Welcome"  # the hub's version, to show side by side
    profile(world.as_("associate"), first_name="Ann")
    dry = ok(admin.post(f"/reactions/{made['id']}/dry-run"))["data"]
    assert dry["count"] == 1 and dry["sample"][0]["name"].startswith("Ann")
    unsaved = ok(admin.post("/reactions/dry-run", json={**{k: made[k] for k in (
        "trigger", "effect", "limit")}, "handle": "x", "name": "X",
        "condition": {"==": [{"var": "first_name"}, "Nobody"]}}))["data"]
    assert unsaved["count"] == 0 and unsaved["as_of"].endswith("+00:00")
    archived = ok(admin.delete(f"/reactions/{made['id']}", headers={"If-Match": '"2"'}))["data"]
    assert archived["archived"] is True
    assert ok(admin.get("/reactions", params={"filter[archived]": "false"}))["data"] == []


@pytest.mark.parametrize(("change", "field"), [
    ({"trigger": {"type": "wedding"}}, "trigger.type"),
    ({"trigger": {"type": "birthday", "when": "week"}}, "trigger.when"),
    ({"trigger": {"type": "spend_milestone", "threshold": "-1"}}, "trigger.threshold"),
    ({"trigger": {"type": "purchase", "min_spend": "1.005"}}, "trigger.min_spend"),
    ({"trigger": {"type": "lapsed", "days": 0}}, "trigger.days"),
    ({"effect": {"benefit_definition_id": "nope"}}, "effect.benefit_definition_id"),
    ({"limit": "always"}, "limit"),
    ({"active_from": "2026-05-01T00:00:00+00:00", "active_to": "2026-04-01T00:00:00+00:00"},
     "active_to"),
    ({"handle": "not a handle"}, "handle"),
])
def test_rx2_bad_input_is_422_naming_the_field_and_nothing_saved(
        world: World, change: dict[str, Any], field: str) -> None:
    admin = world.as_("admin")
    d = benefit_definition(admin)
    body = {"handle": "r1", "name": "R", "trigger": {"type": "joined"},
            "effect": {"benefit_definition_id": d["id"]}, "limit": "once", **change}
    answer = refused(admin.post("/reactions", json=body), 422)
    assert field in answer["errors"], answer
    assert ok(admin.get("/reactions"))["data"] == []


def test_rx2_a_reward_value_over_the_maximum_is_422(world: World) -> None:
    admin = world.as_("admin")
    rd = reward_definition(admin, value="10.00", max_value="20.00")
    answer = refused(admin.post("/reactions", json={
        "handle": "r2", "name": "R", "trigger": {"type": "joined"}, "limit": "once",
        "effect": {"reward_definition_id": rd["id"], "value": "20.01"}}), 422)
    assert "effect.value" in answer["errors"]


@pytest.mark.parametrize("role", ["associate", "manager"])
def test_roles_only_an_admin_writes_reactions(world: World, role: str) -> None:
    refused(world.as_(role).post("/reactions", json={"handle": "x"}), 403)


def test_rx4_the_hub_fires_joined_and_a_tills_same_instance_is_a_no_op(world: World) -> None:
    made = _reaction(world)
    associate = world.as_("associate")
    ann = profile(associate, first_name="Ann")
    benefits = ok(associate.get(f"/profiles/{ann['id']}/benefits"))["data"]
    derived = keys.instance_id(made["id"], ann["id"], "once")
    assert [(b["id"], b["source"]) for b in benefits] == [(derived, f"reaction:{made['handle']}")]
    again = associate.post(f"/reactions/{made['id']}/issues", json={
        "id": derived, "profile_id": ann["id"], "period": "once"})
    assert ok(again, 200)["data"]["id"] == derived
    assert len(ok(associate.get(f"/profiles/{ann['id']}/benefits"))["data"]) == 1
    wrong = refused(associate.post(f"/reactions/{made['id']}/issues", json={
        "id": str(uuid.uuid4()), "profile_id": ann["id"], "period": "once"}), 422)
    assert "id" in wrong["errors"]
    # A till's instance the hub did not fire itself (another period) is issued as sent.
    other = keys.instance_id(made["id"], ann["id"], "2025")
    ok(associate.post(f"/reactions/{made['id']}/issues", json={
        "id": other, "profile_id": ann["id"], "period": "2025"}), 201)
    assert len(ok(associate.get(f"/profiles/{ann['id']}/benefits"))["data"]) == 2


def test_rx2_an_effect_naming_an_archived_definition_is_422_saying_so(world: World) -> None:
    """SPEC §4 / RX2 at the hub: a definition archived since the admin picked it is refused
    under ``effect.benefit_definition_id`` with the reason, and nothing is saved."""
    admin = world.as_("admin")
    d = benefit_definition(admin, name="Old coffee")
    world.hub.cl.definitions.archive_benefit_definition(world.hub.actor(world.staff["admin"]),
                                                        d["id"])
    answer = refused(admin.post("/reactions", json={
        "handle": "r3", "name": "R", "trigger": {"type": "joined"}, "limit": "once",
        "effect": {"benefit_definition_id": d["id"]}}), 422)
    assert "archived" in answer["errors"]["effect.benefit_definition_id"][0], answer
    assert ok(admin.get("/reactions"))["data"] == []


@pytest.mark.parametrize(("change", "field"), [
    ({"trigger": {"type": "spend_milestone", "threshold": "500.001"}}, "trigger.threshold"),
    ({"active_from": "2026-05-01T00:00:00+00:00", "active_to": "2026-04-01T00:00:00+00:00"},
     "active_to"),
    ({"trigger": {"type": "wedding"}}, "trigger.type"),
])
def test_s4_an_admin_tills_bad_reaction_entry_is_refused_at_push_naming_the_field(
        world: World, change: dict[str, Any], field: str) -> None:
    """A reaction written at an admin's till arrives as a synced entry (``/sync/push``): a bad
    one is refused there with its field named (422), and the hub holds no reaction."""
    admin = world.as_("admin")
    d = benefit_definition(admin)
    entry = {"key": str(uuid.uuid4()), "method": "POST", "path": "/reactions",
             "headers": {"X-Staff-Id": world.staff["admin"]},
             "body": {"id": str(uuid.uuid4()), "handle": "pushed", "name": "Pushed",
                      "trigger": {"type": "joined"}, "limit": "once",
                      "effect": {"benefit_definition_id": d["id"]}, **change}}
    till = world.live.client(world.admin_token)  # admin edits come from an admin device
    [result] = ok(till.post("/sync/push", json={"entries": [entry]}))["data"]
    assert (result["status"], result["http_status"]) == ("refused", 422), result
    assert field in result["errors"], result
    assert ok(admin.get("/reactions"))["data"] == []
