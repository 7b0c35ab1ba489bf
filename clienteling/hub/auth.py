"""Who is calling: the till (bearer device token) and the staff member acting on it.

Decisions (also in docs/hub.md):

- Every endpoint but ``/health`` needs ``Authorization: Bearer <device token>``; a
  missing, malformed, unknown or revoked token is 401. Tokens are created by
  ``clienteling hub token create`` for one store; only an argon2 hash is stored,
  found by the token's public lookup prefix.
- Failed token checks are throttled per token prefix and per client address
  (``hub.throttle``): past the allowance a made-up token gets 429 ``throttled`` with
  ``Retry-After`` and a real prefix's checks are rationed, so argon2 work stays bounded; a
  token that verifies is served whatever the counts say, and one verified before by this
  worker passes without a new check (issue 19).
- Reads need only the token (a till syncs staff and PIN hashes before anyone can
  sign in). Changes also need ``X-Staff-Id``: missing, unknown or inactive → 401
  (the hub does not know who acts); known and active but not one who may act on this
  device (``Device.may_act``: a till takes its own store's associates and managers, an
  admin device also every admin) → 403 ``wrong_store`` or ``admin_device_required``.
  The role is then checked against SPEC §3.7 here, before the engine checks it again →
  403; an admin-only action also needs an admin device → 403 ``admin_device_required``.
- ``X-Authorised-By: <manager staff id>`` records a manager override (the manager
  entered their PIN at the till); the same checks apply to that manager, who must
  be a manager or admin, and their role decides.
- The actor is the staff member as the engine knows them (home store and its
  timezone), exactly as on the till, so a replayed change is judged the same way.
- A revoked token or a deactivated staff member is refused from the next request on, by
  every worker: each request reads the token's row and the staff member's row (primary
  key reads; only the argon2 verification is remembered). See docs/security.md. For a
  token this worker verified before, both rows and the idempotency key's stored answer
  come from one statement (``asking``); each is then judged in the same order as before.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from clienteling.engine.errors import AuthenticationFailed, NotFound
from clienteling.engine.permissions import ADMIN_ACTIONS, Action, Actor, Role
from clienteling.engine.security import token_lookup
from clienteling.engine.services.devices import Asking, Device
from clienteling.hub.errors import ApiError
from clienteling.hub.state import Hub, get_hub

_STAFF_ID = re.compile(r"^[A-Za-z0-9_-]{1,36}$")


def _unauthenticated(message: str, code: str = "unauthenticated") -> ApiError:
    return ApiError(401, message, code=code, headers={"WWW-Authenticate": "Bearer"})


def asking(request: Request, key: str | None) -> Asking | None:
    """The request's token, staff member (``X-Staff-Id``) and the stored answer to ``key``,
    read with one statement, when its token was verified by this worker before; None
    otherwise (a missing or malformed header, a token not verified here yet), and then
    ``device`` and ``acting_staff`` read and judge as they always did."""
    token = _bearer(request.headers.get("authorization"))
    if token is None:
        return None
    staff_id = (request.headers.get("x-staff-id") or "").strip()
    return get_hub(request).devices.asking(
        token, staff_id if _STAFF_ID.match(staff_id) else None, key)


def _bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None if it is not one."""
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def device(request: Request, asked: Asking | None = None) -> Device:
    """The till behind the request's bearer token (401 otherwise); ``asked``: its row as
    ``asking`` read it."""
    if asked is not None and asked.device is not None:
        request.state.device = asked.device
        return asked.device
    hub = get_hub(request)
    header = request.headers.get("authorization")
    if header is None or not header.strip():
        raise _unauthenticated("A device token is required: send 'Authorization: Bearer <token>'.")
    token = _bearer(header)
    if token is None:
        raise _unauthenticated("The Authorization header must be 'Bearer <device token>'.")
    found = hub.devices.known(token)
    if found is None:
        found = _verified(hub, token, request.client.host if request.client is not None
                          else "unknown")
    request.state.device = found
    return found


def _throttled(wait: int) -> ApiError:
    return ApiError(429, f"Too many failed device token checks; try again in {wait} "
                    f"second{'s' if wait != 1 else ''}.", code="throttled",
                    headers={"Retry-After": str(wait)})


