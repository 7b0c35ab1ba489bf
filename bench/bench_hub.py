"""Benchmark the hub's redeem endpoints under concurrent tills (SPEC §8).

Run: ``python bench/bench_hub.py [--backend sqlite|postgres|both] [--requests N] [--clients 8]``

For each backend it creates a hub database (a temporary SQLite file, or a fresh
``clienteling_bench_<random>`` PostgreSQL database that is dropped afterwards), seeds a
store, staff, a device token, profiles holding benefits of a *capped* definition
(``max_global_redemptions``) and of an uncapped one, and rewards; starts
``clienteling hub serve`` on 127.0.0.1 in a **separate process** (so the load generator
does not share the server's GIL), then drives:

1. ``POST /api/v3/profiles/{pid}/benefits/{bid}/redeem`` — N requests from ``--clients``
   threads, each with its own keep-alive httpx client, ``Idempotency-Key`` and
   ``X-Staff-Id``, and the body a till's outbox replays (redemption id, location, receipt);
2. ``POST /api/v3/profiles/{pid}/redeem`` (an amount of reward dollars) — the same way.

The cap is set below the number of requests on the capped definition, so the run also
races past it: the capped definition's successes seen by the clients must equal the hub's
own count (its definition over the API, and the redemption rows in its database), and
must not exceed the cap; reward balances must end exactly at issued minus redeemed, never
below zero. A violation exits 1.

Prints one JSON document: requests/s, p50/p95/p99 latency, successes, refusals by code,
and the checks. Traffic goes to loopback only; every phase is bounded by ``--requests``
and ``--max-seconds`` and the script stops the server it started.

``--wrap 'py-spy record -o /tmp/hub.svg --'`` runs the server under a profiler;
``--workers`` is passed to ``hub serve``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from clienteling.engine.services import Clienteling  # noqa: E402

API = "/api/v3"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REWARD_STEP = Decimal("1.00")


# --------------------------------------------------------------------------- databases


def _pg_conninfo(url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    info: dict[str, Any] = {"dbname": parsed.database or "postgres", "connect_timeout": 3}
    for key, value in (("host", parsed.host), ("port", parsed.port), ("user", parsed.username),
                       ("password", parsed.password)):
        if value:
            info[key] = value
    return info


@contextlib.contextmanager
def hub_database(backend: str, server_url: str) -> Iterator[str]:
    """A fresh, empty hub database URL; removed (dropped) afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="clienteling-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'hub.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"clienteling_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**_pg_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**_pg_conninfo(server_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- seeding


@dataclass
class Seeded:
    store_id: str
    staff_id: str
    token: str
    capped_definition_id: str
    cap: int
    # (profile id, benefit id of the capped definition, benefit id of the uncapped one)
    holdings: list[tuple[str, str, str]]
    reward_profiles: list[str]
    reward_value: Decimal
    warmup: tuple[str, str]


def seed(url: str, *, profiles: int, cap: int, reward_value: Decimal) -> Seeded:
    cl = Clienteling.open(url, mode="hub")
    try:
        staff = cl.staff
        store = staff.create_store(None, {"name": "Bench Central", "timezone": "Australia/Melbourne"})
        admin = staff.create_staff(None, {"username": "bench-admin", "display_name": "Bench Admin",
                                          "role": "admin", "store_id": store.id, "pin": "905238"})
        associate = staff.create_staff(None, {
            "username": "bench-associate", "display_name": "Bench Associate", "role": "associate",
            "store_id": store.id, "pin": "4821"})
        from clienteling.engine.services.devices import DeviceService

        token, _ = DeviceService(cl.ctx).create_token(None, {"store_id": store.id, "name": "Till"})
        actor = staff.actor(admin.id)
        defs = cl.definitions
        capped = defs.create_benefit_definition(actor, {
            "name": "Capped coffee", "handle": "bench-capped", "is_published": True,
            "max_redemptions": 10_000, "max_global_redemptions": cap})
        open_def = defs.create_benefit_definition(actor, {
            "name": "Open coffee", "handle": "bench-open", "is_published": True,
            "max_redemptions": 10_000})
        reward_def = defs.create_reward_definition(actor, {
            "name": "Bench dollars", "handle": "bench-dollars", "type": "customer-service",
            "value": "10.00"})
        holdings = []
        reward_profiles = []
        for i in range(profiles):
            p = cl.profiles.create(actor, {"first_name": "Bench", "last_name": f"Customer {i}"})
            b1 = cl.benefits.issue(actor, {"benefit_definition_id": capped.id, "profile_id": p.id})
            b2 = cl.benefits.issue(actor, {"benefit_definition_id": open_def.id, "profile_id": p.id})
            holdings.append((p.id, b1.id, b2.id))
            cl.rewards.issue(actor, {"profile_id": p.id, "reward_definition_id": reward_def.id,
                                     "value_initial": str(reward_value), "reason": "bench"})
            reward_profiles.append(p.id)
        w = cl.profiles.create(actor, {"first_name": "Warm", "last_name": "Up"})
        wb = cl.benefits.issue(actor, {"benefit_definition_id": open_def.id, "profile_id": w.id})
        return Seeded(store.id, associate.id, token, capped.id, cap, holdings, reward_profiles,
                      reward_value, (w.id, wb.id))
    finally:
        cl.close()


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def hub_server(url: str, *, workers: int, wrap: str | None, log: Path) -> Iterator[tuple[str, int]]:
    """``clienteling hub serve`` in its own process group on a free loopback port."""
    port = free_port()
    command = [sys.executable, "-m", "clienteling.cli", "hub", "serve", "--db", url,
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--log-level", "warning"]
    if wrap:
        command = shlex.split(wrap) + command
    with log.open("ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
                                start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=base, trust_env=False, timeout=2.0) as probe:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the hub exited with {proc.returncode}; see {log}")
                with contextlib.suppress(httpx.TransportError):
                    if probe.get(API + "/health").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the hub did not answer within 60 s; see {log}")
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        # SIGINT to the group we created: uvicorn shuts down cleanly and a wrapping
        # profiler writes its report.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


# --------------------------------------------------------------------------- CPU use


def _proc_stats() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds) for every process (Linux /proc)."""
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
    (the load generator) and by PostgreSQL's processes; empty where /proc is missing."""
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


# --------------------------------------------------------------------------- load


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    # request index -> (status, code) for the checks
    outcomes: dict[int, tuple[int, str | None]] = field(default_factory=dict)
    transport_errors: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


def drive(base: str, headers: dict[str, str], requests: int, clients: int, max_seconds: float,
          make: Callable[[int], tuple[str, dict[str, Any]]], server_pid: int) -> Result:
    """``requests`` POSTs built by ``make(i)`` from ``clients`` threads with keep-alive."""
    result = Result()
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds
    start = threading.Barrier(clients + 1)

    def client() -> None:
        latencies: list[float] = []
        outcomes: dict[int, tuple[int, str | None]] = {}
        errors = 0
        with httpx.Client(base_url=base + API, headers=headers, trust_env=False,
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
                    with contextlib.suppress(ValueError):
                        code = response.json().get("code")
                outcomes[i] = (response.status_code, code)
        with lock:
            result.latencies.extend(latencies)
            result.outcomes.update(outcomes)
            result.transport_errors += errors

    threads = [threading.Thread(target=client, name=f"till-{n}") for n in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    cpu0 = cpu_seconds(server_pid)
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - t0
    cpu1 = cpu_seconds(server_pid)
    result.cpu = {k: cpu1[k] - cpu0[k] for k in cpu1}
    for status, code in result.outcomes.values():
        result.statuses[status] += 1
        if code is not None:
            result.codes[code] += 1
    return result


def summary(result: Result) -> dict[str, Any]:
    lat = sorted(result.latencies)

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None

    done = len(result.outcomes)
    ok = sum(n for s, n in result.statuses.items() if s < 300)
    return {
        "requests": done,
        "seconds": round(result.seconds, 3),
        "requests_per_second": round(done / result.seconds, 1) if result.seconds else None,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else None,
        "successes": ok,
        "refusals": dict(sorted(result.codes.items())),
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "transport_errors": result.transport_errors,
        # CPU milliseconds per request: what the 2 cores are spent on.
        "cpu_ms_per_request": {k: round(v * 1000 / done, 2) for k, v in result.cpu.items()}
        if done else {},
    }


# --------------------------------------------------------------------------- one backend


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from clienteling.engine.models import Benefit, BenefitDefinition, Redemption, RedemptionItem
    from clienteling.engine.services.rewards import _balance

    n, m = args.requests, args.reward_requests
    profiles = args.profiles
    # Half the benefit requests go to the capped definition; the cap is set below that, so
    # the run races past it.
    cap = max(1, (n // 2) * 3 // 4)
    # Reward balances cover about 80% of the amount requests, so some are refused.
    per_profile = max(1, m // profiles)
    reward_value = REWARD_STEP * max(1, per_profile * 4 // 5)
    out: dict[str, Any] = {"backend": backend, "clients": args.clients, "workers": args.workers,
                           "profiles": profiles}
    with hub_database(backend, args.pg) as url:
        t0 = time.perf_counter()
        world = seed(url, profiles=profiles, cap=cap, reward_value=reward_value)
        out["seed_seconds"] = round(time.perf_counter() - t0, 2)
        headers = {"Authorization": f"Bearer {world.token}", "X-Staff-Id": world.staff_id}
        log = Path(args.log)
        with hub_server(url, workers=args.workers, wrap=args.wrap, log=log) as (base, pid):
            warm_pid, warm_bid = world.warmup
            # The first request verifies the token with argon2 (then it is cached).
            drive(base, headers, args.warmup, args.clients, 60, lambda i: (
                f"/profiles/{warm_pid}/benefits/{warm_bid}/redeem", {}), pid)

            def benefit_request(i: int) -> tuple[str, dict[str, Any]]:
                pid, capped, uncapped = world.holdings[(i // 2) % len(world.holdings)]
                bid = capped if i % 2 == 0 else uncapped
                return (f"/profiles/{pid}/benefits/{bid}/redeem",
                        {"redemption_id": str(uuid.uuid4()), "location_id": world.store_id,
                         "transaction_receipt_ref": f"R-{i}"})

            benefits = drive(base, headers, n, args.clients, args.max_seconds, benefit_request, pid)

            def reward_request(i: int) -> tuple[str, dict[str, Any]]:
                pid = world.reward_profiles[i % len(world.reward_profiles)]
                return (f"/profiles/{pid}/redeem",
                        {"amount": str(REWARD_STEP), "strategies": ["rewards"],
                         "location_id": world.store_id, "redemption_id": str(uuid.uuid4()),
                         "transaction_receipt_ref": f"A-{i}"})

            rewards = drive(base, headers, m, args.clients, args.max_seconds, reward_request,
                            pid) if m else None
            with httpx.Client(base_url=base + API, headers=headers, trust_env=False) as http:
                hub_def = http.get(f"/benefits/definitions/{world.capped_definition_id}").json()
                hub_def = hub_def["data"]

        capped_seen = sum(1 for i, (status, _) in benefits.outcomes.items()
                          if i % 2 == 0 and status == 201)
        cl = Clienteling.open(url, mode="hub")
        try:
            with cl.ctx.reading() as s:
                stored = s.scalar(
                    select(func.count()).select_from(RedemptionItem)
                    .join(Redemption, Redemption.id == RedemptionItem.redemption_id)
                    .join(Benefit, Benefit.id == RedemptionItem.item_id)
                    .where(Benefit.benefit_definition_id == world.capped_definition_id,
                           Redemption.reversed_by_id.is_(None)))
                counter = s.get(BenefitDefinition, world.capped_definition_id)
                assert counter is not None
                db_total = counter.total_global_redemptions
                balances = {pid: _balance(s, pid, cl.ctx.clock.now()) for pid in world.reward_profiles}
        finally:
            cl.close()
        cap_ok = (capped_seen == stored == db_total == hub_def["total_global_redemptions"]
                  and stored <= world.cap and hub_def["max_global_redemptions"] == world.cap)
        out["benefit_redeem"] = {**summary(benefits), "cap": world.cap,
                                 "capped_successes_seen": capped_seen,
                                 "capped_redemptions_stored": stored,
                                 "hub_total_global_redemptions": hub_def["total_global_redemptions"],
                                 "cap_never_exceeded": cap_ok}
        if rewards is not None:
            redeemed: Counter[str] = Counter()
            for i, (status, _) in rewards.outcomes.items():
                if status == 201:
                    redeemed[world.reward_profiles[i % len(world.reward_profiles)]] += 1
            balance_ok = all(
                balances[pid] == world.reward_value - REWARD_STEP * redeemed[pid] >= 0
                for pid in world.reward_profiles)
            out["reward_redeem"] = {**summary(rewards), "balances_exact_and_never_negative":
                                    balance_ok}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--requests", type=int, default=3000, help="benefit redeem requests")
    parser.add_argument("--reward-requests", type=int, default=None,
                        help="amount redeem requests (default: as many as --requests)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--profiles", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="hub serve --workers")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="per phase")
    parser.add_argument("--pg", default=os.environ.get("CLIENTELING_BENCH_PG",
                                                       os.environ.get("CLIENTELING_TEST_PG",
                                                                      PG_DEFAULT)),
                        help="a PostgreSQL server URL (its maintenance database)")
    parser.add_argument("--wrap", default=None, help="command prefix for the server process, "
                        "e.g. 'py-spy record -o hub.svg --'")
    parser.add_argument("--log", default=os.path.join(tempfile.gettempdir(), "bench_hub.log"),
                        help="where the server's output goes")
    args = parser.parse_args(argv)
    if args.reward_requests is None:
        args.reward_requests = args.requests
    if min(args.requests, args.clients, args.profiles) < 1 or args.reward_requests < 0:
        parser.error("--requests, --clients and --profiles must be positive")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = [run_backend(b, args) for b in backends]
    print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    good = all(r["benefit_redeem"]["cap_never_exceeded"]
               and r.get("reward_redeem", {}).get("balances_exact_and_never_negative", True)
               and r["benefit_redeem"]["transport_errors"] == 0
               and not any(s.startswith("5") for s in r["benefit_redeem"]["statuses"])
               for r in results)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
