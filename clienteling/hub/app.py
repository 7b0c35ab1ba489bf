"""The hub's ASGI application: FastAPI over ``Clienteling.open(url, mode="hub")``.

``create_app(database_url)`` opens (and migrates) the database, mounts the routes
under ``/api/v3`` and turns every error into the shapes of ``hub.errors``. A
request never gets a 5xx for bad input: framework validation errors are re-shaped
to 422, malformed JSON is 422 naming ``body``, and only a real bug reaches the
catch-all, which logs it, remembers it on ``app.state.hub.unhandled`` and answers
500 without a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clienteling import __version__
from clienteling.engine.clock import Clock
from clienteling.engine.services import Clienteling, Policy
from clienteling.hub.daily import daily_runs
from clienteling.hub.errors import ApiError, classify, validation_body
from clienteling.hub.idempotency import Replay, replay_response
from clienteling.hub.push import direct_routes
from clienteling.hub.routes import ROUTERS
from clienteling.hub.state import Hub
from clienteling.sync.wire import API_PREFIX

log = logging.getLogger("clienteling.hub")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where, rest = parts[0], parts[1:]
        if not rest:
            return where
        return ".".join(rest) if where != "header" else rest[0]
    return ".".join(parts) or "body"


def _request_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors: dict[str, list[str]] = {}
    for err in exc.errors():
        kind = str(err.get("type", ""))
        field = "body" if kind == "json_invalid" else _field(err.get("loc", ()))
        errors.setdefault(field, []).append(str(err.get("msg", "is invalid")))
    return JSONResponse(validation_body(errors), status_code=422)


def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = {404: "Not found: no such endpoint.", 405: "Method not allowed on this endpoint."}.get(
        exc.status_code, str(exc.detail))
    return JSONResponse({"message": message, "code": "not_found" if exc.status_code == 404
                         else "http_error"}, status_code=exc.status_code, headers=exc.headers)


def _known_error(_request: Request, exc: Exception) -> Response:
    known = classify(exc)
    if known is None:  # pragma: no cover - only registered for classified types
        raise exc
    status, body, headers = known
    return JSONResponse(body, status_code=status, headers=headers)


def _replay(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    return replay_response(exc.stored)


class CatchAll:
    """The last line: a real bug is logged and answered with a plain 500 (no traceback)."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The client hung up before its request's body arrived (a till killed while
            # pushing): nothing was applied and nobody is left to answer. Not a bug.
            log.info("client disconnected during %s %s", scope.get("method"), scope.get("path"))
        except Exception as exc:
            known = classify(exc)
            if known is None:
                self.hub.unhandled.append(exc)
                log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
                status, body, headers = 500, {"message": "Internal error in the hub; it has been "
                                              "logged.", "code": "internal_error"}, None
            else:
                status, body, headers = known
            if started:
                raise
            response = JSONResponse(body, status_code=status, headers=headers)
            await response(scope, receive, send)


class RejectNul:
    """A NUL character in the path or query is refused (422) before anything reads it:
    PostgreSQL cannot even compare a string holding one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = bytes(scope.get("query_string", b"")).lower()
            where = ("path" if "\x00" in str(scope.get("path", "")) else
                     "query" if b"%00" in query or b"\x00" in query else None)
            if where is not None:
                body = validation_body({where: ["must not contain NUL characters (%00)"]})
                await JSONResponse(body, status_code=422)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(
    database_url: str, *, clock: Clock | None = None, policy: Policy | None = None,
    daily_reactions: bool = False,
) -> FastAPI:
    """The hub over the database at ``database_url`` (SQLite path/URL or PostgreSQL URL).

    ``daily_reactions``: run the time-triggered reactions once a day while it serves
    (``clienteling hub serve`` does; tests and embedders choose)."""
    cl = Clienteling.open(database_url, clock=clock, policy=policy, mode="hub")
    hub = Hub.over(cl)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(daily_runs(cl)) if daily_reactions else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            cl.close()

    app = FastAPI(
        title="Clienteling hub",
        version=__version__,
        description="The central API tills sync with (Omneo-style v3 paths). Authenticate "
                    "with `Authorization: Bearer <device token>`; name the acting staff member "
                    "with `X-Staff-Id` on changes.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hub = hub
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    # What a pushed entry may be handed to directly (``hub.push``), from the same routers.
    app.state.direct_routes = direct_routes(ROUTERS)

    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Replay, _replay)
    for kind in _classified_types():
        app.add_exception_handler(kind, _known_error)
    app.add_middleware(RejectNul)
    app.add_middleware(CatchAll, hub=hub)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = {
                "device": {"type": "http", "scheme": "bearer",
                           "description": "a device token from `clienteling hub token create`"}}
            schema["security"] = [{"device": []}]
            health = schema["paths"].get(f"{API_PREFIX}/health", {}).get("get")
            if health is not None:
                health["security"] = []
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def create_app_from_env() -> FastAPI:
    """The hub over ``$CLIENTELING_HUB_DB`` (for ``uvicorn --factory`` and several workers)."""
    url = os.environ.get("CLIENTELING_HUB_DB")
    if not url:
        raise RuntimeError("set CLIENTELING_HUB_DB to the hub's database URL")
    from clienteling.hub.deployment import policy_from_env

    return create_app(url, policy=policy_from_env(), daily_reactions=True)


def _classified_types() -> list[type[Exception]]:
    from sqlalchemy.exc import IntegrityError, OperationalError

    from clienteling.engine.errors import DomainError
    from clienteling.engine.money import MoneyError

    return [ApiError, DomainError, MoneyError, IntegrityError, OperationalError]