def _verified(hub: Hub, token: str, address: str) -> Device:
    """A token this worker has not verified before, checked under the failure throttle
    (``hub.throttle``): failures slow down only tokens that fail (issue 19)."""
    lookup = token_lookup(token)
    if lookup is None or not lookup.isalnum() or len(lookup) > 64 or not (
            hub.devices.has_active_prefix(lookup)):
        # Made up: no device has this prefix, so no argon2 check either way.
        wait = hub.throttle.address_wait(address)
        if wait:
            raise _throttled(wait)
        hub.throttle.failed(address, None)
        raise _unauthenticated("The device token is not valid (unknown or revoked).")
    wait = hub.throttle.check_wait(lookup)
    if wait:
        raise _throttled(wait)
    try:
        found = hub.devices.authenticate(token)
    except AuthenticationFailed as exc:
        hub.throttle.failed(address, lookup)
        raise _unauthenticated("The device token is not valid (unknown or revoked).") from exc
    # A success forgives nothing: the failures in the window were someone else's guesses.
    return found


def _staff(hub: Hub, dev: Device, staff_id: str, header: str,
           asked: Asking | None = None) -> Actor:
    if not _STAFF_ID.match(staff_id):
        raise _unauthenticated(f"{header} is not a staff id.", "unknown_staff")
    try:
        actor = (asked.actor() if asked is not None and asked.staff_id == staff_id
                 else hub.actor(staff_id))
    except NotFound as exc:
        raise _unauthenticated(f"{header}: no staff member with id {staff_id}.",
                               "unknown_staff") from exc
    except AuthenticationFailed as exc:
        raise _unauthenticated(f"{header}: {exc.message}.", "staff_inactive") from exc
    if not dev.may_act(actor.role.value, actor.store_id):
        code = "admin_device_required" if actor.role == Role.ADMIN else "wrong_store"
        raise ApiError(403, f"{header}: {dev.refusal(actor.display_name, actor.role.value)}",
                       code=code)
    return actor


def acting_staff(
    request: Request, dev: Device, *, required: bool, when: datetime | None = None,
    asked: Asking | None = None,
) -> Actor | None:
    """The staff member named by ``X-Staff-Id`` (with override and occurred-at applied);
    ``asked``: their row as ``asking`` read it."""
    hub = get_hub(request)
    staff_id = (request.headers.get("x-staff-id") or "").strip()
    if not staff_id:
        if required:
            raise _unauthenticated("X-Staff-Id is required: name the staff member making this "
                                   "change.", "staff_required")
        return None
    actor = _staff(hub, dev, staff_id, "X-Staff-Id", asked)
    override = (request.headers.get("x-authorised-by") or "").strip()
    if override:
        manager = _staff(hub, dev, override, "X-Authorised-By")
        if not manager.may(Action.AUTHORISE_OVERRIDE):
            raise ApiError(403, f"{manager.display_name} is not a manager and cannot authorise "
                           "an override.", code="forbidden")
        actor = actor.with_override(manager)
    if when is not None:
        actor = actor.at(when)
    return actor


def check_role(actor: Actor, action: Action, dev: Device) -> None:
    """SPEC §3.7, checked by the hub before the engine checks it again (403); an admin-only
    action also needs a device enrolled with the admin capability."""
    if not actor.may(action):
        raise ApiError(403, f"A staff member with role '{actor.effective_role.value}' may not "
                       f"{action.value}.", code="forbidden")
    if action in ADMIN_ACTIONS and not dev.is_admin:
        raise ApiError(403, f"Only a device enrolled with the admin capability may "
                       f"{action.value}; {dev.name} is a till.", code="admin_device_required")


def reads(request: Request) -> Hub:
    """Dependency for read endpoints: a valid device token (and a valid X-Staff-Id if sent)."""
    asked = asking(request, None)
    dev = device(request, asked)
    acting_staff(request, dev, required=False, asked=asked)
    return get_hub(request)


Reader = Annotated[Hub, Depends(reads)]
