"""The four reports (issue 18: each ≤ 1 s at 1,000,000 profiles) as an admin reads the chain
from the hub: ``GET /api/v3/reports/...`` without ``filter[store_id]``, over HTTP from
``clienteling hub serve`` in its own process, on SQLite and on PostgreSQL.

The hub holds the data set: a copy of the bench's SQLite file opened as a hub, and for
PostgreSQL the same file copied into a throwaway database (:mod:`clienteling.bench.pgcopy`:
COPY with the indexes, foreign keys and totals triggers off, the totals recounted, ANALYZE).
Before either hub starts, the copy is given what the reports need to have something to show,
through the engine: an admin device token for the demo's admin (``ada``); if no redemption
was made in the last 30 days (the ``local`` part makes some on the data set itself), the
associate's benefit and $1.00 reward redeems as ``local`` makes them; if nothing was issued
by a reaction, a purchase reaction (a benefit) and a spend-milestone reaction (a reward) and
counter checkouts firing them. So both hubs hold the same rows.

Keys (milliseconds, the median of 3 requests after one warm-up, each a whole HTTP request
with its JSON answer; target ≤ 1,000 each):

- ``hub_report_liability_ms_{sqlite,postgres}``: reward dollars owed and benefit uses left;
- ``hub_report_expiring_ms_*``: ``days=30`` (the first 200 customers, the totals over all);
- ``hub_report_redemptions_ms_*``: ``by=day`` over the last 30 days;
- ``hub_report_reactions_ms_*``: issued, redeemed, expired unused, per reaction;
- ``hub_report_pg_load_s``: the copy into PostgreSQL, migration to ANALYZE.

Every answer is checked to be a real one, since a fast wrong answer is no answer: status
200, the chain's scope, and figures that are there in the data (money owed that adds up to
its total, customers expiring, the redemptions and the reactions' issues made above); and
the PostgreSQL hub's redemptions and reactions totals equal the SQLite hub's. What each
answered is under ``hub_report_answers``. Without PostgreSQL its keys are null, with the
reason under ``skipped``.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from clienteling.bench import local, reactionsload
from clienteling.bench.hubserver import (
    API,
    Backend,
    copy_sqlite_file,
    hub_database,
    hub_server,
    remove_sqlite_file,
)
from clienteling.bench.pgcopy import copy_to_postgres
from clienteling.bench.run import BenchRun, ms, percentile
from clienteling.engine.services import Clienteling

REPORTS = ("liability", "expiring", "redemptions", "reactions")
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgres")
#: The query of each report: what the manager's desktop asks by default.
PARAMS: dict[str, dict[str, str]] = {"liability": {}, "expiring": {"days": "30"},
                                     "redemptions": {"by": "day"}, "reactions": {}}
RUNS = local.REPORT_RUNS
LOAD_KEY = "hub_report_pg_load_s"
#: Redeems of each kind, and checkouts firing reactions, made when the data set has none.
MADE = 40
REACTIONS = [("bench-report-purchase", {"type": "purchase", "min_spend": "50.00"}, "every_time"),
             ("bench-report-spend", {"type": "spend_milestone", "threshold": "100.00"},
              "every_time")]
TIMEOUT_S = 120.0


def key(report: str, backend: str) -> str:
    return f"hub_report_{report}_ms_{backend}"


KEYS = tuple(key(r, b) for b in BACKENDS for r in REPORTS)


@dataclass(frozen=True)
class Viewer:
    token: str      # an admin device's
    staff_id: str   # the admin's


def measure(run: BenchRun) -> dict[str, Any]:
    out: dict[str, Any] = {}
    answers: dict[str, dict[str, Any]] = {}
    hub_path = run.workdir / "hubreports-hub.db"
    try:
        run.progress("hubreports: copying the data set for a hub")
        copy_sqlite_file(run.db_path, hub_path)
        viewer = prepare(hub_path, run)
        times, answers["sqlite"] = time_reports(run, "sqlite", f"sqlite:///{hub_path}", viewer)
        out.update(times)
        if run.pg_url is None:
            for k in (*(key(r, "postgres") for r in REPORTS), LOAD_KEY):
                out[k] = None
                run.skipped[k] = "no PostgreSQL server answered"
        else:
            with hub_database("postgres", run.workdir, run.pg_url) as url:
                run.progress("hubreports: copying the data set into PostgreSQL")
                started = time.perf_counter()
                copy_to_postgres(hub_path, url, run.progress)
                out[LOAD_KEY] = round(time.perf_counter() - started, 1)
                times, answers["postgres"] = time_reports(run, "postgres", url, viewer)
                out.update(times)
            agree(answers["sqlite"], answers["postgres"])
    finally:
        remove_sqlite_file(hub_path)
    out["hub_report_answers"] = answers
    return out


# --------------------------------------------------------------------------- the hub's data


def prepare(path: Path, run: BenchRun) -> Viewer:
    """An admin device token; redemptions and reaction issues if the data set has none."""
    with Clienteling.open(f"sqlite:///{path}", mode="hub") as cl, \
            closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as raw:
        admin = cl.staff.sign_in(*reactionsload.ADMIN)
        token, _ = cl.devices.create_token(None, {"store_id": admin.store_id,
                                                  "name": "Reports bench", "is_admin": True})
        associate = cl.staff.sign_in(*local.ASSOCIATE)
        picker = local.Picker(raw, random.Random(run.seed))
        # Instants are stored as naive UTC text, so text order is time order.
        since = f"{cl.now() - timedelta(days=29):%Y-%m-%d %H:%M:%S.%f}"
        if not raw.execute("SELECT count(*) FROM redemptions WHERE redeem_at >= ?",
                           (since,)).fetchone()[0]:
            run.progress(f"hubreports: {MADE} benefit and {MADE} reward redeems to report")
            # The local part's own redeems (its timings unused).
            local.time_benefit_redeems(cl, associate, picker, MADE)
            local.time_reward_redeems(cl, associate, picker, MADE)
        if not raw.execute("SELECT count(*) FROM rewards WHERE source LIKE 'reaction:%'"
                           ).fetchone()[0]:
            run.progress(f"hubreports: {MADE} checkouts firing two reactions")
            reactionsload.programme(cl, admin, REACTIONS)
            _, earned = reactionsload.checkouts(cl, associate, picker.profile_ids(MADE),
                                                 "BENCH-REPORT")
            if not earned:
                raise RuntimeError(f"{MADE} checkouts fired no reaction")
    return Viewer(token, admin.staff_id)


# --------------------------------------------------------------------------- the requests


def time_reports(run: BenchRun, backend: Backend, url: str, viewer: Viewer
                 ) -> tuple[dict[str, float], dict[str, Any]]:
    """Each report's median time and what it answered (checked), from a hub on ``url``."""
    times: dict[str, float] = {}
    answers: dict[str, Any] = {}
    headers = {"Authorization": f"Bearer {viewer.token}", "X-Staff-Id": viewer.staff_id}
    with hub_server(url, run.workdir / f"hub-reports-{backend}.log") as hub, \
            httpx.Client(base_url=hub.base_url + API, headers=headers, trust_env=False,
                         timeout=TIMEOUT_S) as http:
        for report in REPORTS:
            run.progress(f"hubreports: {report}, the chain, {backend}")

            def call(report: str = report) -> dict[str, Any]:
                response = http.get(f"/reports/{report}", params=PARAMS[report])
                if response.status_code != 200:
                    raise RuntimeError(f"{backend} hub: GET /reports/{report} answered "
                                       f"{response.status_code}: {response.text[:300]}")
                data: dict[str, Any] = response.json()["data"]
                return data

            seconds, doc = median_of_runs(call)
            try:
                answers[report] = CHECKS[report](doc)
            except (KeyError, TypeError, ValueError) as exc:
                raise RuntimeError(f"{backend} hub: the {report} report is not a real answer: "
                                   f"{exc or type(exc).__name__}") from exc
            times[key(report, backend)] = ms(seconds)
    return times, answers


