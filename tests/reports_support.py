"""Random data sets for the reports' proof, and brute-force references computed in Python
from the very rows written.

``make_dataset`` writes profiles, definitions, rewards, benefits and redemptions straight into
a database (through ``tests.internals``, so the states a report must handle — expired,
spent, inactive, deleted, voided, at a DST edge — are all reachable without replaying years
of service calls); ``Reference`` then answers every report the slow, obvious way."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    Profile,
    Reaction,
    Redemption,
    RedemptionItem,
    ReportTotal,
    ReportTotalDelta,
    Reward,
    RewardDefinition,
    Store,
    new_id,
)
from clienteling.engine.rules import add_local_days
from clienteling.engine.search_keys import name_key
from clienteling.engine.services import Clienteling
from tests.internals import database_of

REWARD_TYPES = ("customer-service", "birthday", "spend")
CENT = Decimal("0.01")


@dataclass
class Dataset:
    now: datetime
    stores: dict[str, str]  # id -> timezone
    profiles: list[dict[str, Any]] = field(default_factory=list)
    reward_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    benefit_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    rewards: list[dict[str, Any]] = field(default_factory=list)
    benefits: list[dict[str, Any]] = field(default_factory=list)
    redemptions: list[dict[str, Any]] = field(default_factory=list)
    staff: dict[str, str] = field(default_factory=dict)  # id -> display name
    reactions: dict[str, str] = field(default_factory=dict)  # handle -> name


def _money(rng: random.Random, high: int = 20000) -> Decimal:
    return (Decimal(rng.randint(1, high)) / 100).quantize(CENT)


def _instant(rng: random.Random, now: datetime, days: int) -> datetime:
    # Whole minutes either side of now; some land on local midnights (a bucket's edge).
    moment = now + timedelta(minutes=rng.randint(-days * 1440, days * 1440))
    if rng.random() < 0.1:
        tz = ZoneInfo("Australia/Melbourne")
        local = moment.astimezone(tz)
        moment = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    return moment


def make_dataset(cl: Clienteling, seed: int, stores: dict[str, str], staff: dict[str, str],
                 *, profiles: int = 40, rewards: int = 120, benefits: int = 120,
                 redemptions: int = 60) -> Dataset:
    rng = random.Random(seed)
    now = cl.now()
    data = Dataset(now, dict(stores), staff=dict(staff))
    rows: list[Any] = []
    store_ids = list(stores)
    for i, kind in enumerate(REWARD_TYPES):
        rid = new_id()
        data.reward_definitions[rid] = {"type": kind, "name": f"Reward {kind}"}
        rows.append(RewardDefinition(id=rid, name=f"Reward {kind}", handle=f"r{seed}-{i}",
                                     type=kind, created_at=now, updated_at=now))
    for i in range(4):
        bid = new_id()
        end_at = rng.choice([None, None, now + timedelta(days=rng.randint(-20, 200))])
        max_global = rng.choice([None, None, 5, 50])
        total_global = rng.randint(0, 60) if max_global is not None else rng.randint(0, 9)
        data.benefit_definitions[bid] = {"name": f"Benefit {i}", "handle": f"b{seed}-{i}",
                                         "end_at": end_at, "max_global": max_global,
                                         "total_global": total_global}
        rows.append(BenefitDefinition(id=bid, name=f"Benefit {i}", handle=f"b{seed}-{i}",
                                      end_at=end_at, max_global_redemptions=max_global,
                                      total_global_redemptions=total_global,
                                      created_at=now, updated_at=now))
    for i in range(profiles):
        pid = new_id()
        first, last = f"First{i}", f"Last{rng.randint(0, 9)}"
        attributes: dict[str, Any] = rng.choice(
            [{}, {"marketing_opt_in": True}, {"marketing_opt_in": False}, {"tier_note": "x"}])
        home = rng.choice([*store_ids, None])
        profile = {"id": pid, "first_name": first, "last_name": last,
                   "email": rng.choice([None, f"p{i}@example.com"]),
                   "mobile_phone": rng.choice([None, f"+61400{i:06d}"]),
                   "home_store_id": home, "attributes": attributes}
        data.profiles.append(profile)
        rows.append(Profile(**profile, name_key=name_key(first, last), last_name_key=last.lower(),
                            created_at=now, updated_at=now))
    pids = [p["id"] for p in data.profiles]
    for _ in range(rewards):
        initial = _money(rng)
        partial = (Decimal(rng.randint(0, int(initial * 100))) / 100).quantize(CENT)
        remaining = rng.choice([initial, Decimal("0.00"), partial])
        expires = rng.choice([None, _instant(rng, now, 400), _instant(rng, now, 40)])
        reward = {"id": new_id(), "profile_id": rng.choice(pids),
                  "reward_definition_id": rng.choice(list(data.reward_definitions)),
                  "value_initial": initial, "value_remaining": remaining,
                  "issued_at": now - timedelta(days=rng.randint(0, 300)), "expires_at": expires,
                  "timezone": "Australia/Melbourne", "is_active": rng.random() > 0.1}
        data.rewards.append(reward)
        rows.append(Reward(**reward, created_at=now, updated_at=now))
    for _ in range(benefits):
        expires = rng.choice([None, _instant(rng, now, 300), _instant(rng, now, 40)])
        benefit = {"id": new_id(), "profile_id": rng.choice(pids),
                   "benefit_definition_id": rng.choice(list(data.benefit_definitions)),
                   "issued_at": now - timedelta(days=rng.randint(0, 300)), "expires_at": expires,
                   "timezone": "Australia/Melbourne",
                   "redemptions_remaining": rng.choice([None, 0, 1, 2, 3])}
        data.benefits.append(benefit)
        rows.append(Benefit(**benefit, created_at=now, updated_at=now))
    staff_ids = [*staff, None]
    for _ in range(redemptions):
        items = []
        for position in range(rng.randint(1, 3)):
            if rng.random() < 0.5:
                target = rng.choice(data.benefits)["id"] if rng.random() > 0.1 else new_id()
                items.append({"type": "benefit", "item_id": target, "value": Decimal("0.00"),
                              "count": rng.randint(1, 2), "position": position})
            else:
                target = rng.choice(data.rewards)["id"]
                items.append({"type": "reward", "item_id": target, "value": _money(rng, 5000),
                              "count": 1, "position": position})
        redemption = {"id": new_id(), "profile_id": rng.choice(pids),
                      "type": rng.choice(["redeem", "redeem", "reversal"]),
                      "total": sum((it["value"] for it in items), Decimal("0.00")),
                      "location_id": rng.choice([*store_ids, None]),
                      "staff_id": rng.choice(staff_ids),
                      "redeem_at": _instant(rng, now, 45), "items": items}
        data.redemptions.append(redemption)
        rows.append(Redemption(**{k: v for k, v in redemption.items() if k != "items"},
                               created_at=now,
                               items=[RedemptionItem(id=new_id(), **it) for it in items]))
    with database_of(cl).write() as s:
        s.add_all(rows)
        s.commit()
    return data


# --------------------------------------------------------------------------- the references


def _zone(data: Dataset, store_id: str | None, chain_zone: str) -> str:
    return chain_zone if store_id is None else data.stores[store_id]


def _in_store(profile: dict[str, Any], store_id: str | None) -> bool:
    return store_id is None or profile["home_store_id"] == store_id


def _live_reward(r: dict[str, Any], now: datetime) -> bool:
    return bool(r["is_active"] and r["value_remaining"] > 0
                and (r["expires_at"] is None or r["expires_at"] > now))


def _redeemable(data: Dataset, b: dict[str, Any], now: datetime) -> bool:
    d = data.benefit_definitions[b["benefit_definition_id"]]
    return ((d["end_at"] is None or d["end_at"] > now)
            and (b["expires_at"] is None or b["expires_at"] > now)
            and (b["redemptions_remaining"] is None or b["redemptions_remaining"] > 0)
            and (d["max_global"] is None or d["total_global"] < d["max_global"]))


def liability(data: Dataset, store_id: str | None, chain_zone: str) -> dict[str, Any]:
    tz = ZoneInfo(_zone(data, store_id, chain_zone))
    profiles = {p["id"]: p for p in data.profiles}
    cells: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in data.rewards:
        if _live_reward(r, data.now) and _in_store(profiles[r["profile_id"]], store_id):
            month = ("no expiry" if r["expires_at"] is None
                     else r["expires_at"].astimezone(tz).strftime("%Y-%m"))
            kind = data.reward_definitions[r["reward_definition_id"]]["type"]
            cells[(month, kind)] += r["value_remaining"]
    uses: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for b in data.benefits:
        if _redeemable(data, b, data.now) and _in_store(profiles[b["profile_id"]], store_id):
            slot = uses[b["benefit_definition_id"]]
            slot[0] += 1
            if b["redemptions_remaining"] is None:
                slot[2] += 1
            else:
                slot[1] += b["redemptions_remaining"]
    return {"cells": dict(cells), "total": sum(cells.values(), Decimal("0.00")),
            "benefits": {k: tuple(v) for k, v in uses.items()}}


def expiring(data: Dataset, store_id: str | None, chain_zone: str, days: int) -> list[tuple[Any, ...]]:
    until = add_local_days(data.now, days, _zone(data, store_id, chain_zone))
    profiles = {p["id"]: p for p in data.profiles}
    per: dict[str, list[Any]] = {}
    def add(pid: str, cents: Decimal, reward: int, benefit: int, at: datetime) -> None:
        slot = per.setdefault(pid, [Decimal("0.00"), 0, 0, at])
        slot[0] += cents
        slot[1] += reward
        slot[2] += benefit
        slot[3] = min(slot[3], at)
    for r in data.rewards:
        if (_live_reward(r, data.now) and r["expires_at"] is not None and r["expires_at"] <= until
                and _in_store(profiles[r["profile_id"]], store_id)):
            add(r["profile_id"], r["value_remaining"], 1, 0, r["expires_at"])
    for b in data.benefits:
        if (_redeemable(data, b, data.now) and b["expires_at"] is not None
                and b["expires_at"] <= until and _in_store(profiles[b["profile_id"]], store_id)):
            add(b["profile_id"], Decimal("0.00"), 0, 1, b["expires_at"])
    out = []
    for pid, (dollars, n_rewards, n_benefits, first) in per.items():
        p = profiles[pid]
        out.append((pid, p["first_name"], p["last_name"], p["email"], p["mobile_phone"],
                    dollars, n_rewards, n_benefits, first,
                    p["attributes"].get("marketing_opt_in") is False))
    out.sort(key=lambda row: (-row[5], -row[7], row[8], row[0]))
    return out


def _bucket(day: date, by: str) -> date:
    if by == "day":
        return day
    if by == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def redemptions(data: Dataset, store_id: str | None, chain_zone: str, start: date, end: date,
                by: str) -> dict[str, dict[Any, tuple[int, Decimal, int, Decimal]]]:
    tz = ZoneInfo(_zone(data, store_id, chain_zone))
    benefit_def = {b["id"]: b["benefit_definition_id"] for b in data.benefits}
    reward_def = {r["id"]: r["reward_definition_id"] for r in data.rewards}
    acc: dict[str, dict[Any, list[Any]]] = {
        k: defaultdict(lambda: [0, Decimal("0.00"), 0, Decimal("0.00")])
        for k in ("buckets", "staff", "definitions", "total")}
    for red in data.redemptions:
        day = red["redeem_at"].astimezone(tz).date()
        if not start <= day <= end:
            continue
        if store_id is not None and red["location_id"] != store_id:
            continue
        void = 2 if red["type"] == "reversal" else 0
        for it in red["items"]:
            if it["type"] == "benefit":
                slot, amount = void, it["count"]
                definition = benefit_def.get(it["item_id"])
            else:
                slot, amount = void + 1, it["value"]
                definition = reward_def.get(it["item_id"])
            for kind, key in (("buckets", _bucket(day, by)), ("staff", red["staff_id"]),
                              ("definitions", (it["type"], definition)), ("total", None)):
                acc[kind][key][slot] += amount
    return {k: {key: tuple(v) for key, v in d.items()}  # type: ignore[misc]
            for k, d in acc.items()}


# ------------------------------------------------------------------ the kept totals (0012)


def kept_totals(cl: Clienteling) -> dict[tuple[str, ...], tuple[int, int, int]]:
    """``report_totals`` as it stands, rows that add up to nothing left out."""
    out: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    with database_of(cl).read() as s:
        for model in (ReportTotal, ReportTotalDelta):  # PostgreSQL's unfolded deltas added in
            for r in s.execute(select(model.kind, model.grain, model.bucket, model.store_id,
                                      model.definition_id, model.n, model.amount,
                                      model.unlimited)):
                slot = out[tuple(r[:5])]
                for i, v in enumerate(r[5:]):
                    slot[i] += int(v)
    return {k: (v[0], v[1], v[2]) for k, v in out.items() if v != [0, 0, 0]}


def recounted_totals(cl: Clienteling) -> dict[tuple[str, ...], tuple[int, int, int]]:
    """What ``report_totals`` must hold, counted in Python from every reward and benefit."""
    out: dict[tuple[str, ...], list[int]] = defaultdict(lambda: [0, 0, 0])
    with database_of(cl).read() as s:
        homes = dict(s.execute(select(Profile.id, Profile.home_store_id)).all())
        rewards = s.execute(select(Reward.profile_id, Reward.reward_definition_id,
                                   Reward.expires_at, Reward.is_active,
                                   Reward.value_remaining)).all()
        benefits = s.execute(select(Benefit.profile_id, Benefit.benefit_definition_id,
                                    Benefit.expires_at, Benefit.redemptions_remaining)).all()

    def add(kind: str, pid: str, definition: str, expires: datetime | None,
            part: tuple[int, int, int]) -> None:
        store = homes.get(pid) or ""
        if expires is None:
            keys = [(kind, "n", "", store, definition)]
        else:
            day = expires.astimezone(UTC).date().isoformat()
            keys = [(kind, "d", day, store, definition), (kind, "m", day[:7], store, definition)]
        for key in keys:
            slot = out[key]
            for i, v in enumerate(part):
                slot[i] += v

    for pid, definition, expires, active, remaining in rewards:
        if active and remaining > 0:
            add("r", pid, definition, expires, (1, int(remaining * 100), 0))
    for pid, definition, expires, left in benefits:
        if left is None or left > 0:
            add("b", pid, definition, expires, (1, left or 0, 1 if left is None else 0))
    return {k: (v[0], v[1], v[2]) for k, v in out.items() if v != [0, 0, 0]}


def dataset_of(cl: Clienteling) -> Dataset:
    """The references' data set read back from the database as it stands now."""
    with database_of(cl).read() as s:
        stores = dict(s.execute(select(Store.id, Store.timezone)).all())
        data = Dataset(cl.now(), stores)
        for p in s.scalars(select(Profile)):
            data.profiles.append({"id": p.id, "first_name": p.first_name,
                                  "last_name": p.last_name, "email": p.email,
                                  "mobile_phone": p.mobile_phone,
                                  "home_store_id": p.home_store_id,
                                  "attributes": p.attributes or {}})
        for rd in s.scalars(select(RewardDefinition)):
            data.reward_definitions[rd.id] = {"type": rd.type, "name": rd.name}
        for bd in s.scalars(select(BenefitDefinition)):
            data.benefit_definitions[bd.id] = {
                "name": bd.name, "handle": bd.handle, "end_at": bd.end_at,
                "max_global": bd.max_global_redemptions,
                "total_global": bd.total_global_redemptions}
        for r in s.scalars(select(Reward)):
            data.rewards.append({"id": r.id, "profile_id": r.profile_id,
                                 "reward_definition_id": r.reward_definition_id,
                                 "value_initial": r.value_initial,
                                 "value_remaining": r.value_remaining, "issued_at": r.issued_at,
                                 "expires_at": r.expires_at, "is_active": r.is_active})
        for b in s.scalars(select(Benefit)):
            data.benefits.append({"id": b.id, "profile_id": b.profile_id,
                                  "benefit_definition_id": b.benefit_definition_id,
                                  "issued_at": b.issued_at, "expires_at": b.expires_at,
                                  "redemptions_remaining": b.redemptions_remaining})
    return data


