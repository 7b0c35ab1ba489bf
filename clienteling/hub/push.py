"""``POST /api/v3/sync/push``: a till's outbox, many entries per request (SPEC §6, §7).

Wire contract (the till's pusher is built on exactly this):

Request (``Authorization: Bearer <device token>`` on the batch; nothing else is needed on
the batch itself)::

    {"entries": [
        {"key": "<idempotency key>",          # required, 1-200 printable ASCII characters
         "method": "POST"|"PUT"|"PATCH"|"DELETE",   # required
         "path": "/profiles/…",               # required; relative to /api/v3 (as the outbox
                                              # stores it) or starting with /api/v3/
         "body": <any JSON value or null>,    # optional
         "headers": {"X-Staff-Id": "…", "X-Occurred-At": "…", "X-Authorised-By": "…",
                     "If-Match": "…"}}        # optional; other header names are ignored
    ]}

At most ``MAX_ENTRIES`` entries and 1 MiB in all. The batch is checked by the models the
till builds it with (``clienteling.sync.wire``: ``PushBatch``, ``read_batch``): a malformed
batch (not an object, no ``entries`` list, too many entries, an entry that is not an object
or lacks a usable ``key``/``method``/``path``, a key used twice in the batch) is answered
422 naming the field (``entries.3.key``) and nothing is applied. A missing or bad token is
401 for the whole batch.

Answer, always 200 for a well-formed batch: ``{"data": [result, …]}``, one result per
entry in the order sent::

    {"key", "status": "applied"|"refused"|"retry", "http_status",
     "data": <the response body, for applied>, "replayed": <bool, for applied>,
     "code", "message", "errors" (422 only): for refused and retry}

- ``applied``: the single call answered 2xx — including a replay of an idempotency key
  already applied (``replayed: true``): the till marks the entry done.
- ``refused``: 4xx other than the retry ones (400 rule, 401 unknown/inactive staff, 403
  role or store, 404, 409 version conflict, 412, 413, 422): the hub will never accept this
  entry as it is; the till records it as a conflict and moves on.
- ``retry``: 409 ``idempotency_in_progress``, 429, any 5xx (503 busy/database): not
  applied now, send the same entry (same key) again later.

Each result is a ``wire.PushResult`` made by ``wire.result_of``, the classification the
till applies to a single call's answer too.

Entries are applied one after another, in order, each in its own transaction under its own
idempotency key, so one bad entry never wedges the queue (PowerSync's "2xx with a status per
operation"). Each entry is the request the single call would be: the batch's
``Authorization``, the entry's headers and ``Idempotency-Key: <key>``. An entry for a write
endpoint (a plain function taking its path's parameters and the ``writes`` dependency's
``Call``: every change the API has) is handed to that endpoint directly, in a worker thread
shared by the batch (``apply_direct``): the same ``authorise`` (staff, role, store,
validation, X-Occurred-At, idempotency), the same endpoint function, errors answered by the
same handlers, without the HTTP plumbing of a sub-request (SPEC §8: that plumbing, with a
read of the token, the staff member and the key per entry, cost about half of a push). Any
other entry (a query string, an encoded character, a route of another kind) is dispatched
in-process through the hub's ASGI application as a sub-request. Which is which is read from
the routers the application mounts (``direct_routes``, built by ``create_app``), so a push
goes where the single call would, and this module needs nothing of ``hub.routes`` (which
mounts it). Per batch the token is
checked once, each staff member read once and the entries' stored answers read with one
query. A till that re-sends a batch after a lost answer gets every entry back as applied
(replayed) with nothing applied twice, whichever way an entry was first sent.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Scope

from clienteling.engine.permissions import Action
from clienteling.engine.services.devices import Device
from clienteling.hub.errors import ApiError, classify, validation_body
from clienteling.hub.idempotency import Replay, authorise, read_ahead, replay_response
from clienteling.hub.state import Hub
from clienteling.sync.wire import (
    API_PREFIX,
    ENTRY_HEADERS,
    MAX_PUSH_ENTRIES,
    PUSH_PATH,
    WRITE_METHODS,
    BatchInvalid,
    PushAnswer,
    PushEntry,
    PushResult,
    read_batch,
    result_of,
)

# The till's pusher sizes its batches by the same constant (clienteling/sync/wire.py).
MAX_ENTRIES = MAX_PUSH_ENTRIES
# The entry headers passed on to the sub-request; the batch's Authorization is the only
# credential (an entry cannot name another device).
PASSED_HEADERS = tuple(name.lower() for name in ENTRY_HEADERS)
log = logging.getLogger("clienteling.hub")


def parse_batch(value: Any) -> list[PushEntry]:
    """The entries of a batch, checked by the wire's models; 422 naming every bad field
    otherwise (``{"message", "errors": {"entries.3.key": [...]}}``)."""
    try:
        return read_batch(value).entries
    except BatchInvalid as invalid:
        raise ApiError(422, validation_body(invalid.errors)["message"],
                       errors=invalid.errors) from None


def _refusal(key: str, status: int, message: str, code: str) -> PushResult:
    return result_of(key, status, {"code": code, "message": message})


class _NotDispatched(Exception):
    """An entry the push refuses itself, before any sub-request."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _target(entry: PushEntry) -> tuple[str, str, str]:
    """(method, path, query) of the sub-request; ``_NotDispatched`` when it may not be sent."""
    method = entry.method.strip().upper()
    if method not in WRITE_METHODS:
        raise _NotDispatched("not_a_change", f"A push carries changes only: {method[:10]} is "
                             "not POST, PUT, PATCH or DELETE.")
    raw = entry.path
    path, _, query = raw.partition("?")
    if not path.startswith(API_PREFIX + "/"):
        if path.startswith("/api/"):
            raise _NotDispatched("invalid_path", f"The path {raw[:100]} is outside {API_PREFIX}.")
        path = API_PREFIX + path
    segments = path.split("/")
    if any(s in (".", "..") for s in segments) or "//" in path or "\\" in path:
        raise _NotDispatched("invalid_path", f"The path {raw[:100]} is not a plain API path.")
    if path.rstrip("/") == API_PREFIX + PUSH_PATH:
        raise _NotDispatched("invalid_path", "A push cannot contain another push.")
    return method, path, query


