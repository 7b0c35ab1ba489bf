"""How many tills one hub serves (issue 19): a chain of simulated tills against ``clienteling
hub serve`` on PostgreSQL on the same machine.

Each simulated till (an asyncio task with its own httpx client and keep-alive connection)
does what a till at a store's peak does: it pushes a change every ``60 / pushes_per_min`` seconds (a
benefit redeem sent through ``POST /sync/push``, as its outbox would) and polls the feed
every ``poll_s`` seconds from its cursor (``GET /sync/changes``, with the ETag of its last
empty page), reading every page until ``has_more`` is false. Pushes and polls start at a
random phase, so the load is even. A probe with N tills runs pushes for ``window_s``
seconds, then lets every till poll once more, and passes when

- the p95 of the push requests is at most ``push_p95_s`` (1 s),
- every till's feed lag — for each page, the time from the commit of its oldest entry
  (the entry's ``at``) to the page's arrival — stays at most ``lag_s`` (60 s), and every
  till ended holding the whole feed,
- no request failed (5xx, a push entry not applied, a transport error twice in a row: a
  request that meets a connection the hub closed while idle is sent again once, as a
  till's sync would; ``retries`` counts them).

``chain_tills`` is the largest N that passes, found by doubling from ``start`` and then
bisecting between the last pass and the first failure (``largest_passing``). With
``time_scale`` k > 1 every interval and the lag bound are divided by k: each simulated till
does the work of k tills, and ``chain_tills`` counts till-equivalents (N × k), so a run takes
minutes. Keys, for the largest passing probe:

- ``chain_tills``;
- ``chain_hub_cpu_ms_per_till``: CPU milliseconds of the hub's processes per till per
  minute of a till's peak traffic (its ``pushes_per_min`` pushes and its polls);
- ``chain_feed_rows_per_s``: feed entries the tills received per second;
- ``chain``: the configuration and every probe's numbers (push p50/p95, worst lag, requests,
  304s, rows, CPU of the hub, the load generator and PostgreSQL).

Configuration from the environment (``CLIENTELING_BENCH_CHAIN_*``: ``WINDOW_S``,
``TIME_SCALE``, ``START``, ``MAX``, ``WORKERS``, ``PROFILES``, ``DEFINITIONS``); see
``ChainConfig``. The hub holds ``profiles`` customers (created in bulk, as ``hub import``
does); ``holders`` of them hold one benefit each, of ``definitions`` definitions in turn —
a chain's redeems spread over its programme's definitions, and every redeem moves its
definition's counter (one row, locked to commit), so one definition for every till would be
a hot spot no chain has (on the 2-core machine it made no measurable difference: 192 tills
with one definition, 160 and 176 with twenty, docs/performance.md). The
hub's database is a throwaway PostgreSQL database (without PostgreSQL the keys are null,
with the reason under ``skipped``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx
import orjson

from clienteling.bench.hubload import cpu_seconds
from clienteling.bench.hubserver import API, ASSOCIATE, hub_database, hub_server
from clienteling.bench.run import BenchRun, ms, percentile
from clienteling.engine.services import Clienteling

ENV = "CLIENTELING_BENCH_CHAIN_"
FEED_LIMIT = 1000  # a till's page (sync.puller.FEED_PAGE)


@dataclass(frozen=True)
class ChainConfig:
    window_s: float = 30.0        # how long the tills push, per probe (real seconds)
    poll_s: float = 30.0          # a till polls the feed this often
    pushes_per_min: float = 10.0  # a store's peak
    push_p95_s: float = 1.0
    lag_s: float = 60.0
    time_scale: float = 2.0       # k > 1: each simulated till does k tills' work
    start: int = 16
    max_tills: int = 4096
    precision: float = 0.1        # bisect until the bracket is within 10% of the pass
    workers: int = 2              # hub processes (``hub serve --workers``)
    tokens: int = 16              # device tokens the tills share (each verified once)
    profiles: int = 10_000        # customers in the hub's database
    holders: int = 400            # of them, those holding the benefits the pushes redeem
    definitions: int = 20         # benefit definitions those benefits spread over
    seed: int = 1

    @property
    def poll_every(self) -> float:
        return self.poll_s / self.time_scale

    @property
    def push_every(self) -> float:
        return 60.0 / self.pushes_per_min / self.time_scale

    @property
    def lag_bound(self) -> float:
        return self.lag_s / self.time_scale

    @classmethod
    def from_env(cls, **overrides: Any) -> ChainConfig:
        config = cls(**overrides)
        casts: dict[str, Callable[[str], Any]] = {
            "WINDOW_S": float, "TIME_SCALE": float, "START": int, "MAX": int, "WORKERS": int,
            "PROFILES": int, "DEFINITIONS": int}
        names = {"WINDOW_S": "window_s", "TIME_SCALE": "time_scale", "START": "start",
                 "MAX": "max_tills", "WORKERS": "workers", "PROFILES": "profiles",
                 "DEFINITIONS": "definitions"}
        for suffix, cast in casts.items():
            raw = os.environ.get(ENV + suffix)
            if raw:
                config = replace(config, **{names[suffix]: cast(raw)})
        return config


# --------------------------------------------------------------------------- the search


def largest_passing(probe: Callable[[int], bool], *, start: int, limit: int,
                    precision: float = 0.1) -> int:
    """The largest n in [0, limit] for which ``probe(n)`` holds, assuming it holds up to
    some n and fails beyond: double from ``start`` until a failure (or ``limit``), then
    bisect between the last pass and the first failure until they are within
    ``precision`` of the pass (or adjacent). 0 when even 1 fails."""
    if start < 1 or limit < 1:
        raise ValueError("start and limit must be at least 1")
    passed, failed = 0, None
    n = min(start, limit)
    while True:
        if probe(n):
            passed = n
            if n >= limit:
                return passed
            n = min(n * 2, limit)
        else:
            failed = n
            break
    while failed - passed > max(1, int(passed * precision)):
        mid = (passed + failed) // 2
        if probe(mid):
            passed = mid
        else:
            failed = mid
    return passed


# --------------------------------------------------------------------------- one probe


@dataclass
class TillStats:
    pushes: list[float] = field(default_factory=list)   # push request latencies (s)
    worst_lag: float = 0.0
    rows: int = 0
    polls: int = 0
    pages: int = 0
    not_modified: int = 0
    retries: int = 0
    errors: list[str] = field(default_factory=list)
    cursor: int = 0


@dataclass(frozen=True)
class Probe:
    tills: int
    passed: bool
    push_p50_ms: float | None
    push_p95_ms: float | None
    worst_lag_s: float
    behind: int                    # tills that did not end holding the whole feed
    errors: int
    first_error: str | None
    pushes: int
    polls: int
    pages: int
    not_modified: int
    retries: int
    rows: int
    seconds: float
    feed_rows_per_s: float
    cpu_s: dict[str, float]
    hub_cpu_ms_per_till_min: float | None


def _at(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(entry["at"]).timestamp()


async def _retried(send: Callable[..., Any], path: str, stats: TillStats,
                   **kw: Any) -> httpx.Response:
    """One request, sent again once after a transport error, as a till's sync does: a kept-
    alive connection the hub closed while idle (uvicorn's keep-alive timeout is 5 s, a till
    polls every 30) fails the request that raced the close. A push is sent again with its
    idempotency key, so it is never applied twice."""
    try:
        response: httpx.Response = await send(path, **kw)
    except httpx.TransportError:
        stats.retries += 1
        response = await send(path, **kw)
    return response


async def _till(n: int, http: httpx.AsyncClient, token: str, world: ChainWorld, cursor: int,
                config: ChainConfig, started: float, stats: TillStats) -> None:
    loop = asyncio.get_running_loop()
    rng = random.Random(f"{config.seed}-{n}")
    auth = {"Authorization": f"Bearer {token}"}
    push_headers = {**auth, "Content-Type": "application/json"}
    stop_pushing = started + config.window_s
    end = stop_pushing + config.poll_every + 1.0
    next_poll = started + rng.uniform(0, config.poll_every)
    next_push = started + rng.uniform(0, config.push_every)
    etag: str | None = None
    count = 0
    while True:
        push_due = next_push if next_push < stop_pushing else float("inf")
        poll_due = next_poll if next_poll < end else float("inf")
        due = min(push_due, poll_due)
        if due == float("inf"):
            break
        await asyncio.sleep(max(0.0, due - loop.time()))
        if due == push_due:
            pid, bid = world.holdings[(n * 7 + count) % len(world.holdings)]
            count += 1
            body = orjson.dumps({"entries": [{
                "key": str(uuid.uuid4()), "method": "POST",
                "path": f"/profiles/{pid}/benefits/{bid}/redeem",
                "body": {"redemption_id": str(uuid.uuid4()), "location_id": world.store_id,
                         "transaction_receipt_ref": f"C-{n}-{count}"},
                "headers": {"X-Staff-Id": world.staff_id}}]})
            t0 = time.perf_counter()
            try:
                response = await _retried(http.post, "/sync/push", stats, content=body,
                                          headers=push_headers)
            except httpx.TransportError as exc:
                stats.errors.append(f"push: {exc.__class__.__name__}")
            else:
                stats.pushes.append(time.perf_counter() - t0)
                if response.status_code != 200:
                    stats.errors.append(f"push: HTTP {response.status_code}")
                elif (result := response.json()["data"][0])["status"] != "applied":
                    stats.errors.append(f"push: {result['status']} {result.get('code')}")
            next_push += config.push_every
            continue
        stats.polls += 1
        while True:
            headers = dict(auth)
            if etag is not None:
                headers["If-None-Match"] = etag
            try:
                response = await _retried(http.get, "/sync/changes", stats, headers=headers,
                                          params={"after": stats.cursor, "limit": FEED_LIMIT})
            except httpx.TransportError as exc:
                stats.errors.append(f"poll: {exc.__class__.__name__}")
                break
            arrived = time.time()
            stats.pages += 1
            if response.status_code == 304:
                stats.not_modified += 1
                break
            if response.status_code != 200:
                stats.errors.append(f"poll: HTTP {response.status_code}")
                break
            page = orjson.loads(response.content)
            data = page["data"]
            if data:
                stats.worst_lag = max(stats.worst_lag, arrived - _at(data[0]))
                stats.rows += len(data)
                etag = None
            else:
                etag = response.headers.get("etag")
            stats.cursor = page["meta"]["next"]
            if not page["meta"]["has_more"]:
                break
        next_poll += config.poll_every
    del cursor


async def _run_tills(base_url: str, tokens: list[str], world: ChainWorld, head: int,
                     tills: int,
                     config: ChainConfig) -> list[TillStats]:
    # A client each, as each till has its own: one pool shared by every till costs the load
    # generator a scan of all its connections per request (httpcore), which grew with the
    # square of the tills and made the bench measure itself past ~130 simulated tills.
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    stats = [TillStats(cursor=head) for _ in range(tills)]
    async with contextlib.AsyncExitStack() as clients:
        https = [await clients.enter_async_context(httpx.AsyncClient(
            base_url=base_url + API, limits=limits, timeout=60.0, trust_env=False))
            for _ in range(tills)]
        started = asyncio.get_running_loop().time()
        await asyncio.gather(*(
            _till(n, https[n], tokens[n % len(tokens)], world, head, config, started, stats[n])
            for n in range(tills)))
    return stats


def _head(cl: Clienteling) -> int:
    return cl.listing.last_seq()


def probe_once(base_url: str, hub_pid: int, cl: Clienteling, tokens: list[str],
               world: ChainWorld, tills: int, config: ChainConfig) -> Probe:
    head = _head(cl)
    cpu0 = cpu_seconds(hub_pid)
    t0 = time.perf_counter()
    stats = asyncio.run(_run_tills(base_url, tokens, world, head, tills, config))
    seconds = time.perf_counter() - t0
    cpu1 = cpu_seconds(hub_pid)
    cpu = {k: round(cpu1[k] - cpu0[k], 2) for k in cpu1}
    last = _head(cl)
    pushes = [p for s in stats for p in s.pushes]
    errors = [e for s in stats for e in s.errors]
    behind = sum(1 for s in stats if s.cursor < last)
    worst = max((s.worst_lag for s in stats), default=0.0)
    p95 = percentile(pushes, 95) if pushes else None
    rows = sum(s.rows for s in stats)
    passed = (p95 is not None and p95 <= config.push_p95_s and worst <= config.lag_bound
              and behind == 0 and not errors)
    # A till's minute of peak traffic is 1/k of a minute here (time_scale k).
    till_minutes = tills * seconds / 60.0 * config.time_scale
    hub_cpu = cpu.get("hub")
    return Probe(
        tills=tills, passed=passed,
        push_p50_ms=ms(percentile(pushes, 50)) if pushes else None,
        push_p95_ms=ms(p95) if p95 is not None else None,
        worst_lag_s=round(worst, 2), behind=behind, errors=len(errors),
        first_error=errors[0] if errors else None, pushes=len(pushes),
        polls=sum(s.polls for s in stats), pages=sum(s.pages for s in stats),
        not_modified=sum(s.not_modified for s in stats),
        retries=sum(s.retries for s in stats), rows=rows,
        seconds=round(seconds, 1), feed_rows_per_s=round(rows / seconds, 1),
        cpu_s=cpu,
        hub_cpu_ms_per_till_min=(round(hub_cpu * 1000 / till_minutes, 1)
                                 if hub_cpu is not None and till_minutes else None))


# --------------------------------------------------------------------------- the part


@dataclass(frozen=True)
class ChainWorld:
    store_id: str
    staff_id: str                        # the associate every push names
    token: str
    holdings: list[tuple[str, str]]      # (profile id, benefit id)


def seed_chain(url: str, config: ChainConfig) -> ChainWorld:
    """A store, an admin and an associate, a token, ``config.profiles`` customers (in
    chunks, as ``hub import`` writes them) and a benefit for each of the first
    ``config.holders``, of ``config.definitions`` uncapped definitions in turn."""
    with Clienteling.open(url, mode="hub") as cl:
        staff = cl.staff
        store = staff.create_store(None, {"name": "Chain Central",
                                          "timezone": "Australia/Melbourne"})
        admin = staff.actor(staff.create_staff(None, {
            "username": "chain-admin", "display_name": "Chain Admin", "role": "admin",
            "store_id": store.id, "pin": "905238"}).id)
        associate = staff.create_staff(None, {
            "username": ASSOCIATE[0], "display_name": "Chain Associate", "role": "associate",
            "store_id": store.id, "pin": ASSOCIATE[1]})
        token, _ = cl.devices.create_token(None, {"store_id": store.id, "name": "Till"})
        definitions = [cl.definitions.create_benefit_definition(admin, {
            "name": f"Chain offer {n}", "handle": f"chain-offer-{n}", "is_published": True,
            "max_redemptions": 1_000_000}).id for n in range(max(1, config.definitions))]
        ids: list[str] = []
        for start in range(0, config.profiles, 500):
            made = cl.profiles.create_many(admin, [
                {"first_name": "Chain", "last_name": f"Customer {n}"}
                for n in range(start, min(config.profiles, start + 500))])
            ids += [p.id for p in made if not isinstance(p, Exception)]
        holdings = [(pid, cl.benefits.issue(admin, {
            "benefit_definition_id": definitions[n % len(definitions)],
            "profile_id": pid}).id) for n, pid in enumerate(ids[:max(1, config.holders)])]
    return ChainWorld(store.id, associate.id, token, holdings)


def device_tokens(url: str, count: int) -> list[str]:
    """``count`` more device tokens of the hub's first store."""
    with Clienteling.open(url, mode="hub") as cl:
        store = cl.staff.stores()[0]
        return [cl.devices.create_token(None, {"store_id": store.id, "name": f"Chain {i}"})[0]
                for i in range(count)]


