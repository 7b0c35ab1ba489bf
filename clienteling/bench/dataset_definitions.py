"""The bench data set's 300 benefit and 50 reward definitions (SPEC §8).

The demo's own definitions come first (:func:`clienteling.demo.demo_benefit_definitions` and
``REWARD_DEFINITIONS``); the rest are variations on them, drawn from a seeded random
generator, so that about 250 are claimable with the mix a large retailer has: conditions on
gender, tier, age, favourite category and join date (alone and combined), visibility rules,
claim windows (open, ended, not yet open), trading-hour timeframes and global caps.
They are created through the engine's definition service, so they are validated and
audited like any other.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from clienteling.demo import REWARD_DEFINITIONS, TIMEZONE, demo_benefit_definitions

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
WEEKEND = ("Saturday", "Sunday")
CATEGORIES = ("denim", "knitwear", "shoes", "accessories", "dresses")

#: Typical claim conditions: what a marketing team writes (one to three tests on the profile).
CONDITIONS: tuple[Any, ...] = (
    None,
    {"===": ["female", {"var": "gender"}]},
    {"===": ["male", {"var": "gender"}]},
    {"rule": "tier", "value": "gold"},
    {"in": [{"var": "tier"}, ["gold", "platinum"]]},
    {"in": [{"var": "tier"}, ["silver", "gold", "platinum"]]},
    {"and": [{">=": [{"var": "age"}, 18]}, {"<": [{"var": "age"}, 35]}]},
    {">=": [{"var": "age"}, 60]},
    {"==": [{"var": "attributes.favourite_category"}, "denim"]},
    {"in": [{"var": "attributes.favourite_category"}, ["shoes", "accessories"]]},
    {"and": [{"===": ["female", {"var": "gender"}]}, {"in": [{"var": "tier"}, ["gold", "platinum"]]}]},
    {"or": [{"==": [{"var": "tier"}, "platinum"]}, {">=": [{"var": "age"}, 65]}]},
    {"<": [{"var": "join_date"}, "2020-01-01"]},
    {"and": [{"!!": {"var": "email"}}, {"==": [{"var": "attributes.favourite_category"}, "knitwear"]}]},
)
VISIBILITY: tuple[Any, ...] = (
    {"!!": {"var": "tier"}},
    {"in": [{"var": "tier"}, ["silver", "gold", "platinum"]]},
)
CLAIM_KINDS = ("percent", "free", "entitlement")


def _timeframe(rng: random.Random) -> dict[str, Any]:
    days = WEEKDAYS if rng.random() < 0.7 else WEEKEND
    hours = rng.choice(([{"start": "09:00", "end": "17:00"}],
                        [{"start": "10:00", "end": "15:00"}, {"start": "16:00", "end": "20:00"}],
                        [{"start": "00:00", "end": "23:59"}]))
    return {"disable": False, "timezone": TIMEZONE, "timeframe": {"custom": {d: hours for d in days}}}


def _window(rng: random.Random, now: datetime) -> dict[str, str]:
    """Mostly open now; some ended, some not open yet (each shows its reason)."""
    fmt = "%Y-%m-%d %H:%M:%S"
    roll = rng.random()
    if roll < 0.08:
        start, end = now - timedelta(days=120), now - timedelta(days=rng.randrange(1, 60))
    elif roll < 0.13:
        start, end = now + timedelta(days=rng.randrange(1, 30)), now + timedelta(days=90)
    else:
        start, end = now - timedelta(days=rng.randrange(1, 365)), now + timedelta(days=rng.randrange(30, 365))
    return {"claim_period_start_at": start.strftime(fmt), "claim_period_end_at": end.strftime(fmt)}


def benefit_definitions(rng: random.Random, now: datetime, count: int) -> list[dict[str, Any]]:
    """``count`` benefit definitions' data, the demo's first; about five in six claimable."""
    found = demo_benefit_definitions(now)
    for i in range(len(found), count):
        kind = rng.choice(CLAIM_KINDS)
        category = rng.choice(CATEGORIES)
        claimable = rng.random() < 0.85
        d: dict[str, Any] = {
            "name": f"{category.title()} {kind} offer {i:03d}", "handle": f"bench-{i:03d}",
            "description": f"A {kind} benefit on {category}.",
            "short_description": f"{kind.title()} on {category}",
            "period": rng.choice((7, 14, 30, 60, 90, 365)),
            "max_redemptions": rng.choice((1, 1, 1, 2, 3, None)),
            "is_published": rng.random() < 0.97, "is_claimable": claimable,
            "is_reclaimable": rng.random() < 0.3, "tags": [category, kind],
            "redeem_code_pos": f"B{i:03d}",
        }
        if kind == "percent":
            d["category"] = "product_discount"
            d["discount"] = {"percent_off": rng.choice(("5", "10", "15", "20", "25")),
                             "categories": [category], "skus": [],
                             "full_price_only": rng.random() < 0.5}
        elif kind == "free":
            d["category"] = "free_product"
            d["discount"] = {"percent_off": "100", "categories": [], "skus": [f"SKU-{i:05d}"]}
        else:
            d["category"] = "entitlement"
        if rng.random() < 0.15:
            d["max_global_redemptions"] = rng.choice((1_000, 10_000, 100_000))
        if claimable:
            d["claim_condition"] = rng.choice(CONDITIONS)
            d.update(_window(rng, now))
            if rng.random() < 0.25:
                d["claim_timeframe"] = _timeframe(rng)
            if rng.random() < 0.1:
                d["visibility_condition"] = rng.choice(VISIBILITY)
            if rng.random() < 0.1:
                d["total_allocations"] = rng.choice((50_000, 500_000, 5_000_000))
        found.append(d)
    return found[:count]


def reward_definitions(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` reward definitions' data, the demo's first, then variations of their types."""
    found = [dict(d) for d in REWARD_DEFINITIONS]
    for i in range(len(found), count):
        base = rng.choice(REWARD_DEFINITIONS)
        d = {**base, "name": f"{base['name']} {i:02d}", "handle": f"{base['handle']}-{i:02d}"}
        if d.get("value") is not None:
            d["value"] = rng.choice(("5.00", "10.00", "15.00", "20.00", "25.00", "50.00"))
        found.append(d)
    return found[:count]
