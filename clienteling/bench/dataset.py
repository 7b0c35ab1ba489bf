"""The SPEC §8 data set, built fast: 1,000,000 profiles, 3,000,000 benefits, 2,000,000 rewards,
300 benefit and 50 reward definitions (``--scale N``: N profiles and the same ratios).

The store, the demo's staff (same PINs as ``clienteling demo``) and the definitions go through
the engine's services, so they are validated and audited. The millions of rows are then
written with plain :mod:`sqlite3`, because that is what makes 3 minutes possible where
``clienteling demo`` takes 7 (issue 10): with the journal off, a large page cache, the
secondary indexes dropped, each table inserted in primary-key order (ids are drawn, then
sorted) and every index rebuilt once at the end from its own ``CREATE INDEX`` text, each
page is written about once instead of many times over.

The rows are what the engine writes (checked by ``tests/bench/test_dataset.py`` against
rows written through SQLAlchemy): money as whole cents, instants as naive UTC text with
microseconds, JSON as :func:`json.dumps` text, the search keys from the profile service's
own helpers, expiry dates from :mod:`clienteling.engine.rules`. No redemption has been made
yet, so every balance and remaining count is its initial value. The same seed and clock give
the same rows (the staff's PIN hashes and the audit chain's timestamps aside).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clienteling.bench.dataset_definitions import (
    CATEGORIES,
    benefit_definitions,
    reward_definitions,
)
from clienteling.bench.run import Sizes
from clienteling.demo import (
    FIRST_NAMES,
    GENDERS,
    JANE_CARD,
    LAST_NAMES,
    STAFF,
    TIERS,
    TIMEZONE,
    SeededIds,
    jane_profile,
)
from clienteling.engine import report_totals, rules
from clienteling.engine.clock import Clock, SystemClock
from clienteling.engine.context import Context
from clienteling.engine.db import open_database
from clienteling.engine.digest_keeper import rebuild
from clienteling.engine.errors import DomainError
from clienteling.engine.services import Clienteling
from clienteling.engine.services.profiles import name_key, phone_key

__all__ = ["STORES", "build"]

STORES = ("Melbourne Central", "Chadstone", "Sydney Pitt Street")
#: The tables written in bulk; their secondary indexes are dropped and rebuilt around the load.
BULK_TABLES = ("profiles", "identities", "benefits", "rewards")
#: Benefits and rewards are issued on the quarter hour (as a nightly or hourly issuing job
#: does), which lets the expiry of each (issue slot, period) be computed once.
SLOT = timedelta(minutes=15)
SLOTS_PER_DAY = 96
CACHE_KIB = 1_000_000  # SQLite's page cache while loading: 1 GB (the finished file is ~2 GB)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class _BenefitDef:
    id: str
    claimable: bool
    max_redemptions: int | None
    period: int | None
    end_at: datetime | None
    code_stem: str
    code_online: str | None


@dataclass(frozen=True)
class _RewardDef:
    id: str
    value_cents: int | None
    period: int | None


def build(path: Path, sizes: Sizes, seed: int, progress: Progress, *,
          clock: Clock | None = None) -> dict[str, Any]:
    """Build the data set into a new SQLite file at ``path``; returns ``build_s`` (SPEC §8 /
    issue 10: ≤ 180 s at 1M), ``build_cpu_s`` and ``sizes``."""
    if path.exists():
        raise DomainError(f"--db {path}: already exists; the bench builds into a new file")
    started, cpu_started = time.perf_counter(), time.process_time()
    now = (clock or SystemClock()).now()
    rng = random.Random(seed)
    progress("building: schema, stores, staff and definitions (through the engine)")
    stores, bdefs, rdefs = _catalogue(path, sizes, rng, clock)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{CACHE_KIB}",
                       "locking_mode=EXCLUSIVE", "temp_store=FILE", "threads=2"):
            conn.execute(f"PRAGMA {pragma}")
        indexes = _drop_indexes(conn)
        # The liability totals' triggers would add two upserts to every row written: they are
        # dropped for the load, and the loader counts the totals as it writes the rows (a
        # recount in SQL, each instance joined to its profile's store, took 91 s at 1M).
        for statement in report_totals.drop_trigger_statements("sqlite"):
            conn.execute(statement)
        loader = _Loader(conn, rng, now, progress)
        conn.execute("BEGIN")
        profile_ids = loader.profiles(sizes.profiles, stores)
        issued = loader.benefits(sizes.benefits, profile_ids, bdefs)
        loader.rewards(sizes.rewards, profile_ids, rdefs)
        conn.executemany("UPDATE benefit_definitions SET total_issued = total_issued + ? WHERE id = ?",
                         [(n, definition_id) for definition_id, n in sorted(issued.items())])
        conn.execute("COMMIT")
        for name, sql in indexes:
            progress(f"building: index {name}")
            conn.execute(sql)
        progress("building: the liability report's totals")
        conn.execute("BEGIN")
        loader.write_totals()
        for statement in report_totals.create_trigger_statements("sqlite"):
            conn.execute(statement)
        conn.execute("COMMIT")
        progress("building: ANALYZE")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA locking_mode=NORMAL")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise DomainError(f"{path}: could not switch back to WAL mode (got {mode})")
    finally:
        conn.close()
    # Rows written behind the services: their kept digests are computed once, from the rows
    # (engine.digest_keeper), so `sync --verify` reads buckets as on any till or hub.
    progress("building: the kept digests")
    db = open_database(str(path))
    try:
        with db.write() as session:
            rebuild(session, ("benefit_definition", "profile", "benefit", "reward"))
    finally:
        db.dispose()
    build_s = time.perf_counter() - started
    # This process's CPU time too: on a shared machine it tells load from work.
    return {"build_s": round(build_s, 1), "build_cpu_s": round(time.process_time() - cpu_started, 1),
            "sizes": {
        "profiles": sizes.profiles, "benefits": sizes.benefits, "rewards": sizes.rewards,
        "benefit_definitions": len(bdefs), "reward_definitions": len(rdefs),
        "db_mb": round(path.stat().st_size / 1_000_000, 1),
    }}


def _catalogue(path: Path, sizes: Sizes, rng: random.Random, clock: Clock | None
               ) -> tuple[list[str], list[_BenefitDef], list[_RewardDef]]:
    """Schema (migrations), stores, staff and definitions, through the engine as the demo does."""
    ids = _UuidSource(rng)
    with Clienteling(Context(open_database(str(path)), clock, mode="hub")) as cl:
        now = cl.now()
        stores = [cl.staff.create_store(None, {"id": ids.one(), "name": n, "timezone": TIMEZONE}).id
                  for n in STORES]
        for username, name, role, pin in STAFF:
            cl.staff.create_staff(None, {"username": username, "display_name": name, "role": role,
                                         "store_id": stores[0], "pin": pin})
        admin = cl.staff.sign_in("ada", "905238")
        bdefs = []
        for data in benefit_definitions(rng, now, sizes.benefit_definitions):
            d = cl.definitions.create_benefit_definition(admin, {"id": ids.one(), **data})
            bdefs.append(_BenefitDef(d.id, d.is_claimable, d.max_redemptions, d.period, d.end_at,
                                     (d.redeem_code_pos or "BEN").upper()[:20], d.redeem_code_online))
        rdefs = []
        for data in reward_definitions(rng, sizes.reward_definitions):
            r = cl.definitions.create_reward_definition(admin, {"id": ids.one(), **data})
            rdefs.append(_RewardDef(r.id, None if r.value is None else int(r.value * 100), r.period))
    return stores, bdefs, rdefs


def _drop_indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Drop the bulk tables' secondary indexes; returns their names and exact ``CREATE`` text.

    Indexes SQLite made for a UNIQUE or PRIMARY KEY constraint have no text and cannot be
    dropped: they stay (the ids arrive in order, so the primary keys' only append).
    """
    marks = ",".join("?" * len(BULK_TABLES))
    found = [(name, sql) for name, sql in conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks}) ORDER BY tbl_name, name", BULK_TABLES)]
    for name, _sql in found:
        conn.execute(f'DROP INDEX "{name}"')
    return found


