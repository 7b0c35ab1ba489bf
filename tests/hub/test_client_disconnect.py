"""A client that hangs up while sending its request's body (a till killed in the middle of a
push, tests/sync/test_sigkill_push.py) is not a bug in the hub: nothing was applied, nothing
is answered, and the catch-all does not count it as an unhandled error."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from starlette.requests import ClientDisconnect, Request

from clienteling.hub.app import CatchAll


def test_a_client_gone_mid_body_is_no_unhandled_error() -> None:
    async def reads_body(scope: Any, receive: Any, send: Any) -> None:
        await Request(scope, receive).body()

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    hub = SimpleNamespace(unhandled=[])
    scope = {"type": "http", "method": "POST", "path": "/api/v3/sync/push", "headers": []}
    asyncio.run(CatchAll(reads_body, hub)(scope, receive, send))  # type: ignore[arg-type]
    assert hub.unhandled == [] and sent == []
    assert issubclass(ClientDisconnect, Exception)