def _warm(base_url: str, tokens: list[str], workers: int) -> None:
    """Each token verified (argon2) by every worker before anything is measured: new
    connections land on any worker, so a few per token per worker."""
    for token in tokens:
        for _ in range(workers * 3):
            with httpx.Client(base_url=base_url + API, trust_env=False, timeout=60.0) as http:
                http.get("/sync/whoami", headers={"Authorization": f"Bearer {token}"})


def run_chain(run: BenchRun, config: ChainConfig) -> dict[str, Any]:
    assert run.pg_url is not None
    probes: list[Probe] = []
    with hub_database("postgres", run.workdir, run.pg_url) as url:
        run.progress(f"chainload: seeding a postgres hub with {config.profiles} customers")
        world = seed_chain(url, config)
        tokens = [world.token, *device_tokens(url, max(0, config.tokens - 1))]
        with hub_server(url, run.workdir / "hub-chain.log", workers=config.workers) as hub, \
                Clienteling.open(url, mode="hub") as cl:
            _warm(hub.base_url, tokens, config.workers)

            def probe(n: int) -> bool:
                run.progress(f"chainload: {n} tills for {config.window_s:g} s "
                             f"(time scale {config.time_scale:g})")
                result = probe_once(hub.base_url, hub.pid, cl, tokens, world, n, config)
                probes.append(result)
                run.progress(f"chainload: {n} tills {'pass' if result.passed else 'fail'}: "
                             f"push p95 {result.push_p95_ms} ms, worst lag "
                             f"{result.worst_lag_s} s, {result.errors} errors")
                return result.passed

            best = largest_passing(probe, start=config.start, limit=config.max_tills,
                                   precision=config.precision)
    at_best = next((p for p in reversed(probes) if p.tills == best and p.passed), None)
    return {
        "chain_tills": round(best * config.time_scale),
        "chain_hub_cpu_ms_per_till": at_best.hub_cpu_ms_per_till_min if at_best else None,
        "chain_feed_rows_per_s": at_best.feed_rows_per_s if at_best else None,
        "chain": {"config": asdict(config), "simulated_tills": best,
                  "probes": [asdict(p) for p in probes]},
    }


def measure(run: BenchRun, config: ChainConfig | None = None) -> dict[str, Any]:
    if run.pg_url is None:
        out: dict[str, Any] = {}
        for key in ("chain_tills", "chain_hub_cpu_ms_per_till", "chain_feed_rows_per_s"):
            out[key] = None
            run.skipped[key] = "no PostgreSQL server answered"
        return out
    return run_chain(run, config or ChainConfig.from_env(seed=run.seed))
