"""``clienteling demo``: a database a newcomer can explore within a minute.

The store, staff and definitions go through the engine's services (so they are
audited like any other change); the many profiles with their benefits and rewards
are bulk-inserted, which is what makes 100,000 profiles take seconds, not minutes.
The same seed and clock give the same data.
"""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert

from clienteling.engine import rules
from clienteling.engine.clock import Clock, SystemClock
from clienteling.engine.context import Context
from clienteling.engine.db import Database, open_database
from clienteling.engine.digest_keeper import keep
from clienteling.engine.frozen import BenefitDefinitionRecord, RewardDefinitionRecord
from clienteling.engine.models import Benefit, BenefitDefinition, Identity, Profile, Reward, RewardDefinition
from clienteling.engine.services import Clienteling
from clienteling.engine.services.profiles import name_key, phone_key

TIMEZONE = "Australia/Melbourne"
STAFF = (
    ("ava", "Ava Nguyen", "associate", "4821"),
    ("max", "Max Romano", "manager", "731405"),
    ("ada", "Ada Okafor", "admin", "905238"),
)
JANE_CARD = "4000000000001"
BATCH = 5000

FIRST_NAMES = (
    "Olivia Charlotte Amelia Isla Mia Ava Grace Chloe Willow Matilda Ella Sophie Zoe Ruby Harper "
    "Lily Evie Sienna Ivy Aria Emily Hannah Lucy Sarah Jessica Emma Georgia Leah Alice Maya "
    "Oliver Noah Jack William Leo Lucas Thomas Henry Charlie James Hudson Ethan Mason Liam Max "
    "Samuel Harrison Archie Oscar Hunter Isaac Levi Theodore Elijah Daniel Ryan Joshua Nathan "
    "Benjamin Alexander Sebastian Mateo Arlo Kai Jasper Finn Hugo Adam Zac Aiden Ahmed Priya "
    "Wei Mei Hiroshi Yuki Arjun Ananya Fatima Omar Sofia Luca Giulia Nikos Eleni Anh Minh"
).split()
LAST_NAMES = (
    "Smith Jones Williams Brown Wilson Taylor Johnson White Martin Anderson Thompson Nguyen "
    "Thomas Walker Harris Lee Ryan Robinson Kelly King Davis Wright Evans Roberts Green Hall "
    "Wood Jackson Clarke Patel Khan Lewis James Phillips Mitchell Turner Campbell Cooper Young "
    "Edwards Hughes Scott Baker Murphy Kennedy Chen Wang Li Zhang Liu Singh Kumar Sharma Tran "
    "Pham Le Hoang Papadopoulos Rossi Russo Ferrari Esposito Bianchi Murray Stewart Morris "
    "O'Brien Kaur Ali Hassan Cizek Cooper Novak Kowalski Fraser Gibson Hunt Lawrence Reid Shaw"
).split()
GENDERS = ("female", "male", "female", "male", "non-binary", None)
TIERS = ("bronze", "bronze", "bronze", "silver", "silver", "gold", "platinum", None)


