"""Benchmark ``GET /api/v3/sync/snapshot``: rows/s of a first sync over a real hub.

Run: ``python bench/bench_snapshot.py [--backend sqlite|postgres] [--profiles 100000]
[--limit 5000]``

Builds a demo hub database (``clienteling.demo``: N profiles with their benefits and
rewards, bulk-inserted), starts ``clienteling hub serve`` on 127.0.0.1 in a separate
process, and pages through the whole snapshot as a till's first sync does (``next`` token,
``--limit`` rows a page), checking every row comes exactly once and the totals match.
Prints rows, seconds, rows/s and the slowest page. Also times ``GET /sync/digest`` (the
summary over every type). Loopback only; the server it starts is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from bench_hub import API, PG_DEFAULT, hub_database, hub_server  # noqa: E402

from clienteling.demo import create_demo  # noqa: E402
from clienteling.engine.services import Clienteling  # noqa: E402
from clienteling.engine.services.devices import DeviceService  # noqa: E402


def run(args: argparse.Namespace) -> dict[str, Any]:
    with hub_database(args.backend, args.pg) as url:
        started = time.perf_counter()
        create_demo(url, profiles=args.profiles, seed=1)
        built = time.perf_counter() - started
        with Clienteling.open(url, mode="hub") as cl:
            store = cl.staff.stores()[0]
            token, _ = DeviceService(cl.ctx).create_token(None, {"store_id": store.id,
                                                                 "name": "Bench"})
        with hub_server(url, workers=1, wrap=None, log=Path(args.log)) as (base, _pid), \
                httpx.Client(base_url=base + API, headers={"Authorization": f"Bearer {token}"},
                             trust_env=False, timeout=600.0) as http:
            http.get("/sync/snapshot", params={"limit": 1}).raise_for_status()  # warm-up
            seen: set[tuple[str, str]] = set()
            rows = 0
            slowest = 0.0
            token_next: str | None = None
            totals: dict[str, int] = {}
            started = time.perf_counter()
            while True:
                params: dict[str, Any] = {"limit": args.limit}
                if token_next is not None:
                    params["next"] = token_next
                t = time.perf_counter()
                response = http.get("/sync/snapshot", params=params)
                response.raise_for_status()
                page = response.json()
                slowest = max(slowest, time.perf_counter() - t)
                totals = totals or page["meta"]["totals"]
                rows += len(page["data"])
                seen.update((e["type"], e["id"]) for e in page["data"])
                token_next = page["meta"]["next"]
                if token_next is None:
                    break
            seconds = time.perf_counter() - started
            t = time.perf_counter()
            http.get("/sync/digest").raise_for_status()
            digest_s = time.perf_counter() - t
    return {
        "backend": args.backend, "profiles": args.profiles, "limit": args.limit,
        "build_seconds": round(built, 1), "rows": rows, "totals": totals,
        "every_row_once": len(seen) == rows == sum(totals.values()),
        "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
        "slowest_page_s": round(slowest, 3), "digest_summary_s": round(digest_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=5000)
    parser.add_argument("--pg", default=os.environ.get("CLIENTELING_BENCH_PG",
                                                       os.environ.get("CLIENTELING_TEST_PG",
                                                                      PG_DEFAULT)))
    parser.add_argument("--log", default=os.path.join(tempfile.gettempdir(),
                                                      "bench_snapshot.log"))
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=2))
    return 0 if result["every_row_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
