"""Benchmark a till's first sync end to end: rows/s from an empty till file to "synced".

Run: ``python bench/bench_first_sync.py [--profiles 100000] [--limit 5000]
[--backend sqlite|postgres]``

Builds a demo hub database (``clienteling.demo``: N profiles with their benefits and
rewards), starts ``clienteling hub serve`` on 127.0.0.1 in a separate process, and runs
``clienteling.sync.run_cycle`` into a new, empty till file: snapshot pages through the
remote door's bulk Core inserts, then the feed. Prints rows, seconds, rows/s, and — measured
in the same run, on the same disk — raw SQLite insert speed (``executemany`` of as many rows
of the same width into one table, one transaction per page), and their ratio. SPEC §8 asks
for ≥ 50,000 rows/s and within 3× of raw SQLite. Loopback only; the server is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from bench_hub import PG_DEFAULT, hub_database, hub_server  # noqa: E402

from clienteling.demo import create_demo  # noqa: E402
from clienteling.engine.services import Clienteling  # noqa: E402
from clienteling.engine.services.devices import DeviceService  # noqa: E402
from clienteling.sync.client import HubClient  # noqa: E402
from clienteling.sync.cycle import run_cycle  # noqa: E402
from clienteling.sync.progress import Progress  # noqa: E402


def raw_sqlite(path: Path, rows: int, page: int) -> float:
    """Seconds to insert ``rows`` rows of ~12 columns with plain sqlite3 executemany, WAL,
    one transaction per ``page`` rows: the floor a first sync is compared with."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT, e INTEGER,"
                 " f INTEGER, g TEXT, h TEXT, i TEXT, j TEXT, k TEXT)")
    data = [(f"{n:036d}", "first", "last", "someone@example.com", "+61400000000", n, 1,
             "2026-03-02T00:00:00+00:00", "2026-03-02T00:00:00+00:00", "gold", "{}", "x")
            for n in range(rows)]
    started = time.perf_counter()
    for start in range(0, rows, page):
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                         data[start:start + page])
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return seconds


def run(args: argparse.Namespace) -> dict[str, Any]:
    with hub_database(args.backend, args.pg) as url, \
            tempfile.TemporaryDirectory(prefix="clienteling-till-") as folder:
        create_demo(url, profiles=args.profiles, seed=1)
        with Clienteling.open(url, mode="hub") as cl:
            store = cl.staff.stores()[0]
            token, _ = DeviceService(cl.ctx).create_token(None, {"store_id": store.id,
                                                                 "name": "Bench"})
        with hub_server(url, workers=1, wrap=None, log=Path(args.log)) as (base, _pid):
            till = Clienteling.open(str(Path(folder) / "till.db"), mode="till")
            applying = [0.0]
            apply = till.remote.apply

            def timed(*a: Any, **k: Any) -> Any:
                t = time.perf_counter()
                try:
                    return apply(*a, **k)
                finally:
                    applying[0] += time.perf_counter() - t

            till.remote.apply = timed  # type: ignore[method-assign]
            last: list[Progress] = []
            with HubClient(base, token, timeout=600.0) as client:
                started = time.perf_counter()
                report = run_cycle(till, client, progress=last.append)
                seconds = time.perf_counter() - started
            counts = {t: v["count"] for t, v in till.digest.summary()["types"].items()}
            till.close()
        rows = sum(counts.values())
        raw = raw_sqlite(Path(folder) / "raw.db", rows, args.limit)
    return {
        "backend": args.backend, "profiles": args.profiles, "rows": rows, "counts": counts,
        "error": report.error, "progress_reports": len(last),
        "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
        # The till's share: parsing and bulk-inserting pages through the remote door (the
        # rest is the hub rendering pages and HTTP).
        "till_apply_seconds": round(applying[0], 2),
        "till_apply_rows_per_s": round(rows / applying[0]) if applying[0] else None,
        "times_raw_sqlite_till_apply": round(applying[0] / raw, 2),
        "raw_sqlite_rows_per_s": round(rows / raw),
        "times_raw_sqlite": round(seconds / raw, 2),
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
                                                      "bench_first_sync.log"))
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result, indent=2))
    return 0 if result["error"] is None else 1


if __name__ == "__main__":
    sys.exit(main())