def _outcome(key: str, status: int, headers: dict[str, str], raw: bytes) -> PushResult:
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    return result_of(key, status, body, replayed=headers.get("idempotent-replayed") == "true")


@dataclass(frozen=True)
class Prepared:
    """An entry as the request it stands for (what the single call would have received)."""

    key: str
    method: str
    path: str
    query: str
    body: bytes
    headers: list[tuple[bytes, bytes]]


def prepare(entry: PushEntry, authorization: str | None) -> Prepared | PushResult:
    """The request of ``entry``, or its refusal when the push refuses it itself."""
    key = entry.key
    try:
        method, path, query = _target(entry)
    except _NotDispatched as refused:
        return _refusal(key, 422, refused.message, refused.code)
    body = json.dumps(entry.body, separators=(",", ":")).encode() \
        if entry.body is not None else b""
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"idempotency-key", key.encode()),
    ]
    if authorization is not None:
        headers.append((b"authorization", authorization.encode("latin-1")))
    for name, value in (entry.headers or {}).items():
        lower = name.strip().lower()
        if lower in PASSED_HEADERS:
            try:
                headers.append((lower.encode(), value.encode("latin-1")))
            except UnicodeEncodeError:
                return _refusal(key, 422, f"{name}: header values must be Latin-1 text.",
                                "validation_failed")
    return Prepared(key, method, path, query, body, headers)


def _scope(batch_scope: Scope, entry: Prepared) -> Scope:
    return {
        "type": "http",
        "asgi": batch_scope.get("asgi", {"version": "3.0"}),
        "http_version": batch_scope.get("http_version", "1.1"),
        "method": entry.method,
        "scheme": batch_scope.get("scheme", "http"),
        "path": entry.path,
        "raw_path": entry.path.encode(),
        "root_path": "",
        "query_string": entry.query.encode(),
        "headers": entry.headers,
        "client": batch_scope.get("client"),
        "server": batch_scope.get("server"),
        "state": {},
    }


async def dispatch(app: ASGIApp, batch_scope: Scope, entry: Prepared) -> PushResult:
    """Apply one entry through ``app`` as its own request; its result in the wire shape."""
    sent = False
    status = 500
    response_headers: dict[str, str] = {}
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": entry.body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            response_headers.update((k.decode("latin-1").lower(), v.decode("latin-1"))
                                    for k, v in message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(_scope(batch_scope, entry), receive, send)
    return _outcome(entry.key, status, response_headers, b"".join(chunks))


# -- entries applied without the ASGI hop --------------------------------------------------


@dataclass(frozen=True)
class DirectRoute:
    """A write endpoint a pushed entry can be handed to directly: a plain (thread-pool)
    function whose only parameters are its path's, the ``writes`` dependency's ``Call``
    and optionally the ``Request``."""

    methods: frozenset[str]
    pattern: re.Pattern[str]
    endpoint: Callable[..., Any]
    action: Action | None  # None: a route a pushed entry must take through the application
    call_param: str
    request_param: str | None
    convertors: dict[str, Any]


def _direct_route(route: APIRoute) -> DirectRoute:
    dependant = route.dependant
    deps = dependant.dependencies
    action = getattr(deps[0].call, "action", None) if len(deps) == 1 else None
    plain = not (dependant.query_params or dependant.header_params or dependant.cookie_params
                 or dependant.body_params or dependant.response_param_name
                 or dependant.background_tasks_param_name or dependant.websocket_param_name
                 or dependant.http_connection_param_name
                 or dependant.security_scopes_param_name
                 or inspect.iscoroutinefunction(route.endpoint))
    return DirectRoute(frozenset(route.methods or ()), route.path_regex, route.endpoint,
                       action if plain and isinstance(action, Action) else None,
                       deps[0].name or "call" if deps else "call", dependant.request_param_name,
                       dict(route.param_convertors))


