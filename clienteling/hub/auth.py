"""Who is calling: the till (bearer device token) and the staff member acting on it.

Decisions (also in docs/hub.md):

- Every endpoint but ``/health`` needs ``Authorization: Bearer <device token>``; a
  missing, malformed, unknown or revoked token is 401. Tokens are created by
  ``clienteling hub token create`` for one store; only an argon2 hash is stored,
  found by the token's public lookup prefix.
- Reads need only the token (a till syncs staff and PIN hashes before anyone can
  sign in). Changes also need ``X-Staff-Id``: missing, unknown or inactive → 401
  (the hub does not know who acts); known and active but belonging to another
  store than the token's → 403 ``wrong_store``, **unless the staff member is an
  admin** (admins look after every store and may act from any till). The role is
  then checked against SPEC §3.7 here, before the engine checks it again → 403.
- ``X-Authorised-By: <manager staff id>`` records a manager override (the manager
  entered their PIN at the till); the same checks apply to that manager, who must
  be a manager or admin, and their role decides.
- The actor is the staff member as the engine knows them (home store and its
  timezone), exactly as on the till, so a replayed change is judged the same way.
- A looked-up staff member is remembered for 30 seconds (``Hub.actor``), like a
  verified token: a staff member deactivated in the database is refused within 30
  seconds on a running hub. Unknown or inactive ones are never remembered.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from clienteling.engine.errors import AuthenticationFailed, NotFound
from clienteling.engine.permissions import Action, Actor, Role
from clienteling.engine.services.devices import Device
from clienteling.hub.errors import ApiError
from clienteling.hub.state import Hub, get_hub

_STAFF_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


def _unauthenticated(message: str, code: str = "unauthenticated") -> ApiError:
    return ApiError(401, message, code=code, headers={"WWW-Authenticate": "Bearer"})


def device(request: Request) -> Device:
    """The till behind the request's bearer token (401 otherwise)."""
    hub = get_hub(request)
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        raise _unauthenticated("A device token is required: send 'Authorization: Bearer <token>'.")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated("The Authorization header must be 'Bearer <device token>'.")
    try:
        found = hub.devices.authenticate(token.strip())
    except AuthenticationFailed as exc:
        raise _unauthenticated("The device token is not valid (unknown or revoked).") from exc
    request.state.device = found
    return found


def _staff(hub: Hub, dev: Device, staff_id: str, header: str) -> Actor:
    if not _STAFF_ID.match(staff_id):
        raise _unauthenticated(f"{header} is not a staff id.", "unknown_staff")
    try:
        actor = hub.actor(staff_id)
    except NotFound as exc:
        raise _unauthenticated(f"{header}: no staff member with id {staff_id}.",
                               "unknown_staff") from exc
    except AuthenticationFailed as exc:
        raise _unauthenticated(f"{header}: {exc.message}.", "staff_inactive") from exc
    if actor.role != Role.ADMIN and actor.store_id != dev.store_id:
        raise ApiError(403, f"{actor.display_name} belongs to another store than this till "
                       f"({dev.name}); only admins may act at any store.", code="wrong_store")
    return actor


def acting_staff(
    request: Request, dev: Device, *, required: bool, when: datetime | None = None
) -> Actor | None:
    """The staff member named by ``X-Staff-Id`` (with override and occurred-at applied)."""
    hub = get_hub(request)
    staff_id = (request.headers.get("x-staff-id") or "").strip()
    if not staff_id:
        if required:
            raise _unauthenticated("X-Staff-Id is required: name the staff member making this "
                                   "change.", "staff_required")
        return None
    actor = _staff(hub, dev, staff_id, "X-Staff-Id")
    override = (request.headers.get("x-authorised-by") or "").strip()
    if override:
        manager = _staff(hub, dev, override, "X-Authorised-By")
        if manager.role not in (Role.MANAGER, Role.ADMIN):
            raise ApiError(403, f"{manager.display_name} is not a manager and cannot authorise "
                           "an override.", code="forbidden")
        actor = actor.with_override(manager)
    if when is not None:
        actor = actor.at(when)
    return actor


def check_role(actor: Actor, action: Action) -> None:
    """SPEC §3.7, checked by the hub before the engine checks it again (403)."""
    if not actor.may(action):
        raise ApiError(403, f"A staff member with role '{actor.effective_role.value}' may not "
                       f"{action.value}.", code="forbidden")


def reads(request: Request) -> Hub:
    """Dependency for read endpoints: a valid device token (and a valid X-Staff-Id if sent)."""
    dev = device(request)
    acting_staff(request, dev, required=False)
    return get_hub(request)


Reader = Annotated[Hub, Depends(reads)]
