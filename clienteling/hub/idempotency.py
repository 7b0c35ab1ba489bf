"""``Idempotency-Key`` on every POST/PUT/DELETE (SPEC §6, §7; GUIDE principle 6).

- A key belongs to the device (token) and the staff member (``X-Staff-Id``) that used
  it. The token, the staff member, their store and role are checked before a key is
  looked at, exactly as for a first request, so a replay never answers someone the
  first request would have refused (issue 9); the same key from another till or staff
  member is a request of their own, not a replay of another's.
- A repeat of a key with the same method, path and body gets the first response
  back (same status, same body, header ``Idempotent-Replayed: true``) and nothing
  is done again.
- The same key with another method, path or body is refused: 422 naming
  ``Idempotency-Key``.
- Concurrent repeats cannot both apply: the key's row is inserted as the *first*
  write of the engine transaction that makes the change
  (``engine.context.first_in_transaction``), so the change and the key commit
  together or not at all, and a second request with the key blocks on (PostgreSQL)
  or collides with (SQLite, serialised writers) that row. The loser waits for the
  winner's stored response and returns it.
- The redeem endpoints (the hot path) run ``Call.run(work, whole=True)``: the claim,
  the change and the stored response are one shared unit of work
  (``Context.transaction(shared=True)``), committed once. Other endpoints store the
  response in a second, short transaction after the change commits.
- Refusals (4xx) are stored too, so a till replaying a rejected entry gets the same
  rejection (a refusal rolls the change back, claim included, and is then stored on
  its own). 5xx answers are not stored: the transaction rolled back and a retry
  may succeed.

Known limit (not for the ``whole`` endpoints): if the hub process dies between
committing a change and storing its response, a repeat of that key answers 409
``idempotency_in_progress`` (the change is applied once; its response is lost) — the
till then re-reads the record.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from clienteling.engine.context import UnitOfWork, first_in_transaction
from clienteling.engine.permissions import Action, Actor
from clienteling.engine.services.devices import Device
from clienteling.engine.services.idempotency import UNSCOPED, KeyTaken, Scope, StoredResponse
from clienteling.hub.auth import acting_staff, asking, check_role, device
from clienteling.hub.errors import ApiError, classify
from clienteling.hub.requests import as_object, occurred_at, parse_json, raw_body
from clienteling.hub.state import Hub, get_hub

WAIT_SECONDS = 15.0
POLL_SECONDS = 0.02
Outcome = tuple[int, Any, dict[str, str] | None]


class Replay(Exception):
    """Answer with a stored response (raised from the dependency, handled in app.py)."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__(stored.key)
        self.stored = stored


class _Refused(Exception):
    """Leaves a shared unit of work (rolling it back) with the refusal to answer."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome[0])
        self.outcome = outcome


def fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotency_key(request: Request) -> str | None:
    raw = request.headers.get("idempotency-key")
    if raw is None:
        return None
    key = raw.strip()
    if not 1 <= len(key) <= 200 or not key.isascii() or not key.isprintable():
        raise ApiError.invalid("Idempotency-Key", "must be 1 to 200 printable ASCII characters "
                               "(a UUID is best)")
    return key


def replay_response(stored: StoredResponse) -> Response:
    headers = {"Idempotent-Replayed": "true"}
    data = stored.body.get("data") if isinstance(stored.body, dict) else None
    if isinstance(data, dict) and isinstance(data.get("version"), int):
        headers["ETag"] = f'"{data["version"]}"'
    if stored.body is None:
        return Response(status_code=stored.status_code, headers=headers)
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)


def respond(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    if payload is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(payload, status_code=status, headers=headers)


def _mismatch() -> ApiError:
    return ApiError.invalid("Idempotency-Key", "was already used for a different request (another "
                            "method, path or body); use a new key for a new request")


@dataclass
class Call:
    """One authorised write: who acts, with what body, under which idempotency key."""

    hub: Hub
    device: Device
    actor: Actor
    body: dict[str, Any]
    key: str | None
    method: str
    path: str
    fingerprint: str

    @property
    def scope(self) -> Scope:
        return Scope(self.device.token_id, self.actor.staff_id)

    def run(self, work: Callable[[], tuple[int, Any] | Outcome], *, whole: bool = False) -> Response:
        """Do ``work`` once per key and answer with its (stored) response.

        ``whole=True`` (for work that makes one change and renders its answer from what the
        engine returned, or reads it back through the engine) runs the key's claim, the
        work and the stored response in one shared unit of work: one commit instead of two,
        and a change is never committed without its response."""
        if self.key is None:
            return respond(*self._attempt(work))
        if whole:
            return self._run_whole(work)
        with first_in_transaction(self._claim):
            try:
                status, payload, headers = self._attempt(work)
            except KeyTaken:
                return self.await_first()
        return self._finish(status, payload, headers)

    def _run_whole(self, work: Callable[[], tuple[int, Any] | Outcome]) -> Response:
        assert self.key is not None
        try:
            with self.hub.cl.shared_unit(self.actor) as uow:
                self._claim(uow)
                status, payload, headers = self._attempt(work)
                if status >= 400:
                    # A refusal changes nothing: roll back (the claim too), then store it.
                    raise _Refused((status, payload, headers))
                self.hub.idempotency.complete(uow, self.scope, self.key, self.fingerprint,
                                              status, payload)
        except KeyTaken:
            return self.await_first()
        except _Refused as refused:
            return self._finish(*refused.outcome)
        return respond(status, payload, headers)

    def _finish(self, status: int, payload: Any, headers: dict[str, str] | None) -> Response:
        """Store a response outside the change's transaction (5xx are not stored)."""
        assert self.key is not None
        if status >= 500:
            return respond(status, payload, headers)
        try:
            self.hub.idempotency.finish(self.scope, self.key, self.method, self.path,
                                        self.fingerprint, status, payload)
        except KeyTaken:
            return self.await_first()
        return respond(status, payload, headers)

    def _claim(self, uow: UnitOfWork) -> None:
        assert self.key is not None
        self.hub.idempotency.claim(uow, self.scope, self.key, self.method, self.path,
                                   self.fingerprint)

    @staticmethod
    def _attempt(work: Callable[[], tuple[int, Any] | Outcome]) -> Outcome:
        try:
            result = work()
        except KeyTaken:
            raise
        except Exception as exc:
            known = classify(exc)
            if known is None:
                raise
            return known
        if len(result) == 2:
            return result[0], result[1], None
        return result

    def await_first(self) -> Response:
        assert self.key is not None
        return replay_response(wait_for(self.hub, self.scope, self.key, self.fingerprint))


