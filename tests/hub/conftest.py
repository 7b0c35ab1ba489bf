"""Fixtures for the hub: a database per backend (SQLite file, PostgreSQL test database),
the hub served by uvicorn on 127.0.0.1 port 0 in a thread, and a seeded world of stores,
staff and device tokens talked to over real HTTP with httpx.

PostgreSQL: ``CLIENTELING_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
postgres``) names a server and a maintenance database; a fresh ``clienteling_test_<random>``
database is created for the session and dropped at the end. Without a reachable server the
postgres tests are skipped — except when ``CI`` is set, where they fail.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import URL, make_url

from clienteling.engine.clock import Clock, FixedClock
from clienteling.engine.context import Policy
from clienteling.engine.db import open_database
from clienteling.engine.models import Base
from clienteling.hub.app import create_app
from clienteling.hub.state import Hub
from tests.conftest import T0

PG_ENV = "CLIENTELING_TEST_PG"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
API = "/api/v3"


# --------------------------------------------------------------------------- speed


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 settings while a hub test runs: every test seeds staff PINs and device
    tokens, and the production settings are deliberately slow (~0.1 s a hash). Hashes stay
    real argon2id; only the cost parameters shrink (and only for the hub's tests)."""
    from argon2 import PasswordHasher

    from clienteling.engine import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                           parallelism=1))


# --------------------------------------------------------------------------- PostgreSQL


def _conninfo(url: URL) -> dict[str, Any]:
    info: dict[str, Any] = {"dbname": url.database or "postgres", "connect_timeout": 3}
    if url.host:
        info["host"] = url.host
    if url.port:
        info["port"] = url.port
    if url.username:
        info["user"] = url.username
    if url.password:
        info["password"] = url.password
    return info


