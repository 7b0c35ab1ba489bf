"""Fixtures for sync: a real hub served by uvicorn on 127.0.0.1 port 0 (SQLite file), seeded
with stores, staff, tokens and some customers; till files that sync with it over HTTP; and a
count of the requests that reached the hub (an ASGI wrapper in front of the app)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from clienteling.engine.clock import FixedClock
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.devices import Device
from clienteling.engine.services.digest import DigestService
from clienteling.hub.app import create_app
from clienteling.hub.state import Hub
from clienteling.sync.client import HubClient
from tests.conftest import T0
from tests.hub.conftest import LiveHub, World, quick_hashes, run_server, seed

__all__ = ["quick_hashes"]


class Counting:
    """Counts the HTTP requests that reach the hub, by path (a till that is "offline" is
    pointed at a closed port instead, see ``closed_port``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.paths[scope["path"]] += 1
        await self.app(scope, receive, send)

    @property
    def total(self) -> int:
        return sum(self.paths.values())


@dataclass
class Running:
    live: LiveHub
    counting: Counting


def serve_counting(url: str, clock: FixedClock, wrap: Callable[[ASGIApp], ASGIApp] | None = None
                   ) -> Running:
    """The hub on a free port; ``wrap`` puts an ASGI layer between the counter and the hub
    (e.g. a hub without one of its routes)."""
    app = create_app(url, clock=clock)
    counting = Counting(wrap(app) if wrap is not None else app)
    server, thread, base_url = run_server(counting)
    return Running(LiveHub(base_url, app.state.hub, server, thread), counting)


def closed_port() -> str:
    """An address where nothing listens: a till pointed here is offline."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@dataclass
class SyncWorld:
    world: World
    running: Running
    clock: FixedClock
    tmp: Path
    tills: list[Clienteling] = field(default_factory=list)
    clients: list[HubClient] = field(default_factory=list)

    @property
    def hub(self) -> Hub:
        return self.world.hub

    @property
    def url(self) -> str:
        return self.running.live.base_url

    @property
    def till_view(self) -> DigestService:
        """The hub's digest as this world's tills (store A) are given it (issue 9)."""
        return self.hub.cl.digest_for(Device("", "", self.world.store_id).may_act)

    def hub_actor(self, role: str) -> Actor:
        return self.hub.cl.staff.actor(self.world.staff[role])

    def till(self, name: str) -> Clienteling:
        cl = Clienteling.open(f"sqlite:///{self.tmp / (name + '.db')}", clock=self.clock,
                              mode="till")
        self.tills.append(cl)
        return cl

    def client(self, token: str | None = None, url: str | None = None) -> HubClient:
        c = HubClient(url or self.url, token or self.world.token, timeout=30.0)
        self.clients.append(c)
        return c

    def offline(self) -> HubClient:
        return self.client(url=closed_port())

    def actor(self, till: Clienteling, role: str) -> Actor:
        return till.staff.actor(self.world.staff[role])


@pytest.fixture
def make_world(tmp_path: Path) -> Iterator[Callable[..., SyncWorld]]:
    made: list[SyncWorld] = []

    def make(wrap: Callable[[ASGIApp], ASGIApp] | None = None) -> SyncWorld:
        clock = FixedClock(T0)
        running = serve_counting(f"sqlite:///{tmp_path / 'hub.db'}", clock, wrap)
        world = seed(running.live)
        world.clock = clock
        sw = SyncWorld(world, running, clock, tmp_path)
        made.append(sw)
        return sw

    yield make
    for sw in made:
        for c in sw.clients:
            c.close()
        for t in sw.tills:
            t.close()
        sw.running.live.stop()
        assert not sw.hub.unhandled, f"requests reached the hub's catch-all: {sw.hub.unhandled!r}"


@pytest.fixture
def sync_world(make_world: Callable[..., SyncWorld]) -> SyncWorld:
    return make_world()
