"""Device tokens: how a till proves to the hub that it is one of ours (SPEC §7, §9).

A token is ``clt_<lookup>_<secret>``; only its argon2 hash is stored, found by the
public lookup prefix. A verified token is remembered in memory (an argon2 check is
deliberately slow and a till sends many requests), but only as "this token is token row
X", for as long as the worker runs: every request still reads row X by its primary key, so
a revoked token is refused on the very next request, by every worker of the hub (issue 9).

A device is enrolled for one store, as a till or with the admin capability; which staff
may act on it is ``Device.may_act`` (docs/security.md).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, literal_column, or_, select, update

from clienteling.engine import frozen
from clienteling.engine.context import Context
from clienteling.engine.errors import AuthenticationFailed, ValidationError
from clienteling.engine.form import Form
from clienteling.engine.frozen import DeviceTokenRecord
from clienteling.engine.models import DeviceToken, IdempotencyRecord, Staff, Store, new_id
from clienteling.engine.permissions import Action, Actor, Role, require
from clienteling.engine.security import hash_secret, new_device_token, token_lookup, verify_secret
from clienteling.engine.services.idempotency import UNSCOPED, StoredResponse
from clienteling.engine.services.lookup import get_or_not_found
from clienteling.engine.services.staff import actor_of_row

# Verified tokens one hub worker remembers (the oldest forgotten first): far more tills than
# one hub serves, and a forgotten one costs only a new argon2 check.
REMEMBERED = 10_000


@dataclass(frozen=True)
class Device:
    """An authenticated device: its token's id, name, store and whether it is an admin device."""

    token_id: str
    name: str
    store_id: str
    is_admin: bool = False

    @property
    def kind(self) -> str:
        return "admin device" if self.is_admin else "till"

    def may_act(self, role: str, store_id: str) -> bool:
        """Whether a staff member may act on this device (and so whether it gets their PIN hash).

        A till: its own store's associates and managers. An admin device: its own store's
        staff and every admin, since admins look after every store (docs/security.md)."""
        if role == Role.ADMIN.value:
            return self.is_admin
        return store_id == self.store_id

    def refusal(self, display_name: str, role: str) -> str:
        """Why ``may_act`` said no, in words."""
        if role == Role.ADMIN.value:
            return (f"{display_name} is an admin, and admins act only on devices enrolled with "
                    f"the admin capability; {self.name} is a till.")
        return f"{display_name} belongs to another store than {self.name}."


def _asking() -> Any:
    """Who is asking, in one statement (``DeviceService.asking``): the token's row, the staff
    member's with their store's timezone, and the stored answer of the key (the caller's own,
    else one stored before keys were scoped, as ``IdempotencyStore.get``). Each is outer
    joined to a one-row select, so a missing one is NULLs, never a missing row; at most two
    rows (a scoped and an unscoped answer), the caller's own first."""
    t = cast(Table, DeviceToken.__table__)
    s = cast(Table, Staff.__table__)
    st = cast(Table, Store.__table__)
    i = cast(Table, IdempotencyRecord.__table__)
    one = select(literal_column("1").label("one")).subquery("one")
    scoped = and_(i.c.device_id == bindparam("t"), i.c.staff_id == bindparam("s"))
    unscoped = and_(i.c.device_id == UNSCOPED.device_id, i.c.staff_id == UNSCOPED.staff_id)
    joined = (one.outerjoin(t, t.c.id == bindparam("t"))
              .outerjoin(s, s.c.id == bindparam("s"))
              .outerjoin(st, st.c.id == s.c.store_id)
              .outerjoin(i, and_(i.c.key == bindparam("k"), or_(scoped, unscoped))))
    return (select(t.c.name.label("token_name"), t.c.store_id.label("token_store_id"),
                   t.c.is_admin.label("token_is_admin"), t.c.is_active.label("token_is_active"),
                   s.c.id, s.c.username, s.c.display_name, s.c.role, s.c.store_id, s.c.is_active,
                   st.c.timezone,
                   i.c.key, i.c.method, i.c.path, i.c.body_hash, i.c.status_code, i.c.response)
            .select_from(joined)
            .order_by(i.c.device_id.desc(), i.c.staff_id.desc()).limit(1))


_ASKING = _asking()


@dataclass(frozen=True)
class Asking:
    """What a hub request needs to know about who asks, read at once (``DeviceService.asking``).

    ``device`` is None once the token is revoked (or its row is gone). ``actor()`` is the
    staff member as ``StaffService.actor`` gives them, raising as it does; ``stored`` the key's
    stored answer, if any."""

    device: Device | None
    staff_id: str | None
    staff_row: Any
    stored: StoredResponse | None

    def actor(self) -> Actor:
        if self.staff_id is None:
            raise ValueError("no staff member was asked for")
        return actor_of_row(self.staff_id, self.staff_row)


