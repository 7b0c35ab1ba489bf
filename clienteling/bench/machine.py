"""The machine the numbers came from: cores, memory, CPU, Python, SQLite and PostgreSQL, and
how fast one core runs a fixed piece of Python work (``python_reference_ms``).

Why the reference: the same code measured 381-411 pushes/s in one session and about 200/s
in the next, each on a two-core machine of the same kind (the CPU model differs between
such machines: an Intel Xeon, an AMD EPYC). A number from two runs is read against this
one: canonical JSON and SHA-256 of 20,000 small records, like the kept digests'
fingerprints (``engine.fingerprints``), best of five runs."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sqlite3
import time
from pathlib import Path
from typing import Any

from clienteling.bench.run import BenchRun


def memory_gb(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """Total memory in GB (10⁹ bytes), from ``/proc/meminfo`` (None where there is none)."""
    try:
        for line in meminfo.read_text(encoding="ascii").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) * 1024 / 1e9, 1)
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def postgresql_version(pg_url: str | None) -> str | None:
    if pg_url is None:
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


REFERENCE_RECORDS = 20_000


def python_reference_ms(records: int = REFERENCE_RECORDS, runs: int = 5) -> float:
    """Milliseconds one core takes to fingerprint ``records`` small records (best of
    ``runs``): the fixed Python workload numbers from different machines are read against."""
    data = [{"id": f"{n:08d}-0000-4000-8000-000000000000", "first_name": "Olivia",
             "last_name": f"Nguyen {n}", "points": n * 7, "tier": "gold", "tags": ["a", "b"]}
            for n in range(records)]
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for record in data:
            hashlib.sha256(json.dumps(record, sort_keys=True).encode()).digest()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def measure(run: BenchRun) -> dict[str, Any]:
    run.progress("machine: describing it")
    if run.pg_url is None:
        run.skipped.setdefault("machine.postgresql", "no PostgreSQL server answered")
    return {"machine": {
        "cores": os.cpu_count(),
        "memory_gb": memory_gb(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgresql_version(run.pg_url),
        "platform": platform.platform(),
        "python_reference_ms": python_reference_ms(),
    }}
