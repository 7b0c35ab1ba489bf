"""Benchmark ``POST /api/v3/sync/push``: outbox entries applied per second (SPEC §8: a hub
must take >= 500 pushed changes/s).

Run: ``python bench/bench_push.py [--backend sqlite|postgres|both] [--entries N]
[--batch 200] [--tills 4]``

For each backend: a fresh hub database seeded as ``bench_hub.py`` does (store, staff, a
device token, profiles holding benefits and rewards), ``clienteling hub serve`` started on
127.0.0.1 in a separate process, then ``--tills`` threads each push their share of N
entries in batches of ``--batch`` — the mix a till's outbox holds: benefit redeems, reward
dollar redeems and new profiles (2:1:1), each with its own idempotency key, X-Staff-Id and
X-Occurred-At. Then every batch is pushed again (a till that lost the answers): every entry
must come back ``applied`` with ``replayed: true`` and the hub must hold each change once.

Prints one JSON document per backend: entries/s for the first push and the re-push, batch
latency p50/p95, statuses, and the checks (exit 1 if one fails). Loopback traffic only;
the server it starts is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from bench_hub import API, PG_DEFAULT, hub_database, hub_server, seed  # noqa: E402

from clienteling.engine.services import Clienteling  # noqa: E402


def make_entries(world: Any, n: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC).isoformat()
    headers = {"X-Staff-Id": world.staff_id, "X-Occurred-At": now}
    out = []
    for i in range(n):
        pid, _capped, uncapped = world.holdings[i % len(world.holdings)]
        kind = i % 4
        if kind in (0, 1):
            path, body = f"/profiles/{pid}/benefits/{uncapped}/redeem", {
                "redemption_id": str(uuid.uuid4()), "location_id": world.store_id,
                "transaction_receipt_ref": f"R-{i}"}
        elif kind == 2:
            path, body = f"/profiles/{pid}/redeem", {
                "amount": "1.00", "strategies": ["rewards"], "location_id": world.store_id,
                "redemption_id": str(uuid.uuid4()), "transaction_receipt_ref": f"A-{i}"}
        else:
            path, body = "/profiles", {"id": str(uuid.uuid4()), "first_name": "Pushed",
                                       "last_name": f"Customer {i}"}
        out.append({"key": str(uuid.uuid4()), "method": "POST", "path": path, "body": body,
                    "headers": headers})
    return out


def push_all(base: str, token: str, batches: list[list[dict[str, Any]]], tills: int
             ) -> tuple[float, list[float], Counter[str], list[dict[str, Any]]]:
    """Push the batches from ``tills`` threads; (seconds, batch latencies, statuses, results)."""
    lock = threading.Lock()
    queue = list(enumerate(batches))
    results: dict[int, list[dict[str, Any]]] = {}
    latencies: list[float] = []
    statuses: Counter[str] = Counter()

    def till() -> None:
        with httpx.Client(base_url=base + API, headers={"Authorization": f"Bearer {token}"},
                          trust_env=False, timeout=120.0) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    index, batch = queue.pop(0)
                started = time.perf_counter()
                response = http.post("/sync/push", json={"entries": batch})
                took = time.perf_counter() - started
                with lock:
                    latencies.append(took)
                    if response.status_code != 200:
                        statuses[f"batch {response.status_code}"] += len(batch)
                        continue
                    data = response.json()["data"]
                    results[index] = data
                    statuses.update(f"{r['status']} {r['http_status']}" for r in data)

    threads = [threading.Thread(target=till) for _ in range(tills)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    flat = [r for i in sorted(results) for r in results[i]]
    return seconds, latencies, statuses, flat


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy import func, select

    from clienteling.engine.models import Profile, Redemption

    with hub_database(backend, args.pg) as url:
        world = seed(url, profiles=args.profiles, cap=10**9, reward_value=Decimal("100000.00"))
        entries = make_entries(world, args.entries)
        batches = [entries[i:i + args.batch] for i in range(0, len(entries), args.batch)]
        with hub_server(url, workers=args.workers, wrap=None, log=Path(args.log)) as (base, _pid):
            # Warm up: the token's argon2 check, the staff lookup, statement caches.
            push_all(base, world.token, [make_entries(world, 20)], 1)
            seconds, latencies, statuses, results = push_all(base, world.token, batches,
                                                             args.tills)
            again_s, again_lat, again_statuses, again = push_all(base, world.token, batches,
                                                                 args.tills)
        cl = Clienteling.open(url, mode="hub")
        try:
            with cl.ctx.reading() as s:
                pushed_profiles = s.scalar(select(func.count()).select_from(Profile).where(
                    Profile.first_name == "Pushed")) or 0
                redemptions = s.scalar(select(func.count()).select_from(Redemption)) or 0
        finally:
            cl.close()
    n = len(entries)
    applied = sum(1 for r in results if r["status"] == "applied")
    replayed = sum(1 for r in again if r["status"] == "applied" and r.get("replayed"))
    # Every entry but a new profile makes one redemption (the warm-up's 20 made 15).
    expected_redemptions = sum(1 for i in range(n) if i % 4 != 3) + 15
    checks = {
        "all_applied": applied == n,
        "re_push_all_replayed": replayed == n,
        "each_profile_once": pushed_profiles == sum(1 for i in range(n) if i % 4 == 3) + 5,
        "each_redemption_once": redemptions == expected_redemptions,
    }
    return {
        "backend": backend,
        "entries": n,
        "batch": args.batch,
        "tills": args.tills,
        "push_entries_per_s": round(n / seconds, 1),
        "push_seconds": round(seconds, 2),
        "batch_latency_ms_p50": _pct(latencies, 0.5),
        "batch_latency_ms_p95": _pct(latencies, 0.95),
        "re_push_entries_per_s": round(n / again_s, 1),
        "re_push_batch_latency_ms_p50": _pct(again_lat, 0.5),
        "statuses": dict(statuses),
        "re_push_statuses": dict(again_statuses),
        "checks": checks,
        "mean_entry_ms": round(statistics.fmean(latencies) * 1000 / args.batch, 2)
        if latencies else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--entries", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--tills", type=int, default=4)
    parser.add_argument("--profiles", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="hub serve --workers")
    parser.add_argument("--pg", default=os.environ.get("CLIENTELING_BENCH_PG",
                                                       os.environ.get("CLIENTELING_TEST_PG",
                                                                      PG_DEFAULT)))
    parser.add_argument("--log", default=os.path.join(tempfile.gettempdir(), "bench_push.log"))
    args = parser.parse_args(argv)
    if min(args.entries, args.batch, args.tills, args.profiles) < 1 or args.batch > 500:
        parser.error("--entries, --tills and --profiles must be positive, --batch 1 to 500")
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = [run_backend(b, args) for b in backends]
    print(json.dumps(results if len(results) > 1 else results[0], indent=2))
    return 0 if all(all(r["checks"].values()) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