def demo_benefit_definitions(now: datetime) -> list[dict[str, Any]]:
    year_ago = (now - timedelta(days=365)).strftime("%Y-%m-%d %H:%M:%S")
    year_ahead = (now + timedelta(days=365)).strftime("%Y-%m-%d %H:%M:%S")
    return [
        {   # seed 001
            "name": "Free Alterations", "handle": "free-alterations",
            "description": "Complimentary alterations for Gold and Platinum members.",
            "short_description": "Free alterations on any full-price item.",
            "long_description": "<p>Present this benefit in store when purchasing a full-price garment.</p>",
            "terms_conditions": "In-store only. Full-price items only. One per visit.",
            "earn_instructions": "Automatically issued when you reach Gold tier.",
            "redeem_instructions_store": "Show to staff when making a purchase.",
            "redeem_instructions_online": "Not available online.",
            "period": 365, "max_redemptions": 3, "is_claimable": False, "is_extendable": False,
            "is_reassignable": False, "is_published": True, "tags": ["gold", "platinum", "in-store"],
            "category": "entitlement", "redeem_code_pos": "ALTER",
        },
        {   # seed 003, with the claim period moved around "now" so it can be tried today
            "name": "10% off your next purchase", "handle": "10offdemo", "period": 50,
            "description": "10% off", "internal_notes": "demo",
            "short_description": "A quick 10% off", "long_description": "Just another 10% voucher for you",
            "terms_conditions": "standard terms and conditions apply",
            "redeem_code_pos": "10OFFSTORE", "redeem_code_online": "10OFFONLINE",
            "image_url": "https://example.com/image.jpeg", "max_redemptions": 1,
            "is_extendable": False, "is_assignable": True, "is_reassignable": False,
            "is_published": True, "is_archived": False, "tags": ["demo"], "is_claimable": True,
            "claim_period_start_at": year_ago, "claim_period_end_at": year_ahead,
            "claim_condition": {"and": [{"===": ["female", {"var": "gender"}]}]},
            "category": "product_discount",
            "discount": {"percent_off": "10", "categories": [], "skus": [], "full_price_only": True},
        },
        {   # seed 001's shorthand condition
            "name": "Gold Members' Coffee", "handle": "gold-coffee", "period": 30,
            "description": "A free coffee at the in-store cafe for Gold members.",
            "max_redemptions": 1, "is_claimable": True, "is_published": True, "is_reclaimable": True,
            "claim_condition": {"rule": "tier", "value": "gold"}, "tags": ["gold"],
            "category": "free_product", "redeem_code_pos": "GOLDCOFFEE",
            "discount": {"percent_off": "100", "categories": [], "skus": ["CAFE-COFFEE"]},
        },
        {
            "name": "VIP Lounge", "handle": "vip-lounge", "period": 90, "max_redemptions": 3,
            "description": "Three visits to the VIP fitting lounge.", "is_published": True,
            "is_extendable": True, "tags": ["vip"], "category": "entitlement", "redeem_code_pos": "VIP",
        },
        {
            "name": "Weekday Denim 15% off", "handle": "weekday-denim", "period": 7,
            "description": "15% off denim, claimable on weekdays during trading hours.",
            "max_redemptions": 1, "is_claimable": True, "is_published": True, "is_reclaimable": True,
            "claim_timeframe": {
                "disable": False, "timezone": TIMEZONE,
                "timeframe": {"custom": {day: [{"start": "10:00", "end": "15:00"},
                                               {"start": "16:00", "end": "20:00"}]
                                         for day in ("Monday", "Tuesday", "Wednesday", "Thursday",
                                                     "Friday")}},
            },
            "category": "product_discount", "tags": ["denim"],
            "discount": {"percent_off": "15", "categories": ["denim"], "skus": []},
        },
        {
            "name": "Early Access to Sale", "handle": "early-access", "period": 14,
            "max_redemptions": None, "is_published": True, "category": "entitlement",
            "description": "Shop the sale before everyone else.",
        },
        {   # what Member Activation issues (a reaction, SPEC 3.9)
            "name": "Welcome Coffee", "handle": "welcome-coffee", "period": 30,
            "description": "A free coffee at the in-store cafe, on us, for joining.",
            "max_redemptions": 1, "is_published": True, "tags": ["welcome"],
            "category": "free_product", "redeem_code_pos": "WELCOME",
            "discount": {"percent_off": "100", "categories": [], "skus": ["CAFE-COFFEE"]},
        },
    ]


REWARD_DEFINITIONS: list[dict[str, Any]] = [
    {"name": "Member Activation", "handle": "activation", "type": "activation", "value": "10.00",
     "period": 90},
    {"name": "Birthday Reward", "handle": "birthday", "type": "birthday", "value": "20.00", "period": 30},
    {"name": "Spend Milestone", "handle": "spend", "type": "spend", "value": "25.00", "period": 180},
    {"name": "Join Anniversary", "handle": "anniversary", "type": "anniversary", "value": "15.00",
     "period": 60},
    {"name": "Campaign", "handle": "campaign", "type": "campaign", "value": "10.00", "period": 30},
    {"name": "Customer Service", "handle": "customer-service", "type": "customer-service",
     "value": None, "max_value": "500.00", "period": 90, "is_extendable": True, "extend_days": 30,
     "excluded_categories": ["gift_card", "shipping"]},
    {"name": "We Miss You", "handle": "reactivation", "type": "reactivation", "value": "15.00",
     "period": 45},
    {"name": "Staff Incentive", "handle": "staff", "type": "staff", "value": "50.00", "period": 60},
    {"name": "Bonus", "handle": "bonus", "type": "bonus", "value": "5.00", "period": 30},
    {"name": "Other", "handle": "other", "type": "other", "value": None, "period": 60},
]


