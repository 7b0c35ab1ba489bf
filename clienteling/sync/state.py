"""The till's saved hub connection and sync state, as the sync layer uses them: a thin typed
facade over the engine's ``cl.sync_state`` (``engine/services/sync_state.py``), which owns the
storage, the checks and the audit. The token is never here: see ``credentials``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.sync_state import (
    FIRST_SYNC,
    HUB_URL,
    LAST_SYNCED,
    REFETCH,
    REJECTED,
    check_hub_url,
)

if TYPE_CHECKING:
    from clienteling.sync.connect import Connection

__all__ = ["FIRST_SYNC", "HUB_URL", "LAST_SYNCED", "REFETCH", "REJECTED", "check_hub_url",
           "connect", "get", "hub_url", "last_synced_at", "put", "set_hub_url",
           "update"]


def get(cl: Clienteling, key: str) -> Any:
    return cl.sync_state.get(key)


def put(cl: Clienteling, key: str, value: Any) -> None:
    """Set (or, with None, remove) one value in its own transaction."""
    cl.sync_state.put(key, value)


def update(cl: Clienteling, key: str, change: Callable[[Any], Any]) -> Any:
    """Read, change and write one value in one transaction (no lost update)."""
    return cl.sync_state.update(key, change)


def hub_url(cl: Clienteling) -> str | None:
    return cl.sync_state.hub_url()


def set_hub_url(cl: Clienteling, actor: Actor, url: str) -> str:
    """Connect this till to a hub (``Action.CONNECT_TILL``); checked and audited by the engine."""
    return cl.sync_state.set_hub_url(actor, url)


def connect(cl: Clienteling, actor: Actor | None, found: Connection) -> str:
    """Save a connection ``sync.connect.check_connection`` proved: ``actor`` a manager or
    admin in the app, None for the till's own set-up (see the engine's ``connect``)."""
    return cl.sync_state.connect(actor, found.hub_url, store_id=found.store_id,
                                 device=found.device_name)


def last_synced_at(cl: Clienteling) -> datetime | None:
    return cl.sync_state.last_synced_at()
