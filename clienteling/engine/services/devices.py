"""Device tokens: how a till proves to the hub that it is one of ours (SPEC §7, §9).

A token is ``clt_<lookup>_<secret>``; only its argon2 hash is stored, found by the
public lookup prefix. Verified tokens are remembered in memory for a short while,
because an argon2 check is deliberately slow (~40 ms) and a till sends many requests.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from clienteling.engine.context import Context
from clienteling.engine.errors import AuthenticationFailed, ValidationError
from clienteling.engine.form import Form
from clienteling.engine.models import DeviceToken, Store, new_id
from clienteling.engine.permissions import Action, Actor, require
from clienteling.engine.security import hash_secret, new_device_token, token_lookup, verify_secret
from clienteling.engine.services.lookup import get_or_not_found

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Device:
    """An authenticated till: its token's id, name and store."""

    token_id: str
    name: str
    store_id: str


class DeviceService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._verified: dict[str, tuple[float, Device]] = {}
        self._lock = threading.Lock()

    def create_token(self, actor: Actor | None, data: Any) -> tuple[str, DeviceToken]:
        """A new token for a till of a store; the plain token is returned once, never stored."""
        if actor is not None:
            require(actor, Action.MANAGE_STAFF)
        form = Form(data)
        store_id = form.text("store_id", required=True, max_len=36)
        name = form.text("name", required=True, max_len=200)
        form.done()
        token, lookup = new_device_token()
        with self.ctx.transaction(actor) as uow:
            if uow.session.get(Store, store_id) is None:
                raise ValidationError.field("store_id", f"no store with id {store_id}")
            row = DeviceToken(id=new_id(), store_id=store_id, name=name, lookup=lookup,
                              token_hash=hash_secret(token), is_active=True, created_at=uow.now)
            uow.session.add(row)
            uow.session.flush()
            uow.record("device_token.create", "device_token", row.id,
                       after={"id": row.id, "store_id": store_id, "name": name, "lookup": lookup})
            # Audited, but tokens are not synced: keep them out of the change feed.
            uow.touched = [t for t in uow.touched if t[0] != "device_token"]
        return token, row

    def revoke(self, actor: Actor | None, token_id: str) -> None:
        if actor is not None:
            require(actor, Action.MANAGE_STAFF)
        with self.ctx.transaction(actor) as uow:
            get_or_not_found(uow.session, DeviceToken, token_id, "device token")
            uow.session.execute(update(DeviceToken).where(DeviceToken.id == token_id)
                                .values(is_active=False))
            uow.record("device_token.revoke", "device_token", token_id,
                       before={"is_active": True}, after={"is_active": False})
            uow.touched = [t for t in uow.touched if t[0] != "device_token"]
        with self._lock:
            self._verified.clear()

    def tokens(self) -> list[DeviceToken]:
        with self.ctx.reading() as s:
            return list(s.scalars(select(DeviceToken).order_by(DeviceToken.created_at)))

    def authenticate(self, token: str) -> Device:
        """The device a bearer token belongs to; AuthenticationFailed when it is not valid."""
        if not isinstance(token, str) or len(token) > 200:
            raise AuthenticationFailed("Invalid device token")
        key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        now = time.monotonic()
        with self._lock:
            cached = self._verified.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        lookup = token_lookup(token)
        if lookup is None or not lookup.isalnum() or len(lookup) > 64:
            raise AuthenticationFailed("Invalid device token")
        with self.ctx.reading() as s:
            row = s.scalar(select(DeviceToken).where(DeviceToken.lookup == lookup))
        if row is None or not row.is_active or not verify_secret(row.token_hash, token):
            raise AuthenticationFailed("Invalid device token")
        device = Device(row.id, row.name, row.store_id)
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[key] = (now + CACHE_SECONDS, device)
        return device
