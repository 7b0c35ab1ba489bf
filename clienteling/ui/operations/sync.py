"""Sync on the engine worker: what the outbox holds (changes waiting, conflicts) and which hub
the till talks to. The sync cycles themselves run on the network worker
(:mod:`clienteling.ui.sync.network`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling, OutboxCounts
from clienteling.sync.state import connect, hub_url, set_hub_url

if TYPE_CHECKING:  # the sync stack (httpx) is not loaded at start-up (SPEC §8)
    from clienteling.sync.connect import Connection


def outbox_counts(cl: Clienteling) -> OutboxCounts:
    return cl.outbox.counts()


def current_hub_url(cl: Clienteling) -> str | None:
    """The hub this till syncs with (the engine's settings), or None."""
    return hub_url(cl)


def connect_hub(cl: Clienteling, actor: Actor, url: str) -> str:
    """Point the till at ``url`` (managers and admins, ``Action.CONNECT_TILL``, enforced by
    the engine; "hub_url: …" when the URL is not usable); returns the URL as stored."""
    set_hub_url(cl, actor, url)
    return hub_url(cl) or url


def save_connection(cl: Clienteling, actor: Actor | None, found: Connection) -> str:
    """Save a connection the hub proved (``sync.connect.check_connection``): by a manager or
    admin (``Action.CONNECT_TILL``) under Hub connection…, or with ``actor`` None on a till's
    first run; the engine keeps a till with its store's staff on that store ("token: …")."""
    return connect(cl, actor, found)


def connect_first_run(cl: Clienteling, url: str) -> str:
    """First run: point an EMPTY till at ``url``. Nobody can sign in to an empty till, so no
    manager can be asked; the till token the hub's admin created is what authorises it (the hub
    refuses everything without it). A till with staff must go through :func:`connect_hub`."""
    return cl.sync_state.connect_empty_till(url)


def open_store_name(cl: Clienteling) -> str:
    """The store's name when the till serves one store (a first sync just brought it)."""
    stores = cl.staff.stores()
    return stores[0].name if len(stores) == 1 else ""