def _reachable_server() -> tuple[URL | None, str]:
    """The server URL that accepts us (user ``postgres``, else ``root``), or why none does."""
    import psycopg

    base = make_url(os.environ.get(PG_ENV, PG_DEFAULT))
    candidates = [base]
    if PG_ENV not in os.environ or base.username in (None, "postgres"):
        candidates.append(base.set(username="root"))
    problems = []
    for candidate in candidates:
        try:
            with psycopg.connect(**_conninfo(candidate), autocommit=True):
                return candidate, ""
        except Exception as exc:
            problems.append(f"{candidate.render_as_string(hide_password=True)}: "
                            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    return None, "; ".join(problems)


def pg_server_or_skip() -> URL:
    """The PostgreSQL server the tests use; the test is skipped with the reason when none is
    reachable, except in CI, where the PostgreSQL tests must run (and so fail)."""
    server, why = _reachable_server()
    if server is None:
        message = f"PostgreSQL not reachable at {os.environ.get(PG_ENV, PG_DEFAULT)} ({why})"
        if os.environ.get("CI"):
            pytest.fail(message + " — CI must run the PostgreSQL tests")
        pytest.skip(message)
    return server


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (no schema), dropped afterwards (see
    :func:`pg_server_or_skip` when no server is reachable)."""
    import psycopg

    server = pg_server_or_skip()
    name = f"clienteling_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**_conninfo(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**_conninfo(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    with fresh_pg_database() as url:
        open_database(url).dispose()  # migrate once
        yield url


def truncate(url: str) -> None:
    import psycopg

    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with psycopg.connect(**_conninfo(make_url(url)), autocommit=True) as conn:
        conn.execute(f"TRUNCATE TABLE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def hub_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated hub database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    url: str = request.getfixturevalue("pg_database")
    truncate(url)
    return url


# --------------------------------------------------------------------------- live server


@dataclass
class LiveHub:
    """A hub served over real HTTP on 127.0.0.1."""

    base_url: str
    hub: Hub
    server: uvicorn.Server
    thread: threading.Thread
    clients: list[httpx.Client] = field(default_factory=list)
    # (method, path, status) of every response any client got, for coverage checks.
    calls: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return self.hub.cl.dialect

    def client(self, token: str | None = None, staff_id: str | None = None,
               **headers: str) -> httpx.Client:
        h = dict(headers)
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if staff_id is not None:
            h["X-Staff-Id"] = staff_id
        def record(response: httpx.Response) -> None:
            self.calls.append((response.request.method, response.request.url.path,
                               response.status_code))

        client = httpx.Client(base_url=self.base_url + API, headers=h, timeout=60.0,
                              event_hooks={"response": [record]})
        self.clients.append(client)
        return client

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        self.server.should_exit = True
        self.thread.join(timeout=10)


def run_server(asgi: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    """``asgi`` served by uvicorn on a free loopback port, in a thread: the server, its thread
    and its base URL, once it listens (polled, bounded to 10 s)."""
    config = uvicorn.Config(asgi, host="127.0.0.1", port=0, log_level="warning", lifespan="on",
                            access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="hub-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the hub did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, thread, f"http://127.0.0.1:{port}"


def serve(url: str, *, clock: Clock | None = None, policy: Policy | None = None) -> LiveHub:
    app = create_app(url, clock=clock, policy=policy)
    server, thread, base_url = run_server(app)
    return LiveHub(base_url, app.state.hub, server, thread)


@pytest.fixture
def start_hub() -> Iterator[Callable[..., LiveHub]]:
    """Start hubs over a URL; each is stopped at the end and must have had no unhandled error."""
    started: list[LiveHub] = []

    def start(url: str, *, clock: Clock | None = None, policy: Policy | None = None) -> LiveHub:
        live = serve(url, clock=clock, policy=policy)
        started.append(live)
        return live

    yield start
    problems = []
    for live in started:
        live.stop()
        problems.extend(live.hub.unhandled)
    assert not problems, f"requests reached the hub's catch-all (a bug): {problems!r}"


# --------------------------------------------------------------------------- a seeded world

PINS = {"associate": "4821", "manager": "731405", "admin": "905238"}


@dataclass
class World:
    """Two stores; store A has a till token, an admin device's token and one staff member
    of each role, store B a manager and a till token of its own."""

    live: LiveHub
    store_id: str
    other_store_id: str
    token: str
    other_token: str
    staff: dict[str, str]
    other_manager: str
    admin_token: str = ""
    clock: FixedClock | None = None

    @property
    def hub(self) -> Hub:
        return self.live.hub

    def as_(self, role: str, **headers: str) -> httpx.Client:
        """Staff of store A at their device: the admin at the admin device (admins act only
        there, docs/security.md), the others at the till."""
        token = self.admin_token if role == "admin" else self.token
        return self.live.client(token, self.staff[role], **headers)

    def hub_app_openapi(self) -> dict[str, Any]:
        """The served app's OpenAPI document (what schemathesis fuzzes)."""
        app = self.live.server.config.app
        return dict(app.openapi())

    def anonymous(self) -> httpx.Client:
        return self.live.client()

    def device(self) -> httpx.Client:
        """The till's token and nobody signed in (reads only)."""
        return self.live.client(self.token)


def seed(live: LiveHub) -> World:
    cl = live.hub.cl
    a = cl.staff.create_store(None, {"name": "Melbourne Central", "timezone": "Australia/Melbourne"})
    b = cl.staff.create_store(None, {"name": "Copenhagen", "timezone": "Europe/Copenhagen"})
    staff = {}
    for role, pin in PINS.items():
        member = cl.staff.create_staff(None, {"username": f"{role}-a", "display_name": role.title(),
                                              "role": role, "store_id": a.id, "pin": pin})
        staff[role] = member.id
    other = cl.staff.create_staff(None, {"username": "manager-b", "display_name": "Bo",
                                         "role": "manager", "store_id": b.id, "pin": "111111"})
    devices = cl.devices
    token, _ = devices.create_token(None, {"store_id": a.id, "name": "Till 1"})
    other_token, _ = devices.create_token(None, {"store_id": b.id, "name": "Till B"})
    admin_token, _ = devices.create_token(None, {"store_id": a.id, "name": "Back office A",
                                                 "is_admin": True})
    return World(live, a.id, b.id, token, other_token, staff, other.id, admin_token)


@pytest.fixture
def world(hub_url: str, start_hub: Callable[..., LiveHub]) -> World:
    """A live hub (on each backend) with two stores, staff and device tokens; its clock is
    fixed at T0 (Monday 2026-03-02 00:00 UTC, 11:00 in Melbourne)."""
    clock = FixedClock(T0)
    w = seed(start_hub(hub_url, clock=clock))
    w.clock = clock
    return w


def new_key() -> str:
    return str(uuid.uuid4())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