def _reactions(benefits: dict[str, Any], rewards: dict[str, Any]) -> list[dict[str, Any]]:
    """Seed 004's automatic reward types as reactions (SPEC 3.9), switched on in the demo so a
    new customer gets the welcome coffee at once and this month's birthdays get their reward
    (a new hub's examples come switched off: examples/reactions.jsonl)."""
    return [
        {"handle": "member-activation", "name": "Member Activation", "limit": "once",
         "trigger": {"type": "joined"},
         "effect": {"benefit_definition_id": benefits["welcome-coffee"].id}},
        {"handle": "birthday", "name": "Birthday", "limit": "once_per_year",
         "trigger": {"type": "birthday", "when": "month"},
         "effect": {"reward_definition_id": rewards["birthday"].id}},
        {"handle": "spend-500", "name": "Spend milestone $500", "limit": "every_time",
         "trigger": {"type": "spend_milestone", "threshold": "500.00"},
         "effect": {"reward_definition_id": rewards["spend"].id}},
        {"handle": "join-anniversary", "name": "Join Anniversary", "limit": "once_per_year",
         "trigger": {"type": "join_anniversary"},
         "effect": {"reward_definition_id": rewards["anniversary"].id}},
        {"handle": "re-activation", "name": "Re-activation", "limit": "every_time",
         "trigger": {"type": "lapsed", "days": 180},
         "effect": {"reward_definition_id": rewards["reactivation"].id}},
    ]


class SeededIds:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))


def create_demo(
    database_url: str, *, profiles: int = 2000, seed: int = 1, clock: Clock | None = None
) -> None:
    """Create (or add to an empty) database with demo staff, definitions and profiles."""
    clock = clock or SystemClock()
    db = open_database(database_url)
    with Clienteling(Context(db, clock, mode="hub")) as cl:
        _populate(cl, db, profiles, seed, clock.now())


