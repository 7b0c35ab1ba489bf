"""A real hub on loopback for the desktop's sync tests, and an in-memory keyring.

The hub serves a copy of a till database (the demo store, or the 100,000-profile one) so the
till and the hub start out holding the same records; it gets a till token of its own. It is
the hub's real app under uvicorn on port 0 (``tests.hub.conftest.serve``), talked to by the
real sync package over HTTP.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from keyring.backend import KeyringBackend

from clienteling.engine.clock import Clock
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.sync.credentials import TokenStore
from clienteling.sync.state import set_hub_url
from tests.hub.conftest import LiveHub, serve


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps passwords in this process only (the test backend the task asks
    for: ``keyring.set_keyring``), so a test can see exactly what was stored in it."""

    priority = 10  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.passwords.pop((service, username), None)


@dataclass
class HubWorld:
    live: LiveHub
    token: str
    store_id: str

    @property
    def url(self) -> str:
        return self.live.base_url

    @property
    def cl(self) -> Clienteling:
        return self.live.hub.cl


def start_hub_from(source: Path, target: Path, clock: Clock, *, admin_device: bool = False) -> HubWorld:
    """A hub serving a copy of the till database ``source``, with a device token for its store:
    a till's, or with ``admin_device`` an admin device's (issue 9: only there may an admin act,
    and only there does the hub send the admins' PIN hashes)."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    url = f"sqlite:///{target}"
    cl = Clienteling.open(url, clock=clock)
    try:
        store = cl.staff.stores()[0]
        token, _device = cl.devices.create_token(
            None, {"store_id": store.id, "name": "Till 1", "is_admin": admin_device})
    finally:
        cl.close()
    return HubWorld(serve(url, clock=clock), token, store.id)


def stop_hub(world: HubWorld) -> None:
    world.live.stop()
    assert not world.live.hub.unhandled, world.live.hub.unhandled


def connect(cl: Clienteling, admin: Actor, world: HubWorld) -> None:
    """What the Hub connection dialog does, without it: the URL in the till's settings, the token
    in the (test) keyring."""
    set_hub_url(cl, admin, world.url)
    TokenStore().save(world.url, world.token)
