"""Search, open a profile and redeem on the till, through the engine's services (SPEC §8).

What is timed is exactly what the desktop's engine worker calls: ``ProfileService.search_page``
for the first page of 50 (one kind of query per key), ``OverviewReader.overview`` with the
store's time zone and the claim options (what the profile panel loads on open), and the
benefit and reward-dollar redeems an associate makes (each its own transaction with the
redemption, audit event and outbox entry). The queries are drawn at random (seeded) from
the data set itself, so every one finds something; a search that should find its profile
and does not stops the run, since a fast wrong answer is no answer.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from typing import Any

from clienteling.bench.run import BenchRun, ms, percentile
from clienteling.demo import STAFF as DEMO_STAFF
from clienteling.engine.errors import DomainError
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling

#: The search kinds, each reported as ``search_<kind>_p95_ms``; ``search_p95_ms`` is the worst.
KINDS = ("name_prefix", "last_name", "full_name", "email", "phone", "card")
WARM_UP = 20
#: The demo's associate (user name, PIN), whom the data set creates as the demo does.
ASSOCIATE = (DEMO_STAFF[0][0], DEMO_STAFF[0][3])
#: The demo's manager, who reads the reports (their store's: the data set's first store).
MANAGER = (DEMO_STAFF[1][0], DEMO_STAFF[1][3])
#: Each report is timed this often after one warm-up run; the key is the median (a report is
#: a whole-table aggregate, seconds at worst, not a p95 over hundreds of calls).
REPORT_RUNS = 3
REPORT_KEYS = ("report_liability_ms", "report_expiring_ms", "report_redemptions_ms",
               "report_reactions_ms")


def samples_for(scale: int) -> int:
    """≥ 200 samples per measure at full scale; fewer on the small sets CI builds."""
    return 200 if scale >= 100_000 else 100


def measure(run: BenchRun) -> dict[str, Any]:
    n = samples_for(run.scale)
    rng = random.Random(run.seed)
    out: dict[str, Any] = {}
    with closing(sqlite3.connect(f"file:{run.db_path}?mode=ro", uri=True)) as raw, \
            Clienteling.open(run.db_url) as cl:
        picker = Picker(raw, rng)
        actor = cl.staff.sign_in(*ASSOCIATE)
        worst = 0.0
        for kind in KINDS:
            run.progress(f"local: search by {kind.replace('_', ' ')}")
            queries = picker.queries(kind, WARM_UP + n)
            times = _time_searches(cl, kind, queries)[WARM_UP:]
            out[f"search_{kind}_p95_ms"] = ms(percentile(times, 95))
            worst = max(worst, percentile(times, 95))
        out["search_p95_ms"] = ms(worst)
        run.progress("local: open a profile (the panel's overview)")
        out["open_profile_p95_ms"] = ms(percentile(
            _time_each(lambda pid: cl.overview(pid, actor.timezone), picker.profile_ids(WARM_UP + n))
            [WARM_UP:], 95))
        run.progress("local: redeem a benefit")
        out["redeem_benefit_p95_ms"] = ms(percentile(time_benefit_redeems(cl, actor, picker, n), 95))
        run.progress("local: redeem reward dollars")
        out["redeem_reward_p95_ms"] = ms(percentile(time_reward_redeems(cl, actor, picker, n), 95))
        # After the redeems, so the redemptions report has the run's redemptions to count.
        run.progress("local: reports (liability, expiring within 30 days, redemptions by day, "
                     "reactions)")
        manager = cl.staff.sign_in(*MANAGER)
        calls: tuple[Callable[[], object], ...] = (
            lambda: cl.reports.liability(manager),
            lambda: cl.reports.expiring(manager, days=30),
            lambda: cl.reports.redemptions(manager, by="day"),
            lambda: cl.reports.reactions(manager),
        )
        for key, call in zip(REPORT_KEYS, calls, strict=True):
            out[key] = ms(_median_of_runs(call))
    return out


def _median_of_runs(call: Callable[[], object]) -> float:
    call()  # warm-up: the page cache, SQLAlchemy's compiled statements
    times = []
    for _ in range(REPORT_RUNS):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return percentile(times, 50)


def _time_each(call: Callable[[Any], object], args: list[Any]) -> list[float]:
    times = []
    for arg in args:
        started = time.perf_counter()
        call(arg)
        times.append(time.perf_counter() - started)
    return times


def _time_searches(cl: Clienteling, kind: str, queries: list[tuple[str, str]]) -> list[float]:
    times = []
    for query, profile_id in queries:
        started = time.perf_counter()
        page = cl.profiles.search_page(query)
        times.append(time.perf_counter() - started)
        if not page.rows:
            raise RuntimeError(f"search by {kind} for {query!r} found nothing")
        if kind in ("email", "card") and profile_id not in {r.id for r in page.rows}:
            raise RuntimeError(f"search by {kind} for {query!r} did not find profile {profile_id}")
    return times


def time_benefit_redeems(cl: Clienteling, actor: Actor, picker: Picker, n: int) -> list[float]:
    """Redeem ``WARM_UP + n`` benefits that are redeemable now (B2), timing all but the first."""
    times: list[float] = []
    for profile_id, benefit_id in picker.benefits(50 * (WARM_UP + n)):
        if len(times) == WARM_UP + n:
            break
        if not cl.benefits.get(benefit_id).state.is_redeemable:
            continue
        started = time.perf_counter()
        try:
            cl.benefits.redeem(actor, profile_id, benefit_id)
        except DomainError:  # a global cap reached since: a refusal, not the redeem we time
            continue
        times.append(time.perf_counter() - started)
    if len(times) <= WARM_UP:
        raise RuntimeError(f"found only {len(times)} redeemable benefits")
    return times[WARM_UP:]


def time_reward_redeems(cl: Clienteling, actor: Actor, picker: Picker, n: int) -> list[float]:
    """Redeem $1.00 of reward dollars from ``WARM_UP + n`` profiles with a live balance (R4)."""
    times: list[float] = []
    now_text = f"{cl.now():%Y-%m-%d %H:%M:%S.%f}"  # UTC, as instants are stored
    for profile_id in picker.reward_holders(50 * (WARM_UP + n), now_text):
        if len(times) == WARM_UP + n:
            break
        started = time.perf_counter()
        try:
            cl.rewards.redeem_amount(actor, profile_id, "1.00")
        except DomainError:  # the balance went since it was picked
            continue
        times.append(time.perf_counter() - started)
    if len(times) <= WARM_UP:
        raise RuntimeError(f"found only {len(times)} profiles with reward dollars to redeem")
    return times[WARM_UP:]


class Picker:
    """Random rows of the data set, read with plain SQL by rowid (the rows were inserted in
    one go, so rowids run from 1 to the count)."""

    def __init__(self, raw: sqlite3.Connection, rng: random.Random) -> None:
        self.raw, self.rng = raw, rng
        self.top = {t: raw.execute(f"SELECT max(rowid) FROM {t}").fetchone()[0] or 0
                    for t in ("profiles", "benefits", "rewards")}

    def _rows(self, table: str, sql: str, count: int, *extra: Any) -> list[tuple[Any, ...]]:
        found: list[tuple[Any, ...]] = []
        tries = 0
        while len(found) < count and tries < count * 20:
            tries += 1
            row = self.raw.execute(sql, (self.rng.randint(1, self.top[table]), *extra)).fetchone()
            if row is not None:
                found.append(row)
        return found

    def profile_ids(self, count: int) -> list[str]:
        return [r[0] for r in self._rows("profiles", "SELECT id FROM profiles WHERE rowid = ?", count)]

    def benefits(self, count: int) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self._rows(
            "benefits", "SELECT profile_id, id FROM benefits WHERE rowid = ?", count)]

    def reward_holders(self, count: int, now_text: str) -> list[str]:
        # Instants are stored as naive UTC text, so text order is time order.
        return [r[0] for r in self._rows(
            "rewards", "SELECT profile_id FROM rewards WHERE rowid = ? AND is_active = 1 "
            "AND value_remaining >= 100 AND (expires_at IS NULL OR expires_at > ?)", count, now_text)]

    def _starts_a_name(self, prefix: str) -> bool:
        hit = self.raw.execute("SELECT 1 FROM profiles WHERE name_key >= ? AND name_key < ? LIMIT 1",
                               (prefix, prefix + "\U0010ffff")).fetchone()
        return hit is not None

    def queries(self, kind: str, count: int) -> list[tuple[str, str]]:
        """``count`` queries of one kind, each with the profile it was drawn from."""
        rng = self.rng
        found: list[tuple[str, str]] = []
        sql = ("SELECT p.id, p.first_name, p.last_name, p.email, p.mobile_phone, "
               "(SELECT identifier FROM identities i WHERE i.profile_id = p.id LIMIT 1) "
               "FROM profiles p WHERE p.rowid = ?")
        tries = 0
        while len(found) < count and tries < count * 50:
            tries += 1
            rows = self._rows("profiles", sql, 1)
            if not rows:
                continue
            pid, first, last, email, phone, card = rows[0]
            query: str | None
            if kind == "name_prefix":
                query = first.lower()[:rng.randint(2, 4)]
            elif kind == "last_name":
                # A word only last names start with: no name_key ("first last") begins with it.
                query = last.lower()[:rng.randint(3, 4)]
                if self._starts_a_name(query):
                    query = None
            elif kind == "full_name":
                query = f"{first.lower()} {last.lower()[:rng.randint(1, 4)]}"
            elif kind == "email":
                query = email
            elif kind == "phone":
                query = phone
            else:
                query = card
            if query:
                found.append((query, pid))
        if len(found) < count:
            raise RuntimeError(f"could not draw {count} {kind} queries from the data set")
        return found