def direct_routes(routers: Iterable[APIRouter]) -> tuple[DirectRoute, ...]:
    """The routes of ``routers`` (as the application mounts them, in order, under
    ``API_PREFIX``), each marked whether it can be called directly. ``create_app`` builds
    this table from the routers it mounts and keeps it in ``app.state.direct_routes``, so a
    route added or changed is taken the same way by a push as by a single call, and this
    module needs nothing of ``hub.routes`` (which mounts it)."""
    return tuple(_direct_route(route) for router in routers for route in router.routes
                 if isinstance(route, APIRoute))


def find_direct(entry: Prepared, routes: tuple[DirectRoute, ...]
                ) -> tuple[DirectRoute, dict[str, Any]] | None:
    """The route of ``routes`` that ``entry`` goes to and its path parameters, when it can
    be called directly; None sends it through the application (anything unusual: a query,
    a NUL, a route with other parameters, no route at all)."""
    if entry.query or "\x00" in entry.path or "%" in entry.path:
        return None
    rest = entry.path[len(API_PREFIX):]
    for route in routes:
        match = route.pattern.match(rest)
        if match is None or entry.method not in route.methods:
            continue
        if route.action is None:
            return None
        params = {name: route.convertors[name].convert(value)
                  for name, value in match.groupdict().items()}
        return route, params
    return None


def _response(exc: Exception, hub: Hub, where: str = "a pushed batch") -> Response:
    """The response the application's handlers give for ``exc`` (``app.py``)."""
    if isinstance(exc, Replay):
        return replay_response(exc.stored)
    known = classify(exc)
    if known is None:
        hub.unhandled.append(exc)
        log.exception("unhandled error in %s", where)
        return JSONResponse({"message": "Internal error in the hub; it has been logged.",
                             "code": "internal_error"}, status_code=500)
    status, body, headers = known
    return JSONResponse(body, status_code=status, headers=headers)


def apply_direct(app: Any, batch_scope: Scope, dev: Device,
                 entries: list[tuple[Prepared, DirectRoute, dict[str, Any]]]) -> list[PushResult]:
    """Apply entries one after another by calling their endpoints in this thread, each as
    the single call would run it: the same ``authorise`` (staff, role, key), the same
    endpoint function (its own transaction under its own key), errors answered as the
    application answers them. Only the HTTP plumbing of a sub-request is left out: one
    thread-pool hop per batch instead of two per entry."""
    hub: Hub = app.state.hub
    results: list[PushResult] = []
    with hub.one_request(), read_ahead(hub, dev.token_id, [e.key for e, _, _ in entries]):
        for entry, route, params in entries:
            scope = _scope(batch_scope, entry)
            scope["app"] = app
            request = Request(scope)
            assert route.action is not None
            try:
                call = authorise(request, entry.body, route.action, dev)
                kwargs = {**params, route.call_param: call}
                if route.request_param is not None:
                    kwargs[route.request_param] = request
                response = route.endpoint(**kwargs)
                if not isinstance(response, Response):
                    raise TypeError(f"{route.endpoint.__name__} answered {type(response)!r}, "
                                    "not a Response")
            except Exception as exc:
                response = _response(exc, hub, f"{entry.method} {entry.path} (pushed)")
            headers = {k.lower(): v for k, v in response.headers.items()}
            results.append(_outcome(entry.key, response.status_code, headers,
                                    bytes(response.body)))
    return results


def answer(results: list[PushResult]) -> bytes:
    """The batch's answer as JSON bytes, a ``wire.PushAnswer``: each result with the fields
    that apply to it. orjson, as for snapshot pages (a batch's answer holds every entry's
    response, and ``json.dumps`` of it was a tenth of a push's CPU); ``json`` for what
    orjson refuses (an integer beyond 64 bits)."""
    data = PushAnswer(data=results).model_dump(exclude_unset=True)
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


async def apply(request: Request, dev: Device, entries: list[PushEntry]) -> list[PushResult]:
    """Every entry's result, in order: runs of entries that can be called directly go to a
    worker thread together, the others through the application one by one."""
    app = request.scope["app"]
    authorization = request.headers.get("authorization")
    results: list[PushResult] = []
    # Empty in an application that did not say which routes it mounts: every entry then
    # goes through it as a sub-request.
    routes: tuple[DirectRoute, ...] = getattr(app.state, "direct_routes", ())
    run: list[tuple[Prepared, DirectRoute, dict[str, Any]]] = []

    async def flush() -> None:
        if run:
            results.extend(await run_in_threadpool(apply_direct, app, request.scope, dev,
                                                   list(run)))
            run.clear()

    for raw in entries:
        entry = prepare(raw, authorization)
        if isinstance(entry, PushResult):
            await flush()
            results.append(entry)
            continue
        found = find_direct(entry, routes)
        if found is not None:
            run.append((entry, *found))
            continue
        await flush()
        results.append(await dispatch(app, request.scope, entry))
    await flush()
    return results