class _UuidSource:
    """Version-4 UUID text from a seeded generator, the way ``uuid.uuid4()`` lays it out."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def one(self) -> str:
        return _uuid_text(self.rng.getrandbits(122))

    def sorted(self, n: int) -> list[str]:
        """``n`` ids in ascending order: 122 random bits around the fixed version and variant
        bits, so sorting the random numbers sorts the text."""
        bits = self.rng.getrandbits
        return [_uuid_text(x) for x in sorted(bits(122) for _ in range(n))]


def _uuid_text(x: int) -> str:
    # 48 bits | version 4 | 12 bits | variant 10 | 62 bits
    value = (((x >> 74) << 80) | (0x4 << 76) | (((x >> 62) & 0xFFF) << 64) | (0x2 << 62)
             | (x & ((1 << 62) - 1)))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ts(at: datetime) -> str:
    """An aware instant as SQLAlchemy's SQLite dialect stores ``UTCDateTime``: naive UTC text."""
    return f"{at.astimezone(UTC).replace(tzinfo=None):%Y-%m-%d %H:%M:%S.%f}"


class _Loader:
    def __init__(self, conn: sqlite3.Connection, rng: random.Random, now: datetime,
                 progress: Progress) -> None:
        self.conn, self.rng, self.now, self.progress = conn, rng, now, progress
        self.ids = _UuidSource(rng)
        self.now_text = _ts(now)
        # The latest quarter hour at or before now: issue slots count back from it.
        self.slot0 = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        self._expiry: dict[tuple[int, int | None, datetime | None], tuple[str, str | None]] = {}
        self._slot_text: dict[int, str] = {}
        self.homes: list[str] = []  # each profile's home store, by its index in profile_ids
        # report_totals as the triggers would keep it: (kind, UTC expiry day or '', store,
        # definition) -> [instances, amount, unlimited]; the months are summed from the days.
        self.totals: dict[tuple[str, str, str, str], list[int]] = {}

    def _count(self, kind: str, expires: str | None, store: str, definition: str,
               amount: int, unlimited: int) -> None:
        key = (kind, "" if expires is None else expires[:10], store, definition)
        slot = self.totals.get(key)
        if slot is None:
            self.totals[key] = [1, amount, unlimited]
        else:
            slot[0] += 1
            slot[1] += amount
            slot[2] += unlimited

    def write_totals(self) -> None:
        rows = [(kind, "d" if day else "n", day, store, definition, *v)
                for (kind, day, store, definition), v in sorted(self.totals.items())]
        self.conn.executemany(
            "INSERT INTO report_totals (kind, grain, bucket, store_id, definition_id, n, amount, "
            "unlimited) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.conn.execute(
            "INSERT INTO report_totals (kind, grain, bucket, store_id, definition_id, n, amount, "
            "unlimited) SELECT kind, 'm', substr(bucket, 1, 7), store_id, definition_id, sum(n), "
            "sum(amount), sum(unlimited) FROM report_totals WHERE grain = 'd' "
            "GROUP BY kind, substr(bucket, 1, 7), store_id, definition_id")

    def _insert(self, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]],
                total: int) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        step = max(1, min(100_000, total // 5))

        def counted() -> Iterator[tuple[Any, ...]]:
            for i, row in enumerate(rows, 1):
                yield row
                if i % step == 0 or i == total:
                    self.progress(f"building: {table} {i:,}/{total:,}")

        self.conn.executemany(sql, counted())

    def _issued(self, slot: int, period: int | None, end_at: datetime | None) -> tuple[str, str | None]:
        """(issued_at, expires_at) as stored, for an issue ``slot`` quarter hours before now."""
        key = (slot, period, end_at)
        found = self._expiry.get(key)
        if found is None:
            issued_at = self.slot0 - slot * SLOT
            text = self._slot_text.get(slot)
            if text is None:
                text = self._slot_text[slot] = _ts(issued_at)
            expires = rules.benefit_expiry(issued_at, TIMEZONE, period, end_at)
            found = (text, None if expires is None else _ts(expires))
            self._expiry[key] = found
        return found

    # -- profiles and their cards -----------------------------------------------------------
    def profiles(self, n: int, stores: list[str]) -> list[str]:
        rng = self.rng
        profile_ids = self.ids.sorted(n)
        card_ids = self.ids.sorted(n)
        now, now_text = self.now, self.now_text
        joined = [(now - timedelta(days=d)).date().isoformat() for d in range(3650)]
        attributes = [json.dumps({"favourite_category": c}) for c in CATEGORIES]
        names: dict[tuple[str, str], tuple[str, str]] = {}
        jane, _card = jane_profile(SeededIds(rng), stores[0], now)
        jane_at = rng.randrange(n)
        n_first, n_last, n_genders, n_tiers = len(FIRST_NAMES), len(LAST_NAMES), len(GENDERS), len(TIERS)
        n_attributes, n_stores = len(attributes), len(stores)
        homes = self.homes

        def rows() -> Iterator[tuple[Any, ...]]:
            r = rng.random  # int(r() * k) rather than randrange(k): a fifth of the cost
            for i, pid in enumerate(profile_ids):
                if i == jane_at:
                    first, last, email, phone = (jane["first_name"], jane["last_name"], jane["email"],
                                                 jane["mobile_phone"])
                    gender, born, tier = jane["gender"], jane["birth_date"].isoformat(), jane["tier"]
                    attrs = json.dumps(jane["attributes"])
                    digit_key = phone_key(phone) or ""
                else:
                    first, last = FIRST_NAMES[int(r() * n_first)], LAST_NAMES[int(r() * n_last)]
                    email = f"{first}.{last}{i}@example.com".lower().replace("'", "")
                    digits = f"04{10_000_000 + int(r() * 89_999_999):08d}"
                    phone = f"{digits[:4]} {digits[4:7]} {digits[7:]}"
                    digit_key = digits  # what phone_key(phone) gives (the test checks)
                    gender, tier = GENDERS[int(r() * n_genders)], TIERS[int(r() * n_tiers)]
                    born = f"{1945 + int(r() * 62)}-{1 + int(r() * 12):02d}-{1 + int(r() * 28):02d}"
                    attrs = attributes[int(r() * n_attributes)]
                keys = names.get((first, last))
                if keys is None:
                    keys = names[(first, last)] = (name_key(first, last), last.lower())
                joined_on = joined[30 + int(r() * 3620)]
                home = stores[int(r() * n_stores)]
                homes.append(home)
                yield (pid, first, last, email, phone, gender, born, tier, joined_on,
                       home, attrs, keys[0], keys[1], email.lower(),
                       digit_key, now_text, now_text)

        self._insert("profiles", PROFILE_COLUMNS, rows(), n)

        def cards() -> Iterator[tuple[str, str, str, str]]:
            # Identity ids are drawn sorted as well, so each profile keeps its card number.
            for i, (cid, pid) in enumerate(zip(card_ids, profile_ids, strict=True)):
                card = JANE_CARD if i == jane_at else str(int(JANE_CARD) + 1 + i)
                yield (cid, pid, "card", card)

        self._insert("identities", ("id", "profile_id", "handle", "identifier"), cards(), n)
        return profile_ids

    # -- benefits ----------------------------------------------------------------------------
    def benefits(self, n: int, profile_ids: list[str], defs: list[_BenefitDef]) -> dict[str, int]:
        """Each benefit on a profile drawn at random (so a profile holds 3 on average, 0 to a
        dozen); about 70% issued from a non-claimable definition, the rest claimed."""
        rng = self.rng
        issued = [d for d in defs if not d.claimable] or defs
        claimed = [d for d in defs if d.claimable] or defs
        counts: dict[str, int] = {}
        ids = self.ids.sorted(n)

        def rows() -> Iterator[tuple[Any, ...]]:
            r, bits, when = rng.random, rng.getrandbits, self._issued
            people, n_issued, n_claimed = len(profile_ids), len(issued), len(claimed)
            homes, count = self.homes, self._count
            for bid in ids:
                if r() < 0.7:
                    pool, d = issued, issued[int(r() * n_issued)]
                else:
                    pool, d = claimed, claimed[int(r() * n_claimed)]
                counts[d.id] = counts.get(d.id, 0) + 1
                at, expires = when(int(r() * 400 * SLOTS_PER_DAY), d.period, d.end_at)
                who = int(r() * people)
                if d.max_redemptions is None or d.max_redemptions > 0:
                    count("b", expires, homes[who], d.id, d.max_redemptions or 0,
                          1 if d.max_redemptions is None else 0)
                yield (bid, profile_ids[who], d.id, at, expires, TIMEZONE,
                       None if pool is issued else at, d.max_redemptions,
                       f"{d.code_stem}-{bits(32):08X}", d.code_online,
                       "issued" if pool is issued else "claimed", at, at)

        self._insert("benefits", BENEFIT_COLUMNS, rows(), n)
        return counts

    # -- rewards -----------------------------------------------------------------------------
    def rewards(self, n: int, profile_ids: list[str], defs: list[_RewardDef]) -> None:
        rng = self.rng
        ids = self.ids.sorted(n)
        open_values = (1000, 2000, 2500, 5000)

        def rows() -> Iterator[tuple[Any, ...]]:
            r, when = rng.random, self._issued
            people, n_defs = len(profile_ids), len(defs)
            homes, count = self.homes, self._count
            for rid in ids:
                d = defs[int(r() * n_defs)]
                cents = d.value_cents if d.value_cents is not None else open_values[int(r() * 4)]
                at, expires = when(int(r() * 200 * SLOTS_PER_DAY), d.period, None)
                who = int(r() * people)
                if cents > 0:
                    count("r", expires, homes[who], d.id, cents, 0)
                yield (rid, profile_ids[who], d.id, cents, cents, at, expires, TIMEZONE,
                       1, at, at)

        self._insert("rewards", REWARD_COLUMNS, rows(), n)


PROFILE_COLUMNS = ("id", "first_name", "last_name", "email", "mobile_phone", "gender", "birth_date",
                   "tier", "join_date", "home_store_id", "attributes", "name_key", "last_name_key",
                   "email_key", "phone_key", "created_at", "updated_at")
BENEFIT_COLUMNS = ("id", "profile_id", "benefit_definition_id", "issued_at", "expires_at", "timezone",
                   "claimed_at", "redemptions_remaining", "redeem_code_pos", "redeem_code_online",
                   "source", "created_at", "updated_at")
REWARD_COLUMNS = ("id", "profile_id", "reward_definition_id", "value_initial", "value_remaining",
                  "issued_at", "expires_at", "timezone", "is_active", "created_at", "updated_at")