def median_of_runs(call: Callable[[], dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    """The median of ``RUNS`` calls after a warm-up (the token's check, the page cache,
    compiled statements), and the last answer."""
    doc = call()
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        doc = call()
        samples.append(time.perf_counter() - started)
    return percentile(samples, 50), doc


# --------------------------------------------------------------------------- the checks
# Each returns the figures it checked; a check that fails names what is wrong. Not
# ``assert``: ``python -O`` strips those, and a fast wrong answer would pass.


class NotAnAnswer(ValueError):
    """A report's answer that cannot be right (empty where the data has figures, parts not
    adding up to their total, another scope)."""


def _require(holds: bool, problem: str) -> None:
    if not holds:
        raise NotAnAnswer(problem)


def _chain(doc: dict[str, Any]) -> None:
    _require(doc["scope"]["store_id"] is None, f"scope {doc['scope']}, not the chain")


def check_liability(doc: dict[str, Any]) -> dict[str, Any]:
    _chain(doc)
    total = Decimal(doc["total"])
    cells = sum((Decimal(c["reward_dollars"]) for c in doc["rewards"]), Decimal(0))
    uses = sum(b["uses_outstanding"] for b in doc["benefits"])
    instances = sum(b["instances"] for b in doc["benefits"])
    _require(total > 0, f"total owed {total}")
    _require(cells == total, f"the months add up to {cells}, the total is {total}")
    _require(instances > 0, f"{instances} benefit instances outstanding")
    return {"total": str(total), "benefit_instances": instances, "benefit_uses": uses}


def check_expiring(doc: dict[str, Any]) -> dict[str, Any]:
    _chain(doc)
    customers, listed = doc["total_customers"], len(doc["customers"])
    _require(customers > 0, "no customer with anything expiring within 30 days")
    _require(listed == min(customers, 200), f"{listed} listed of {customers}")
    dollars = Decimal(doc["total_reward_dollars"])
    _require(dollars > 0 or doc["total_benefits"] > 0, "nothing expiring in the totals")
    return {"customers": customers, "reward_dollars": str(dollars),
            "benefits": doc["total_benefits"]}


def check_redemptions(doc: dict[str, Any]) -> dict[str, Any]:
    _chain(doc)
    total = doc["total"]
    uses, dollars = total["benefit_uses"], Decimal(total["reward_dollars"])
    _require(uses > 0 and dollars > 0, f"benefit uses {uses}, reward dollars {dollars}")
    _require(len(doc["buckets"]) == 30, f"{len(doc['buckets'])} days, not 30")
    by_day = sum(b["benefit_uses"] for b in doc["buckets"])
    _require(by_day == uses, f"the days add up to {by_day} uses, the total is {uses}")
    return {"benefit_uses": uses, "reward_dollars": str(dollars),
            "net_dollars": total["net_dollars"]}


def check_reactions(doc: dict[str, Any]) -> dict[str, Any]:
    _chain(doc)
    total = doc["total"]
    issued, dollars = total["issued"], Decimal(total["reward_dollars"])
    _require(issued > 0 and dollars > 0, f"issued {issued}, reward dollars {dollars}")
    _require(sum(r["issued"] for r in doc["reactions"]) == issued, "the lines do not add up")
    return {"issued": issued, "redeemed": total["redeemed"], "reward_dollars": str(dollars)}


CHECKS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "liability": check_liability, "expiring": check_expiring,
    "redemptions": check_redemptions, "reactions": check_reactions}


def agree(sqlite: dict[str, Any], postgres: dict[str, Any]) -> None:
    """The two hubs hold the same rows: the figures time does not move must be equal (what
    is owed and what expires move as instances expire between the two runs)."""
    for report in ("redemptions", "reactions"):
        if sqlite[report] != postgres[report]:
            raise RuntimeError(f"the {report} report differs: SQLite {sqlite[report]}, "
                               f"PostgreSQL {postgres[report]}")