# ------------------------------------------------------------------------- reactions (RX5)


def add_reaction_instances(cl: Clienteling, data: Dataset, seed: int, *,
                           instances: int = 80) -> None:
    """Reactions (one archived) and benefits and rewards they issued (``source``
    ``reaction:<handle>``, one handle no reaction on this database has), some redeemed, some
    voided, some partly spent, some expired — written straight in, added to ``data``."""
    rng = random.Random(seed * 7919)
    now = data.now
    rows: list[Any] = []
    for i, archived in enumerate((False, False, True)):
        handle = f"rx{seed}-{i}"
        data.reactions[handle] = f"Reaction {chr(90 - i)}"  # names sort apart from handles
        rows.append(Reaction(id=new_id(), handle=handle, name=data.reactions[handle],
                             trigger={"type": "joined"}, condition=None,
                             effect={"benefit_definition_id": new_id()}, limit="once",
                             enabled=True, archived=archived, version=1, created_at=now,
                             updated_at=now))
    handles = [*data.reactions, f"gone{seed}"]
    pids = [p["id"] for p in data.profiles]
    issued: list[dict[str, Any]] = []
    for _ in range(instances):
        source = "reaction:" + rng.choice(handles)
        expires = rng.choice([None, _instant(rng, now, 60)])
        if rng.random() < 0.5:
            initial = _money(rng)
            remaining = rng.choice([initial, initial, Decimal("0.00"),
                                    (initial / 2).quantize(CENT)])
            reward = {"id": new_id(), "profile_id": rng.choice(pids),
                      "reward_definition_id": rng.choice(list(data.reward_definitions)),
                      "value_initial": initial, "value_remaining": remaining,
                      "issued_at": now - timedelta(days=rng.randint(0, 90)),
                      "expires_at": expires, "timezone": "Australia/Melbourne",
                      "is_active": True, "source": source}
            data.rewards.append(reward)
            rows.append(Reward(**reward, created_at=now, updated_at=now))
        else:
            benefit = {"id": new_id(), "profile_id": rng.choice(pids),
                       "benefit_definition_id": rng.choice(list(data.benefit_definitions)),
                       "issued_at": now - timedelta(days=rng.randint(0, 90)),
                       "expires_at": expires, "timezone": "Australia/Melbourne",
                       "redemptions_remaining": rng.choice([None, 0, 1, 2]), "source": source}
            data.benefits.append(benefit)
            issued.append(benefit)
            rows.append(Benefit(**benefit, created_at=now, updated_at=now))
    # Uses of some of them, and voids of some uses (a void's items are the uses it takes back).
    for benefit in rng.sample(issued, k=len(issued) // 2):
        for kind in rng.choice([["redeem"], ["redeem", "reversal"], ["redeem", "redeem",
                                                                      "reversal"]]):
            item = {"type": "benefit", "item_id": benefit["id"], "value": Decimal("0.00"),
                    "count": 1, "position": 0}
            redemption = {"id": new_id(), "profile_id": benefit["profile_id"], "type": kind,
                          "total": Decimal("0.00"), "location_id": None, "staff_id": None,
                          "redeem_at": now - timedelta(days=1), "items": [item]}
            data.redemptions.append(redemption)
            rows.append(Redemption(**{k: v for k, v in redemption.items() if k != "items"},
                                   created_at=now, items=[RedemptionItem(id=new_id(), **item)]))
    with database_of(cl).write() as s:
        s.add_all(rows)
        s.commit()


def reactions(data: Dataset, store_id: str | None) -> dict[str, tuple[Any, ...]]:
    """handle -> (name, issued, redeemed, expired unused, reward dollars), every reaction."""
    profiles = {p["id"]: p for p in data.profiles}
    uses: dict[str, int] = defaultdict(int)
    for red in data.redemptions:
        for it in red["items"]:
            if it["type"] == "benefit":
                uses[it["item_id"]] += -it["count"] if red["type"] == "reversal" else it["count"]
    out: dict[str, list[Any]] = {h: [0, 0, 0, Decimal("0.00")] for h in data.reactions}
    for kind, rows in (("benefit", data.benefits), ("reward", data.rewards)):
        for row in rows:
            source = row.get("source", "issued")
            if not source.startswith("reaction:") or not _in_store(profiles[row["profile_id"]],
                                                                   store_id):
                continue
            slot = out.setdefault(source[len("reaction:"):], [0, 0, 0, Decimal("0.00")])
            if kind == "benefit":
                used = uses[row["id"]] > 0
            else:
                used = row["value_remaining"] < row["value_initial"]
                slot[3] += row["value_initial"]
            expired = row["expires_at"] is not None and row["expires_at"] <= data.now
            slot[0] += 1
            slot[1] += used
            slot[2] += (not used) and expired
    return {h: (data.reactions.get(h, h), *v) for h, v in out.items()}
