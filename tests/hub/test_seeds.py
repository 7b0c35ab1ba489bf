"""Must-show 5: the seed documents' payloads are accepted as written.

The payloads are copied here verbatim and checked against the seed documents the project
carries in ``tests/data/seeds`` (see tests/data/README.md), so they cannot drift.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from clienteling.engine.clock import FixedClock
from tests.hub.conftest import LiveHub, World, seed
from tests.hub.support import ok, profile, refused

SEED_001_DEFINITION: dict[str, Any] = {
    "name": "Free Alterations",
    "handle": "free-alterations",
    "description": "Complimentary alterations for Gold and Platinum members.",
    "short_description": "Free alterations on any full-price item.",
    "long_description": "<p>Present this benefit in store when purchasing a full-price garment.</p>",
    "terms_conditions": "In-store only. Full-price items only. One per visit.",
    "earn_instructions": "Automatically issued when you reach Gold tier.",
    "redeem_instructions_store": "Show to staff when making a purchase.",
    "redeem_instructions_online": "Not available online.",
    "period": 365,
    "max_redemptions": 3,
    "is_claimable": False,
    "is_extendable": False,
    "is_reassignable": False,
    "is_published": True,
    "tags": ["gold", "platinum", "in-store"],
}
SEED_001_CLAIMABLE: dict[str, Any] = {"is_claimable": True,
                                      "claim_condition": {"rule": "tier", "value": "gold"}}
SEED_001_ISSUE: dict[str, Any] = {
    "benefit_definition_id": 94,
    "profile_id": "92a7996b-abb6-4c9c-a845-9aaf8202fab6",
    "issued_at": "2025-06-15 09:00:00",
    "timezone": "Australia/Melbourne",
}
SEED_003_DEFINITION: dict[str, Any] = {
    "name": "10%OFFDEMO", "handle": "10offdemo", "period": 50, "description": "10% off",
    "internal_notes": "demo", "short_description": "A quick 10% off",
    "long_description": "Just another 10% voucher for you",
    "terms_conditions": "standard terms and conditions apply", "earn_instructions": None,
    "redeem_instructions_store": None, "redeem_instructions_online": None,
    "redeem_code_pos": "10OFFSTORE", "redeem_code_online": "10OFFONLINE", "icon": None,
    "image_url": "https://example.com/image.jpeg", "max_redemptions": 1, "is_extendable": False,
    "is_assignable": True, "is_reassignable": False, "is_published": True, "is_archived": False,
    "tags": ["demo"], "is_claimable": True, "max_global_redemptions": None,
    "claim_period_start_at": "2020-12-25 07:00:00", "claim_period_end_at": "2022-01-05 23:00:00",
    "claim_condition": {"and": [{"===": ["female", {"var": "gender"}]}]},
    "is_reclaimable": None, "notify_schedule_offset": None, "notify_issue_offset_days": None,
    "notify_issue_offset_hour": None, "notify_remind_offset_days": None,
    "notify_remind_offset_hour": None, "notify_extend_offset_days": None,
    "notify_extend_offset_hour": None, "remind_target_id": None, "extend_target_id": None,
    "issue_target_id": None, "end_at": None, "total_allocations": None,
}
SEED_003_CLAIM: dict[str, Any] = {"definition": "10offdemo", "timezone": "Australia/Melbourne"}
_WINDOWS = [{"start": "10:00", "end": "15:00"}, {"start": "16:00", "end": "20:00"}]
SEED_003_TIMEFRAME: dict[str, Any] = {
    "disable": False,
    "timezone": "Europe/Copenhagen",
    "timeframe": {"custom": {day: _WINDOWS for day in (
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Staturday", "Sunday")}},
}

SEEDS = Path(__file__).resolve().parents[1] / "data" / "seeds"


def _objects(text: str) -> list[Any]:
    """Every JSON object that starts at some '{' of ``text`` and parses."""
    decoder, found = json.JSONDecoder(), []
    for i, ch in enumerate(text):
        if ch == "{":
            try:
                found.append(decoder.raw_decode(text, i)[0])
            except ValueError:
                continue
    return found


def _seed(prefix: str) -> str:
    files = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert files, f"seed {prefix} not found under {SEEDS}"
    return files[0].read_text()


def test_the_copies_here_are_the_seed_documents_payloads() -> None:
    seed_001 = _objects(_seed("001"))
    assert SEED_001_DEFINITION in seed_001 and SEED_001_ISSUE in seed_001
    assert SEED_001_CLAIMABLE in seed_001
    seed_003 = _objects(_seed("003"))
    assert SEED_003_DEFINITION in seed_003 and SEED_003_CLAIM in seed_003
    assert SEED_003_TIMEFRAME in seed_003


def test_seed_001_definition_on_both_paths_its_claimable_snippet_and_its_issue_body(
    world: World,
) -> None:
    admin, manager = world.as_("admin"), world.as_("manager")
    via_alias = ok(admin.post("/benefit-definitions", json=SEED_001_DEFINITION), 201)["data"]
    assert via_alias["handle"] == "free-alterations" and via_alias["tags"] == ["gold", "platinum",
                                                                              "in-store"]
    ok(admin.delete(f"/benefit-definitions/{via_alias['id']}"), 204)
    d = ok(admin.post("/benefits/definitions", json=SEED_001_DEFINITION), 201)["data"]
    for key, value in SEED_001_DEFINITION.items():
        assert d[key] == value, key
    claimable = ok(admin.put(f"/benefits/definitions/{d['id']}", json=SEED_001_CLAIMABLE))["data"]
    assert claimable["is_claimable"] is True

    # The seed's profile id, created the way a till would (client-supplied id).
    profile(admin, id=SEED_001_ISSUE["profile_id"], tier="gold")
    body = {**SEED_001_ISSUE, "benefit_definition_id": d["id"]}  # the seed's 94 is its tenant's id
    b = ok(manager.post("/benefits", json=body), 201)["data"]
    assert b["issued_at"] == "2025-06-14T23:00:00+00:00"  # 09:00 in Melbourne, read as wall time
    assert b["timezone"] == "Australia/Melbourne"
    assert b["expires_at"] == "2026-06-14T23:00:00+00:00" and b["redemptions_remaining"] == 3
    refused(manager.post("/benefits", json=SEED_001_ISSUE), 422)  # 94 as written: not an id here


@pytest.fixture
def world_2021(hub_url: str, start_hub: Callable[..., LiveHub]) -> World:
    """A hub whose clock is inside seed 003's claim period (a Monday, 11:00 in Melbourne)."""
    clock = FixedClock(datetime(2021, 6, 7, 1, 0, tzinfo=UTC))
    w = seed(start_hub(hub_url, clock=clock))
    w.clock = clock
    return w