def _populate(cl: Clienteling, db: Database, count: int, seed: int, now: datetime) -> None:
    rng = random.Random(seed)
    ids = SeededIds(rng)
    store = cl.staff.create_store(None, {"id": ids(), "name": "Melbourne Central", "timezone": TIMEZONE})
    for username, name, role, pin in STAFF:
        cl.staff.create_staff(None, {"username": username, "display_name": name, "role": role,
                                     "store_id": store.id, "pin": pin})
    admin = cl.staff.sign_in("ada", "905238")
    benefit_defs = {d["handle"]: cl.definitions.create_benefit_definition(admin, {"id": ids(), **d})
                    for d in demo_benefit_definitions(now)}
    reward_defs = {d["handle"]: cl.definitions.create_reward_definition(admin, {"id": ids(), **d})
                   for d in REWARD_DEFINITIONS}
    for reaction in _reactions(benefit_defs, reward_defs):
        cl.reactions.create(admin, {"id": ids(), **reaction})
    writer = _BulkWriter(db, now)
    writer.add_profile(*jane_profile(ids, store.id, now))
    jane_id = writer.profiles[-1]["id"]
    writer.add_benefit(ids(), jane_id, benefit_defs["free-alterations"], now - timedelta(days=20), 2)
    writer.add_benefit(ids(), jane_id, benefit_defs["vip-lounge"], now - timedelta(days=10), 3)
    writer.add_reward(ids(), jane_id, reward_defs["birthday"], Decimal("20.00"),
                      now - timedelta(days=27), "Happy birthday")
    writer.add_reward(ids(), jane_id, reward_defs["customer-service"], Decimal("25.00"),
                      now - timedelta(days=5), "Late delivery of online order")
    issued = [benefit_defs[h] for h in ("free-alterations", "vip-lounge", "early-access")]
    reward_choices = [reward_defs[h] for h in ("activation", "birthday", "spend", "anniversary",
                                               "campaign", "reactivation", "bonus")]
    for i in range(1, count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        pid = ids()
        gender = rng.choice(GENDERS)
        tier = rng.choice(TIERS)
        email = f"{first}.{last}{i}@example.com".lower().replace("'", "")
        phone = f"04{rng.randrange(10_000_000, 99_999_999):08d}"
        phone = f"{phone[:4]} {phone[4:7]} {phone[7:]}"
        joined = (now - timedelta(days=rng.randrange(30, 3650))).date()
        born = date(rng.randrange(1945, 2007), rng.randrange(1, 13), rng.randrange(1, 29))
        writer.add_profile(
            {"id": pid, "first_name": first, "last_name": last, "email": email, "mobile_phone": phone,
             "gender": gender, "birth_date": born, "tier": tier, "join_date": joined,
             "home_store_id": store.id, "attributes": {"favourite_category": rng.choice(
                 ["denim", "knitwear", "shoes", "accessories", "dresses"])}},
            str(4000000000001 + i),
        )
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            d = rng.choice(issued)
            issued_at = now - timedelta(days=rng.randrange(0, 400), minutes=rng.randrange(0, 1440))
            used = rng.randrange(0, (d.max_redemptions or 3) + 1)
            left = None if d.max_redemptions is None else max(d.max_redemptions - used, 0)
            writer.add_benefit(ids(), pid, d, issued_at, left)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            rd = rng.choice(reward_choices)
            value = rd.value or Decimal("10.00")
            issued_at = now - timedelta(days=rng.randrange(0, 200), minutes=rng.randrange(0, 1440))
            spent = Decimal(rng.choice((0, 0, 0, 25, 50, 100))) * value / 100
            writer.add_reward(ids(), pid, rd, value, issued_at, None, remaining=(value - spent).quantize(
                Decimal("0.01")))
        writer.flush_if_full()
    writer.flush()
    # Today's birthdays, anniversaries and lapsed customers, as the hub's daily run issues them.
    cl.reactions.run_daily(admin, now)


def jane_profile(ids: SeededIds, store_id: str, now: datetime) -> tuple[dict[str, Any], str]:
    return ({"id": ids(), "first_name": "Jane", "last_name": "Citizen", "email": "jane@example.com",
             "mobile_phone": "0412 345 678", "gender": "female", "birth_date": date(1988, 4, 12),
             "tier": "gold", "join_date": (now - timedelta(days=800)).date(),
             "home_store_id": store_id, "attributes": {"favourite_category": "knitwear"}},
            JANE_CARD)


class _BulkWriter:
    """Collects rows and inserts them in batches with Core (no ORM unit of work)."""

    """Demo rows in bulk, straight into the database the engine was opened on: thousands of
    profiles through the services one at a time would take minutes."""

    def __init__(self, db: Database, now: datetime) -> None:
        self.db = db
        self.now = now
        self.profiles: list[dict[str, Any]] = []
        self.identities: list[dict[str, Any]] = []
        self.benefits: list[dict[str, Any]] = []
        self.rewards: list[dict[str, Any]] = []
        self.issued: dict[str, int] = {}

    def add_profile(self, values: dict[str, Any], card: str) -> None:
        self.profiles.append({
            **values, "name_key": name_key(values["first_name"], values["last_name"]),
            "last_name_key": values["last_name"].lower(), "email_key": values["email"].lower(),
            "phone_key": phone_key(values["mobile_phone"]), "created_at": self.now,
            "updated_at": self.now,
        })
        self.identities.append({"id": str(uuid.uuid5(uuid.NAMESPACE_OID, card)),
                                "profile_id": values["id"], "handle": "card", "identifier": card})

    def add_benefit(self, bid: str, pid: str, d: BenefitDefinition | BenefitDefinitionRecord,
                    issued_at: datetime, left: int | None) -> None:
        self.benefits.append({
            "id": bid, "profile_id": pid, "benefit_definition_id": d.id, "issued_at": issued_at,
            "expires_at": rules.benefit_expiry(issued_at, TIMEZONE, d.period, d.end_at),
            "timezone": TIMEZONE, "claimed_at": None, "redemptions_remaining": left,
            "redeem_code_pos": f"{(d.redeem_code_pos or 'BEN')}-{bid[:8].upper()}",
            "redeem_code_online": d.redeem_code_online, "source": "issued",
            "created_at": issued_at, "updated_at": issued_at,
        })
        self.issued[d.id] = self.issued.get(d.id, 0) + 1

    def add_reward(self, rid: str, pid: str, d: RewardDefinition | RewardDefinitionRecord,
                   value: Decimal, issued_at: datetime, reason: str | None, *,
                   remaining: Decimal | None = None) -> None:
        self.rewards.append({
            "id": rid, "profile_id": pid, "reward_definition_id": d.id, "value_initial": value,
            "value_remaining": value if remaining is None else remaining, "issued_at": issued_at,
            "expires_at": (rules.add_local_days(issued_at, d.period, TIMEZONE)
                           if d.period is not None else None),
            "timezone": TIMEZONE, "is_active": True, "reason": reason,
            "created_at": issued_at, "updated_at": issued_at,
        })

    def flush_if_full(self) -> None:
        if len(self.profiles) >= BATCH:
            self.flush()

    def flush(self) -> None:
        with self.db.write() as s:
            for model, rows in ((Profile, self.profiles), (Identity, self.identities),
                                (Benefit, self.benefits), (Reward, self.rewards)):
                if rows:
                    s.execute(insert(model), rows)
            for definition_id, n in self.issued.items():
                d = s.get_one(BenefitDefinition, definition_id)
                d.total_issued += n
            s.flush()
            # Written behind the services, so the kept digests are told here, in the same
            # transaction (engine.digest_keeper).
            keep(s, {"profile": [r["id"] for r in self.profiles],
                     "benefit": [r["id"] for r in self.benefits],
                     "reward": [r["id"] for r in self.rewards],
                     "benefit_definition": list(self.issued)})
        for rows in (self.profiles, self.identities, self.benefits, self.rewards):
            rows.clear()
        self.issued.clear()


__all__ = ["JANE_CARD", "STAFF", "create_demo"]
