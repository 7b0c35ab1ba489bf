"""The till's non-secret sync state, in its settings table (the token is never here: see
``credentials``): the hub URL, when it last synced, a first sync's resume point, records
to re-read from the hub, and the back-off after a rejected token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select

from clienteling.engine.errors import PermissionDenied, ValidationError
from clienteling.engine.models import Setting
from clienteling.engine.permissions import Actor, Role
from clienteling.engine.services import Clienteling

HUB_URL = "sync.hub_url"
LAST_SYNCED = "sync.last_synced_at"
FIRST_SYNC = "sync.first_sync"     # {"cursor", "next", "done", "total"} while one is under way
REFETCH = "sync.refetch"           # [[type, id], …] to re-read from the hub
REJECTED = "sync.token_rejected"   # {"token", "at", "until", "wait"} after a 401


def get(cl: Clienteling, key: str) -> Any:
    with cl.ctx.reading() as s:
        return s.scalar(select(Setting.value).where(Setting.key == key))


def put(cl: Clienteling, key: str, value: Any) -> None:
    """Set (or, with None, remove) one sync setting in its own transaction."""
    with cl.db.write() as s:
        s.execute(delete(Setting).where(Setting.key == key))
        if value is not None:
            s.add(Setting(key=key, value=value))


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


def hub_url(cl: Clienteling) -> str | None:
    value = get(cl, HUB_URL)
    return value if isinstance(value, str) else None


def may_connect(actor: Actor) -> bool:
    """Whether ``actor`` may connect this till to a hub: a manager or an admin.

    Not admins alone: an admin acts only on an admin device (issue 9, docs/security.md), so on
    a till no admin can sign in, and a till whose token was revoked could never be reconnected.
    The store's manager enters the URL and the new token an admin issued for this till."""
    return actor.effective_role in (Role.MANAGER, Role.ADMIN)


def set_hub_url(cl: Clienteling, actor: Actor, url: str) -> None:
    """Connect this till to a hub (managers and admins, :func:`may_connect`); audited as
    ``settings.hub_url``."""
    if not may_connect(actor):
        raise PermissionDenied("connect this till to a hub", actor.effective_role.value)
    value = check_hub_url(url)
    with cl.ctx.transaction(actor) as uow:
        row = uow.session.get(Setting, HUB_URL)
        before = row.value if row is not None else None
        if row is None:
            uow.session.add(Setting(key=HUB_URL, value=value))
        else:
            row.value = value
        uow.record("settings.hub_url", "setting", HUB_URL, before={"hub_url": before},
                   after={"hub_url": value})


def last_synced_at(cl: Clienteling) -> datetime | None:
    value = get(cl, LAST_SYNCED)
    return datetime.fromisoformat(value) if isinstance(value, str) else None