def test_seed_003_claimable_definition_and_claim_body(world_2021: World) -> None:
    admin, associate = world_2021.as_("admin"), world_2021.as_("associate")
    d = ok(admin.post("/benefits/definitions", json=SEED_003_DEFINITION), 201)["data"]
    # Definition times without an offset are read in the acting admin's store zone (Melbourne).
    assert d["claim_period_start_at"] == "2020-12-24T20:00:00+00:00"
    assert d["claim_period_end_at"] == "2022-01-05T12:00:00+00:00"
    assert d["redeem_code_pos"] == "10OFFSTORE" and d["is_reclaimable"] is None
    her = profile(associate, gender="female")["id"]
    him = profile(associate, gender="male")["id"]
    offered = ok(associate.get(f"/profiles/{her}/benefits/claimable"))["data"]
    assert [x["handle"] for x in offered] == ["10offdemo"]
    claimed = ok(associate.post(f"/profiles/{her}/benefits/claim", json=SEED_003_CLAIM), 201)["data"]
    assert claimed["definition"]["handle"] == "10offdemo" and claimed["is_redeemable"] is True
    refused(associate.post(f"/profiles/{her}/benefits/claim", json=SEED_003_CLAIM), 400,
            "already_claimed")
    refused(associate.post(f"/profiles/{him}/benefits/claim", json=SEED_003_CLAIM), 400,
            "condition_failed")
    redeemed = ok(associate.post(f"/profiles/{him}/benefits/claim-redeem",
                                 json={**SEED_003_CLAIM, "definition": "10offdemo"}), (400,))
    assert redeemed["code"] == "condition_failed"


def test_seed_003_full_custom_timeframe_is_refused_naming_staturday(world: World) -> None:
    admin = world.as_("admin")
    body = refused(admin.post("/benefits/definitions", json={
        **SEED_003_DEFINITION, "claim_timeframe": SEED_003_TIMEFRAME}), 422)
    assert list(body["errors"]) == ["claim_timeframe"]
    assert "Staturday" in body["message"] and "Staturday" in body["errors"]["claim_timeframe"][0]
    d = ok(admin.post("/benefits/definitions", json=SEED_003_DEFINITION), 201)["data"]
    body = refused(admin.put(f"/benefits/definitions/{d['id']}",
                             json={"claim_timeframe": SEED_003_TIMEFRAME}), 422)
    assert "Staturday" in body["message"] and list(body["errors"]) == ["claim_timeframe"]
    fixed = {**SEED_003_TIMEFRAME, "timeframe": {"custom": {
        ("Saturday" if k == "Staturday" else k): v
        for k, v in SEED_003_TIMEFRAME["timeframe"]["custom"].items()}}}
    ok(admin.put(f"/benefits/definitions/{d['id']}", json={"claim_timeframe": fixed}))
