"""The hub's SPEC §8 row: redeem requests per second from 8 concurrent clients, on SQLite
and on PostgreSQL, with no cap ever exceeded; and one redeem at a till against the same
redeem as a call to the hub.

Keys: ``hub_redeem_rps_{sqlite,postgres}_{benefit,amount}`` (one per cell),
``hub_redeem_rps`` (the worst cell measured), ``hub_caps_held``, ``local_redeem_p50_ms``,
``hub_redeem_p50_ms``; ``hub_cells`` holds each cell's latencies, outcomes and CPU time,
``hub_check_failures`` what any check found wrong.

For each backend: a fresh hub database (a SQLite file, or a throwaway PostgreSQL database
dropped afterwards; without PostgreSQL its cells are null, with the reason under
``skipped``), seeded with profiles each holding a benefit of a definition with a global
cap, one of an uncapped definition, and a reward; ``clienteling hub serve`` in its own
process; a warm-up (the first request verifies the device token with argon2); then

- ``POST /profiles/{pid}/benefits/{bid}/redeem``: half on the capped definition, whose cap
  is ¾ of those, so the clients race past it;
- ``POST /profiles/{pid}/redeem`` of 1.00 from rewards whose balances cover about 80% of
  the requests;

each from 8 threads with their own keep-alive connection, a fresh ``Idempotency-Key``,
``X-Staff-Id`` and the body a till's outbox replays. Then the checks, every one of which
must hold for ``hub_caps_held`` (the numbers are reported either way):

- the capped definition's successes seen by the clients = the hub's
  ``total_global_redemptions`` over the API = its counter in the database = the redemption
  rows stored, and ≤ the cap;
- every reward balance is exactly issued − redeemed (as the clients saw it), never below 0;
- no 5xx answer and no request without an answer.

Local against hub (SQLite hub only): a till first-synced from the hub redeems a benefit of
the uncapped definition through the engine (commit with outbox and audit), and the same
redeem goes to the hub as one HTTP request; one client, one after the other, alternating so
both meet the same machine; p50 of each.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from clienteling.bench.hubserver import (
    API,
    ASSOCIATE,
    Backend,
    RunningHub,
    Seeded,
    hub_database,
    hub_server,
    remove_sqlite_file,
    seed,
)
from clienteling.bench.run import FULL_PROFILES, BenchRun, ms, percentile
from clienteling.engine.db import open_database
from clienteling.engine.models import Benefit, BenefitDefinition, Redemption, RedemptionItem
from clienteling.engine.services import Clienteling
from clienteling.sync.client import HubClient
from clienteling.sync.cycle import run_cycle

CLIENTS = 8
REWARD_STEP = Decimal("1.00")
#: A phase stops here even if requests are left (a hub that has stopped answering).
MAX_PHASE_S = 300.0
BACKENDS: tuple[Backend, ...] = ("sqlite", "postgres")
KINDS = ("benefit", "amount")


@dataclass(frozen=True)
class HubSizes:
    benefit_requests: int
    amount_requests: int
    profiles: int
    sequential: int           # each of the local and the hub redeems, one client

    @classmethod
    def at(cls, scale: int) -> HubSizes:
        """Full sizes at SPEC §8's scale; the small ones below it, fewer still for the tiny
        scales tests use."""
        if scale >= FULL_PROFILES:
            return cls(2000, 1000, 100, 200)
        benefit = max(16, min(300, scale))
        amount = benefit // 2
        # Ten amount requests a profile, as at full scale, so the balances run out (80%).
        return cls(benefit, amount, max(2, min(100, amount // 10)), min(200, benefit))


WORKERS_ENV = "CLIENTELING_BENCH_HUB_WORKERS"


def hub_workers() -> int:
    """``hub serve --workers`` for the redeem cells: 1, or ``$CLIENTELING_BENCH_HUB_WORKERS``
    (how docs/operations.md's 1-to-2-worker scaling was measured)."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    return max(1, int(raw)) if raw.isdigit() else 1


def measure(run: BenchRun) -> dict[str, Any]:
    sizes = HubSizes.at(run.scale)
    out: dict[str, Any] = {}
    cells: dict[str, Any] = {}
    failures: list[str] = []
    for backend in BACKENDS:
        if backend == "postgres" and run.pg_url is None:
            for kind in KINDS:
                key = f"hub_redeem_rps_postgres_{kind}"
                out[key] = None
                run.skipped[key] = "no PostgreSQL server answered"
            continue
        result = measure_backend(run, backend, sizes)
        for kind in KINDS:
            cell = result.cells[kind]
            out[f"hub_redeem_rps_{backend}_{kind}"] = cell["rps"]
            cells[f"{backend}_{kind}"] = cell
        failures += [f"{backend}: {problem}" for problem in result.failures]
        if result.sequential is not None:
            out.update(result.sequential)
    measured = [v for k, v in out.items() if k.startswith("hub_redeem_rps_") and v is not None]
    out["hub_redeem_rps"] = min(measured) if measured else None
    out["hub_caps_held"] = not failures
    out["hub_check_failures"] = failures
    out["hub_cells"] = cells
    out["hub_redeem_sizes"] = {"clients": CLIENTS, "workers": hub_workers(),
                               "profiles": sizes.profiles,
                               "benefit_requests": sizes.benefit_requests,
                               "amount_requests": sizes.amount_requests,
                               "sequential": sizes.sequential}
    return out


# --------------------------------------------------------------------------- one backend


@dataclass
class BackendResult:
    cells: dict[str, dict[str, Any]]
    failures: list[str]
    sequential: dict[str, float] | None


def measure_backend(run: BenchRun, backend: Backend, sizes: HubSizes) -> BackendResult:
    n, m = sizes.benefit_requests, sizes.amount_requests
    # Half the benefit requests go to the capped definition; the cap is below that.
    cap = max(1, (n // 2) * 3 // 4)
    per_profile = max(1, m // sizes.profiles)
    reward_value = REWARD_STEP * max(1, per_profile * 4 // 5)
    with hub_database(backend, run.workdir, run.pg_url) as url:
        run.progress(f"hubload: seeding a {backend} hub with {sizes.profiles} profiles")
        world = seed(url, profiles=sizes.profiles, cap=cap, reward_value=reward_value)
        headers = {"Authorization": f"Bearer {world.token}", "X-Staff-Id": world.staff_id}
        with hub_server(url, run.workdir / f"hub-load-{backend}.log",
                        workers=hub_workers()) as hub:
            warm = world.warmup
            drive(hub, headers, max(CLIENTS, n // 10), lambda i: (
                f"/profiles/{warm.profile_id}/benefits/{warm.open_benefit_id}/redeem", {}))
            sequential = None
            if backend == "sqlite":
                run.progress(f"hubload: {sizes.sequential} redeems at a till and as hub calls")
                sequential = local_against_hub(run, hub, world, headers, sizes.sequential)
            run.progress(f"hubload: {n} benefit redeems, {CLIENTS} clients, {backend}")
            benefits = drive(hub, headers, n, lambda i: benefit_request(world, i))
            run.progress(f"hubload: {m} amount redeems, {CLIENTS} clients, {backend}")
            amounts = drive(hub, headers, m, lambda i: amount_request(world, i))
            with httpx.Client(base_url=hub.base_url + API, headers=headers,
                              trust_env=False) as http:
                over_api = http.get(f"/benefits/definitions/{world.capped_definition_id}")
                over_api.raise_for_status()
                api_definition = over_api.json()["data"]
        stored = read_hub(url, world)
    failures = check(world, benefits, amounts, api_definition, stored)
    cells = {"benefit": summary(benefits), "amount": summary(amounts)}
    return BackendResult(cells, failures, sequential)


def benefit_request(world: Seeded, i: int) -> tuple[str, dict[str, Any]]:
    """Even requests on the capped definition, odd ones on the uncapped."""
    h = world.holdings[(i // 2) % len(world.holdings)]
    bid = h.capped_benefit_id if i % 2 == 0 else h.open_benefit_id
    return (f"/profiles/{h.profile_id}/benefits/{bid}/redeem",
            {"redemption_id": str(uuid.uuid4()), "location_id": world.store_id,
             "transaction_receipt_ref": f"R-{i}"})


def amount_request(world: Seeded, i: int) -> tuple[str, dict[str, Any]]:
    pid = world.holdings[i % len(world.holdings)].profile_id
    return (f"/profiles/{pid}/redeem",
            {"amount": str(REWARD_STEP), "strategies": ["rewards"],
             "location_id": world.store_id, "redemption_id": str(uuid.uuid4()),
             "transaction_receipt_ref": f"A-{i}"})


# --------------------------------------------------------------------------- load


@dataclass
class Load:
    """What the clients saw: request index -> (HTTP status, error code), and the time."""

    requests: int
    latencies: list[float] = field(default_factory=list)
    outcomes: dict[int, tuple[int, str | None]] = field(default_factory=dict)
    transport_errors: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


def drive(hub: RunningHub, headers: dict[str, str], requests: int,
          make: Callable[[int], tuple[str, dict[str, Any]]]) -> Load:
    """``requests`` POSTs built by ``make(i)`` from ``CLIENTS`` threads, each with its own
    keep-alive connection; stops early after ``MAX_PHASE_S``."""
    load = Load(requests)
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + MAX_PHASE_S
    start = threading.Barrier(CLIENTS + 1)

    def client() -> None:
        latencies: list[float] = []
        outcomes: dict[int, tuple[int, str | None]] = {}
        errors = 0
        with httpx.Client(base_url=hub.base_url + API, headers=headers, trust_env=False,
                          timeout=30.0) as http:
            start.wait()
            while time.monotonic() < deadline:
                with lock:
                    i = next(counter)
                if i >= requests:
                    break
                path, body = make(i)
                t0 = time.perf_counter()
                try:
                    response = http.post(path, json=body,
                                         headers={"Idempotency-Key": str(uuid.uuid4())})
                except httpx.TransportError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                code = None
                if response.status_code >= 400:
                    with contextlib.suppress(ValueError, AttributeError):
                        code = response.json().get("code")
                outcomes[i] = (response.status_code, code)
        with lock:
            load.latencies.extend(latencies)
            load.outcomes.update(outcomes)
            load.transport_errors += errors

    threads = [threading.Thread(target=client, name=f"till-{n}") for n in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    cpu0 = cpu_seconds(hub.pid)
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    load.seconds = time.perf_counter() - t0
    cpu1 = cpu_seconds(hub.pid)
    load.cpu = {k: cpu1[k] - cpu0[k] for k in cpu1}
    return load


def summary(load: Load) -> dict[str, Any]:
    done = len(load.outcomes)
    statuses = Counter(status for status, _ in load.outcomes.values())
    codes = Counter(code for _, code in load.outcomes.values() if code is not None)
    lat = load.latencies
    successes = sum(n for s, n in statuses.items() if s < 300)
    return {
        # SPEC §8 counts redeem *requests* per second; a refusal at the cap or for want of
        # balance is one too, and cheaper than a committed redeem, so the committed ones
        # are reported beside it.
        "rps": round(done / load.seconds, 1) if load.seconds and done else None,
        "committed_per_s": round(successes / load.seconds, 1) if load.seconds else None,
        "requests": done,
        "seconds": round(load.seconds, 3),
        "p50_ms": ms(percentile(lat, 50)) if lat else None,
        "p95_ms": ms(percentile(lat, 95)) if lat else None,
        "p99_ms": ms(percentile(lat, 99)) if lat else None,
        "successes": successes,
        "refusals": dict(sorted(codes.items())),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "transport_errors": load.transport_errors,
        # Where the two cores go: the hub's process tree, this process, PostgreSQL.
        "cpu_ms_per_request": {k: round(v * 1000 / done, 2) for k, v in load.cpu.items()}
        if done else {},
    }


def _proc_stats() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds) of every process (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        stats[int(entry)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick)
    return stats


def cpu_seconds(root: int) -> dict[str, float]:
    """CPU seconds used so far by the process tree under ``root`` (the hub), by this process
    (the load generator) and by every ``postgres`` process on the machine (other users of
    the server count too, so it is only telling on a quiet machine); empty without /proc."""
    if not Path("/proc/self/stat").exists():
        return {}
    stats = _proc_stats()
    tree, changed = {root}, True
    while changed:
        grown = tree | {pid for pid, (ppid, _, _) in stats.items() if ppid in tree}
        changed, tree = grown != tree, grown
    own = os.times()
    return {"hub": sum(stats[p][2] for p in tree if p in stats),
            "load_generator": own.user + own.system,
            "postgres": sum(cpu for _, name, cpu in stats.values() if name == "postgres")}


# --------------------------------------------------------------------------- the checks


@dataclass(frozen=True)
class HubState:
    """What the hub's database holds after the load, read directly."""

    capped_redemptions: int            # redemption items of the capped definition, not voided
    capped_counter: int                # the definition's total_global_redemptions
    balances: dict[str, Decimal]       # profile id -> reward balance


def read_hub(url: str, world: Seeded) -> HubState:
    # Counted in SQL on its own connection: the bench checks the hub's books from outside.
    db = open_database(url, migrate_schema=False)
    with Clienteling.open(url, mode="hub") as cl:
        with db.read() as s:
            stored = s.scalar(
                select(func.count()).select_from(RedemptionItem)
                .join(Redemption, Redemption.id == RedemptionItem.redemption_id)
                .join(Benefit, Benefit.id == RedemptionItem.item_id)
                .where(Benefit.benefit_definition_id == world.capped_definition_id,
                       Redemption.reversed_by_id.is_(None))) or 0
            definition = s.get(BenefitDefinition, world.capped_definition_id)
            counter = definition.total_global_redemptions if definition is not None else -1
        balances = {h.profile_id: cl.rewards.balance(h.profile_id) for h in world.holdings}
    db.dispose()
    return HubState(stored, counter, balances)


def check(world: Seeded, benefits: Load, amounts: Load, api_definition: dict[str, Any],
          stored: HubState) -> list[str]:
    """Every way the run went wrong, in words; empty when the caps held, the balances are
    exact and every request had a proper answer."""
    failures = []
    capped_seen = sum(1 for i, (status, _) in benefits.outcomes.items()
                      if i % 2 == 0 and status == 201)
    counts = {"successes seen by the clients": capped_seen,
              "total_global_redemptions over the API": api_definition["total_global_redemptions"],
              "total_global_redemptions stored": stored.capped_counter,
              "redemptions stored": stored.capped_redemptions}
    if len(set(counts.values())) != 1:
        failures.append("the capped definition's counts differ: "
                        + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if max(counts.values()) > world.cap or api_definition["max_global_redemptions"] != world.cap:
        failures.append(f"the cap of {world.cap} was exceeded: "
                        + ", ".join(f"{k} {v}" for k, v in counts.items()))
    redeemed: Counter[str] = Counter()
    for i, (status, _) in amounts.outcomes.items():
        if status == 201:
            redeemed[world.holdings[i % len(world.holdings)].profile_id] += 1
    wrong = [pid for pid, balance in stored.balances.items()
             if not balance == world.reward_value - REWARD_STEP * redeemed[pid] >= 0]
    if wrong:
        failures.append(f"{len(wrong)} reward balances are not issued − redeemed, e.g. profile "
                        f"{wrong[0]}: {stored.balances[wrong[0]]}, expected "
                        f"{world.reward_value - REWARD_STEP * redeemed[wrong[0]]}")
    for kind, load in (("benefit", benefits), ("amount", amounts)):
        server_errors = sum(1 for status, _ in load.outcomes.values() if status >= 500)
        if server_errors:
            failures.append(f"{server_errors} {kind} redeems answered 5xx")
        unanswered = load.requests - len(load.outcomes)
        if unanswered:
            failures.append(f"{unanswered} {kind} redeems got no answer "
                            f"({load.transport_errors} transport errors)")
    return failures


# --------------------------------------------------------------------------- local vs hub


def local_against_hub(run: BenchRun, hub: RunningHub, world: Seeded, headers: dict[str, str],
                      count: int) -> dict[str, float]:
    """p50 of a benefit redeem at a till (engine, SQLite file) and of the same redeem as one
    HTTP request to the hub, ``count`` of each, alternating, one client."""
    till_path = run.workdir / "local-redeem-till.db"
    local: list[float] = []
    remote: list[float] = []
    till = Clienteling.open(str(till_path), mode="till")
    try:
        with HubClient(hub.base_url, world.token, timeout=120.0) as client:
            synced = run_cycle(till, client)
        if synced.error is not None:
            raise RuntimeError(f"the till's first sync failed: {synced.error}")
        actor = till.staff.sign_in(*ASSOCIATE)
        with httpx.Client(base_url=hub.base_url + API, headers=headers, trust_env=False,
                          timeout=30.0) as http:
            for i in range(count):
                h = world.holdings[i % len(world.holdings)]
                t0 = time.perf_counter()
                till.benefits.redeem(actor, h.profile_id, h.open_benefit_id, receipt=f"L-{i}")
                local.append(time.perf_counter() - t0)
                body = {"redemption_id": str(uuid.uuid4()), "location_id": world.store_id,
                        "transaction_receipt_ref": f"H-{i}"}
                t0 = time.perf_counter()
                response = http.post(f"/profiles/{h.profile_id}/benefits/{h.open_benefit_id}"
                                     "/redeem", json=body,
                                     headers={"Idempotency-Key": str(uuid.uuid4())})
                remote.append(time.perf_counter() - t0)
                if response.status_code != 201:
                    raise RuntimeError(f"a hub redeem answered {response.status_code}: "
                                       f"{response.text[:200]}")
    finally:
        till.close()
        remove_sqlite_file(till_path)
    return {"local_redeem_p50_ms": ms(percentile(local, 50)),
            "hub_redeem_p50_ms": ms(percentile(remote, 50))}