def wait_for(hub: Hub, scope: Scope, key: str, fp: str) -> StoredResponse:
    """The finished response stored under ``key`` (waiting while another request holds it)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        stored = hub.idempotency.get(scope, key)
        if stored is not None and stored.fingerprint != fp:
            raise _mismatch()
        if stored is not None and not stored.pending:
            return stored
        if time.monotonic() > deadline:
            raise ApiError(409, "A request with this Idempotency-Key is still being processed "
                           "(or its response was lost); re-read the record before retrying.",
                           code="idempotency_in_progress")
        time.sleep(POLL_SECONDS)


# Stored answers read ahead for the keys of a push batch (``read_ahead``): the answer a key
# had when the batch began. A key answered since is found by its claim colliding with the
# stored row (``KeyTaken`` → ``Call.await_first``), as with two concurrent requests.
_READ_AHEAD: ContextVar[dict[tuple[str, str, str], StoredResponse] | None] = ContextVar(
    "idempotency_read_ahead", default=None)


@contextmanager
def read_ahead(hub: Hub, device_id: str, keys: list[str]) -> Iterator[None]:
    """Look the stored answers of ``keys`` up with one query for the calls made inside."""
    token = _READ_AHEAD.set(hub.idempotency.get_many(device_id, keys))
    try:
        yield
    finally:
        _READ_AHEAD.reset(token)


def _stored(hub: Hub, scope: Scope, key: str) -> StoredResponse | None:
    known = _READ_AHEAD.get()
    if known is None:
        return hub.idempotency.get(scope, key)
    # The caller's own row first, then one stored before keys were scoped (as ``get``).
    return (known.get((scope.device_id, scope.staff_id, key))
            or known.get((UNSCOPED.device_id, UNSCOPED.staff_id, key)))


def _key_or_none(request: Request) -> str | None:
    """The request's key if it is a valid one (a bad one is refused later, in its turn)."""
    try:
        return idempotency_key(request)
    except ApiError:
        return None


def writes(action: Action) -> Callable[..., Call]:
    """A dependency for a write endpoint doing ``action`` (SPEC §3.7)."""

    def dependency(request: Request, raw: Annotated[bytes, Depends(raw_body)]) -> Call:
        # The token's, the staff member's and the key's rows on one connection.
        with get_hub(request).cl.reads_together():
            return authorise(request, raw, action)

    dependency.__name__ = f"writes_{action.name.lower()}"
    # Read by hub.push, which calls a write endpoint without the ASGI hop (``authorise``).
    dependency.action = action  # type: ignore[attr-defined]
    return dependency


def authorise(request: Request, raw: bytes, action: Action, dev: Device | None = None) -> Call:
    """The write ``request`` with body ``raw`` as a ``Call`` doing ``action``: who acts and
    whether they may, then its key's stored answer (raised as ``Replay``) if there is one.

    ``dev``: the device the request's token was already checked for (a push batch checks
    it once for all its entries, ``hub.push``); otherwise the token is checked here."""
    hub = get_hub(request)
    asked = None
    if dev is None:
        # The token's row, the staff member's and the key's stored answer in one statement;
        # judged below in the order they always were (token, body, headers, staff, role,
        # then the stored answer), so reading them early changes no answer.
        asked = asking(request, _key_or_none(request)) if _READ_AHEAD.get() is None else None
        dev = device(request, asked)
    else:
        request.state.device = dev
    value = parse_json(raw)
    body = as_object(value)
    when = occurred_at(request)
    key = idempotency_key(request)
    method, path = request.method, request.url.path
    fp = fingerprint(method, path, value)
    # Who acts and whether they may, before any stored answer is looked at: a replay is
    # answered only to whom the first request would have been (issue 9).
    actor = acting_staff(request, dev, required=True, when=when, asked=asked)
    assert actor is not None
    check_role(actor, action, dev)
    call = Call(hub, dev, actor, body, key, method, path, fp)
    if key is not None:
        read_with_token = (asked is not None and asked.device == dev
                           and asked.staff_id == call.scope.staff_id)
        stored = asked.stored if asked is not None and read_with_token else _stored(
            hub, call.scope, key)
        if stored is not None:
            if stored.fingerprint != fp:
                raise _mismatch()
            raise Replay(wait_for(hub, call.scope, key, fp) if stored.pending else stored)
    return call
