"""Sync on the engine worker: what the outbox holds (changes waiting, conflicts) and which hub
the till talks to. The sync cycles themselves run on the network worker
(:mod:`clienteling.ui.sync.network`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling, OutboxCounts
from clienteling.sync.state import FIRST_SYNC, connect, get, hub_url, set_hub_url

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


#: A till's readiness (SPEC §6 "Connecting a till"): what its window may show.
NEW, GETTING_READY, READY = "new", "getting_ready", "ready"


@dataclass(frozen=True)
class Readiness:
    """Whether this till may do counter work yet, and what the window shows before sign-in."""

    state: str              # NEW (no hub, no data), GETTING_READY (first sync unfinished), READY
    done: int               # rows a first sync under way has read so far
    total: int | None       # rows it will read in all, once the hub has said
    timezone: str           # the till's store's, for times shown before anyone signs in
    connected: bool         # a hub URL is saved


def till_readiness(cl: Clienteling) -> Readiness:
    """A till with a hub but no feed cursor has not finished its first sync: it is getting
    ready, whatever part of the hub's data (staff included) it already holds — a counter on
    half the customers would call a real card "not a known card"."""
    url = hub_url(cl)
    resume = get(cl, FIRST_SYNC) or {}
    stores = cl.staff.stores()
    timezone = stores[0].timezone if len(stores) == 1 else "UTC"
    if url is None:
        state = READY if cl.staff.list_staff(active_only=False) else NEW
    else:
        state = READY if cl.remote.cursor() is not None else GETTING_READY
    total = resume.get("total")
    return Readiness(state, int(resume.get("done", 0)), total if isinstance(total, int) else None,
                     timezone, url is not None)
