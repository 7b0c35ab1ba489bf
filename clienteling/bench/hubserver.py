"""A hub for the load parts of ``clienteling bench``: a throwaway database, a small seeded
world, and ``clienteling hub serve`` in a process of its own on a free loopback port.

The hub runs as a separate process (not uvicorn in a thread, as the tests do) so the load
generator does not share its GIL: what is measured is the hub, as a till would meet it.
Throwaway PostgreSQL databases are dropped, and the server stopped, however a run ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx
from sqlalchemy.engine import make_url

import clienteling
from clienteling.engine.services import Clienteling

API = "/api/v3"
Backend = Literal["sqlite", "postgres"]

#: The seeded associate: the X-Staff-Id of every request, and who signs in at a till.
ASSOCIATE = ("bench-associate", "4821")
START_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------- databases


def pg_conninfo(url: str) -> dict[str, Any]:
    """psycopg's connection arguments for a SQLAlchemy PostgreSQL URL (any driver name)."""
    parsed = make_url(url)
    info: dict[str, Any] = {"dbname": parsed.database or "postgres", "connect_timeout": 3}
    for key, value in (("host", parsed.host), ("port", parsed.port), ("user", parsed.username),
                       ("password", parsed.password)):
        if value:
            info[key] = value
    return info


@contextlib.contextmanager
def hub_database(backend: Backend, workdir: Path, pg_url: str | None = None) -> Iterator[str]:
    """A fresh, empty hub database URL: a SQLite file under ``workdir``, or a
    ``clienteling_bench_<random>`` database on the server ``pg_url`` names; removed (dropped,
    with any session still on it) afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hub-", dir=workdir) as folder:
            yield f"sqlite:///{Path(folder) / 'hub.db'}"
        return
    if pg_url is None:
        raise ValueError("a PostgreSQL hub needs a server URL")
    import psycopg

    name = f"clienteling_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**pg_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**pg_conninfo(pg_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_sqlite_file(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite file (the bench's data set, for a hub to serve): its WAL
    checkpointed into it first. A file copy, not SQLite's backup: gigabytes at full scale."""
    conn = sqlite3.connect(source)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    shutil.copyfile(source, target)


def remove_sqlite_file(path: Path) -> None:
    """A SQLite database file and its WAL companions, gone (a till file a part made)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Holding:
    profile_id: str
    capped_benefit_id: str     # of the definition with a global cap
    open_benefit_id: str       # of the uncapped one


@dataclass(frozen=True)
class Seeded:
    store_id: str
    staff_id: str              # the associate
    token: str                 # a device token of the store
    capped_definition_id: str
    cap: int
    holdings: list[Holding]
    reward_value: Decimal      # issued to every profile of ``holdings``
    warmup: Holding            # a profile kept out of the measured requests


def seed(url: str, *, profiles: int, cap: int, reward_value: Decimal) -> Seeded:
    """A store, an admin and an associate, a device token, a benefit definition capped at
    ``cap`` redemptions in all (SPEC B3's global limit) and an uncapped one, a reward
    definition; ``profiles`` profiles each holding one benefit of each definition and a
    reward of ``reward_value``. All through the engine, as an admin would make them."""
    with Clienteling.open(url, mode="hub") as cl:
        staff = cl.staff
        store = staff.create_store(None, {"name": "Bench Central",
                                          "timezone": "Australia/Melbourne"})
        admin = staff.create_staff(None, {"username": "bench-admin", "display_name": "Bench Admin",
                                          "role": "admin", "store_id": store.id, "pin": "905238"})
        associate = staff.create_staff(None, {
            "username": ASSOCIATE[0], "display_name": "Bench Associate", "role": "associate",
            "store_id": store.id, "pin": ASSOCIATE[1]})
        token, _ = cl.devices.create_token(None, {"store_id": store.id, "name": "Till"})
        actor = staff.actor(admin.id)
        defs = cl.definitions
        capped = defs.create_benefit_definition(actor, {
            "name": "Capped coffee", "handle": "bench-capped", "is_published": True,
            "max_redemptions": 10_000, "max_global_redemptions": cap})
        uncapped = defs.create_benefit_definition(actor, {
            "name": "Open coffee", "handle": "bench-open", "is_published": True,
            "max_redemptions": 10_000})
        dollars = defs.create_reward_definition(actor, {
            "name": "Bench dollars", "handle": "bench-dollars", "type": "customer-service",
            "value": "10.00"})

        def holding(first: str, last: str) -> Holding:
            p = cl.profiles.create(actor, {"first_name": first, "last_name": last})
            b1 = cl.benefits.issue(actor, {"benefit_definition_id": capped.id, "profile_id": p.id})
            b2 = cl.benefits.issue(actor, {"benefit_definition_id": uncapped.id,
                                           "profile_id": p.id})
            return Holding(p.id, b1.id, b2.id)

        holdings = []
        for i in range(profiles):
            h = holding("Bench", f"Customer {i}")
            cl.rewards.issue(actor, {"profile_id": h.profile_id, "reward_definition_id": dollars.id,
                                     "value_initial": str(reward_value), "reason": "bench"})
            holdings.append(h)
        warm = holding("Warm", "Up")
        return Seeded(store.id, associate.id, token, capped.id, cap, holdings, reward_value, warm)


def store_token(url: str) -> str:
    """A new device token for the first store of a hub database."""
    with Clienteling.open(url, mode="hub") as cl:
        store = cl.staff.stores()[0]
        token, _ = cl.devices.create_token(None, {"store_id": store.id,
                                                             "name": "Bench"})
    return token


# --------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class RunningHub:
    base_url: str              # http://127.0.0.1:<port>, without the API prefix
    pid: int                   # the server process (its own process group)
    log: Path


def child_env() -> dict[str, str]:
    """The environment of the server: the same ``clienteling`` package as this process
    (a worktree on PYTHONPATH, or the installed one), whatever the working directory."""
    env = dict(os.environ)
    package_root = str(Path(clienteling.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


@contextlib.contextmanager
def hub_server(url: str, log: Path, *, workers: int = 1) -> Iterator[RunningHub]:
    """``clienteling hub serve`` on ``url`` in its own process group, answering on a free
    loopback port; stopped (SIGINT, then SIGKILL) when the block ends, however it ends."""
    port = free_port()
    command = [sys.executable, "-m", "clienteling.cli", "hub", "serve", "--db", url,
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--log-level", "warning"]
    with log.open("ab") as out:
        # Started in the package's own folder: ``python -m`` puts the working directory
        # first on the path, and another checkout there would be the one that runs.
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                env=child_env(), start_new_session=True,
                                cwd=Path(clienteling.__file__).resolve().parents[1])
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        with httpx.Client(base_url=base, trust_env=False, timeout=2.0) as probe:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"the hub exited with {proc.returncode}; see {log}")
                with contextlib.suppress(httpx.TransportError):
                    if probe.get(API + "/health").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the hub did not answer within {START_TIMEOUT_S:g} s; "
                                       f"see {log}")
                time.sleep(0.1)
        yield RunningHub(base, proc.pid, log)
    finally:
        # SIGINT to the group: uvicorn shuts down cleanly (workers included).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
