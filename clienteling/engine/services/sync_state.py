"""The till's own sync state, kept in its key/value table (``models.KeyValue``): the hub it is
connected to, when it last synced, a first sync's resume point, records to re-read from the
hub, and the back-off after a rejected token. Never the token (``sync.credentials`` keeps it).

Reached as ``cl.sync_state``: the sync layer and the UI read and write these through this
service, not through SQLAlchemy. Connecting the till to a hub is a change a person makes,
so it is checked (``Action.CONNECT_TILL``) and audited; the rest is bookkeeping of the sync
machinery and is written without an audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select

from clienteling.engine.context import Context
from clienteling.engine.errors import PermissionDenied, ValidationError
from clienteling.engine.models import KeyValue, Staff
from clienteling.engine.permissions import Action, Actor, Role, require
from clienteling.engine.security import WITHHELD_HASH

HUB_URL = "sync.hub_url"
LAST_SYNCED = "sync.last_synced_at"
FIRST_SYNC = "sync.first_sync"     # {"cursor", "next", "done", "total"} while one is under way
REFETCH = "sync.refetch"           # [[type, id], …] to re-read from the hub
REJECTED = "sync.token_rejected"   # {"token", "at", "until", "wait"} after a 401

__all__ = ["FIRST_SYNC", "HUB_URL", "LAST_SYNCED", "REFETCH", "REJECTED", "SyncStateService",
           "check_hub_url"]


def check_hub_url(url: str) -> str:
    """The URL as stored, or a ``ValidationError`` naming ``hub_url``."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError.field("hub_url", "is required, e.g. https://hub.example.com")
    value = url.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError.field("hub_url", "must be an http:// or https:// address with a "
                                    "host name, e.g. https://hub.example.com")
    if len(value) > 500:
        raise ValidationError.field("hub_url", "must be at most 500 characters")
    return value


class SyncStateService:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def get(self, key: str) -> Any:
        """The JSON value kept under ``key``, or None."""
        with self._ctx.reading() as s:
            return s.scalar(select(KeyValue.value).where(KeyValue.key == key))

    def put(self, key: str, value: Any) -> None:
        """Set (or, with None, remove) one value in its own transaction."""
        with self._ctx.db.write() as s:
            _put(s, key, value)

    def update(self, key: str, change: Callable[[Any], Any]) -> Any:
        """Replace the value under ``key`` with ``change(old)`` (None removes it) in ONE write
        transaction, so two writers cannot lose each other's update (on SQLite the write
        transaction holds the database's write lock from its start); returns the new value."""
        with self._ctx.db.write() as s:
            old = s.scalar(select(KeyValue.value).where(KeyValue.key == key))
            new = change(old)
            _put(s, key, new)
            return new

    def hub_url(self) -> str | None:
        value = self.get(HUB_URL)
        return value if isinstance(value, str) else None

    def last_synced_at(self) -> datetime | None:
        value = self.get(LAST_SYNCED)
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    def set_hub_url(self, actor: Actor, url: str) -> str:
        """Connect this till to a hub (``Action.CONNECT_TILL``: managers and admins); audited
        as ``settings.hub_url`` in the same transaction. Returns the URL as stored."""
        require(actor, Action.CONNECT_TILL)
        value = check_hub_url(url)
        with self._ctx.transaction(actor) as uow:
            row = uow.session.get(KeyValue, HUB_URL)
            before = row.value if row is not None else None
            if row is None:
                uow.session.add(KeyValue(key=HUB_URL, value=value))
            else:
                row.value = value
            uow.record("settings.hub_url", "setting", HUB_URL, before={"hub_url": before},
                       after={"hub_url": value})
        return value

    def connect_empty_till(self, url: str) -> str:
        """First run: point an EMPTY till at ``url``. Nobody can sign in to an empty till, so
        no one can be asked; the till token the hub's admin created is what authorises it (the
        hub refuses everything without it). A till with staff goes through
        :meth:`set_hub_url`. Returns the URL as stored."""
        with self._ctx.db.write() as s:
            if s.scalar(select(func.count()).select_from(Staff)):
                raise PermissionDenied("connect this till to a hub without signing in", "nobody")
            value = check_hub_url(url)
            _put(s, HUB_URL, value)
        return value

    def connect(self, actor: Actor | None, url: str, *, store_id: str, device: str) -> str:
        """Save a connection the hub has just proven (``sync.connect.check_connection``):
        its token belongs to ``device`` of store ``store_id``. One transaction: the URL,
        the end of any "token rejected" back-off, and the audit event ``settings.hub_url``.

        ``actor`` is the manager or admin doing it in the app (``Action.CONNECT_TILL``); a
        till's staff serve one store, so a manager may only connect it to a token of their
        own store (an admin may use any store's admin device). ``None`` is the till's own
        set-up (``clienteling connect``, the first-run form): whoever holds a till token
        the hub's admin created may connect, as the hub would take that token from anyone —
        but a till that already has its store's staff (and maybe changes waiting for them)
        is never switched to another store's token. Waiting outbox changes are kept: they
        are sent to the hub with the new token. Returns the URL as stored."""
        if actor is not None:
            require(actor, Action.CONNECT_TILL)
            if store_id != actor.store_id and not actor.may(Action.CONNECT_TILL_ANY_STORE):
                raise ValidationError.field("token", "belongs to a till of another store: ask "
                                            "the hub's admin for a token for this store")
        value = check_hub_url(url)
        with self._ctx.transaction(actor) as uow:
            s = uow.session
            # The store this till serves: that of the staff who can sign in on it (the hub
            # sends every staff record, but withholds the PIN hash of other stores' staff).
            served = set(s.scalars(select(Staff.store_id).where(
                Staff.role != Role.ADMIN.value, Staff.pin_hash != WITHHELD_HASH)))
            if served and store_id not in served:
                raise ValidationError.field("token", "belongs to a till of another store than "
                                            "the one this till serves: ask the hub's admin for "
                                            "a token for this store")
            row = s.get(KeyValue, HUB_URL)
            before = row.value if row is not None else None
            _put(s, HUB_URL, value)
            _put(s, REJECTED, None)
            uow.record("settings.hub_url", "setting", HUB_URL, before={"hub_url": before},
                       after={"hub_url": value},
                       meta={"device": device, "store_id": store_id,
                             "by": "staff" if actor is not None else "till token"})
        return value


def _put(session: Any, key: str, value: Any) -> None:
    session.execute(delete(KeyValue).where(KeyValue.key == key))
    if value is not None:
        session.add(KeyValue(key=key, value=value))
