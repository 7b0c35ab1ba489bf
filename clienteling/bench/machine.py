"""The machine the numbers came from: cores, memory, CPU, Python, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import platform
import sqlite3
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
    }}