class DeviceService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._verified: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def create_token(self, actor: Actor | None, data: Any) -> tuple[str, DeviceTokenRecord]:
        """A new token for a till of a store; the plain token is returned once, never stored."""
        if actor is not None:
            require(actor, Action.MANAGE_STAFF)
        form = Form(data)
        store_id = form.text("store_id", required=True, max_len=36)
        name = form.text("name", required=True, max_len=200)
        is_admin = form.data.get("is_admin", False)
        if not isinstance(is_admin, bool):
            form.error("is_admin", "must be true or false")
        form.done()
        token, lookup = new_device_token()
        with self.ctx.transaction(actor) as uow:
            if uow.session.get(Store, store_id) is None:
                raise ValidationError.field("store_id", f"no store with id {store_id}")
            row = DeviceToken(id=new_id(), store_id=store_id, name=name, lookup=lookup,
                              token_hash=hash_secret(token), is_active=True, is_admin=is_admin,
                              created_at=uow.now)
            uow.session.add(row)
            uow.session.flush()
            uow.record("device_token.create", "device_token", row.id,
                       after={"id": row.id, "store_id": store_id, "name": name, "lookup": lookup,
                              "is_admin": is_admin})
            # Audited, but tokens are not synced: keep them out of the change feed.
            uow.touched = [t for t in uow.touched if t[0] != "device_token"]
            return token, frozen.device_token(row)

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

    def tokens(self) -> list[DeviceTokenRecord]:
        with self.ctx.reading() as s:
            return [frozen.device_token(row)
                    for row in s.scalars(select(DeviceToken).order_by(DeviceToken.created_at))]

    def _current(self, token_id: str) -> Device | None:
        """The token row as it is now (one primary-key read), or None once it is revoked."""
        with self.ctx.db.single_read() as conn:
            row = conn.execute(select(DeviceToken.name, DeviceToken.store_id, DeviceToken.is_admin,
                                      DeviceToken.is_active).where(DeviceToken.id == token_id)).first()
        if row is None or not row.is_active:
            return None
        return Device(token_id, row.name, row.store_id, bool(row.is_admin))

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()

    def _remember(self, key: str, token_id: str) -> None:
        with self._lock:
            self._verified[key] = token_id
            self._verified.move_to_end(key)
            while len(self._verified) > REMEMBERED:
                self._verified.popitem(last=False)

    def known(self, token: str) -> Device | None:
        """The device of a token this worker verified before (no argon2 check), if it is
        still active.

        Remembered without an expiry: the row is read on every request, so a revoked token
        stops at once all the same, and a working till whose check had lapsed could be held
        back by other people's failed guesses (issue 19)."""
        if not isinstance(token, str) or len(token) > 200:
            return None
        with self._lock:
            token_id = self._verified.get(self._key(token))
        return self._current(token_id) if token_id is not None else None

    def asking(self, token: str, staff_id: str | None, key: str | None) -> Asking | None:
        """For a token this worker verified before: its device as it is now, the staff member
        ``staff_id`` and the stored answer to ``key`` in that scope, read with one statement
        (the hub's write requests read all three; they were three statements). None for a
        token not verified here yet: the caller checks it (argon2, throttled) as ``known``
        would not find it."""
        if not isinstance(token, str) or len(token) > 200:
            return None
        with self._lock:
            token_id = self._verified.get(self._key(token))
        if token_id is None:
            return None
        with self.ctx.db.single_read() as conn:
            row = conn.execute(_ASKING, {"t": token_id, "s": staff_id, "k": key}).one()
        found = (Device(token_id, row.token_name, row.token_store_id, bool(row.token_is_admin))
                 if row.token_is_active else None)
        stored = (StoredResponse(row.key, row.method, row.path, row.body_hash, row.status_code,
                                 row.response) if row.key is not None else None)
        return Asking(found, staff_id, row if row.id is not None else None, stored)

    def has_active_prefix(self, lookup: str) -> bool:
        """Whether an active device's token has this public lookup prefix (one indexed read,
        no argon2): a made-up token's prefix matches none."""
        with self.ctx.db.single_read() as conn:
            return conn.execute(select(DeviceToken.id).where(
                DeviceToken.lookup == lookup, DeviceToken.is_active.is_(True)).limit(1)
            ).first() is not None

    def authenticate(self, token: str) -> Device:
        """The device a bearer token belongs to; AuthenticationFailed when it is not valid."""
        if not isinstance(token, str) or len(token) > 200:
            raise AuthenticationFailed("Invalid device token")
        known = self.known(token)
        if known is not None:
            return known
        lookup = token_lookup(token)
        if lookup is None or not lookup.isalnum() or len(lookup) > 64:
            raise AuthenticationFailed("Invalid device token")
        with self.ctx.reading() as s:
            row = s.scalar(select(DeviceToken).where(DeviceToken.lookup == lookup))
        if row is None or not row.is_active or not verify_secret(row.token_hash, token):
            raise AuthenticationFailed("Invalid device token")
        self._remember(self._key(token), row.id)
        return Device(row.id, row.name, row.store_id, bool(row.is_admin))
