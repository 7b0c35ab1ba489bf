"""``sync.connect.check_connection``: one call proves a URL and token and names the store,
and every way it fails names the field to change in words (SPEC §6 "Connecting a till"),
against a real hub on loopback and plain web servers that are not hubs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from clienteling.sync.connect import ConnectProblem, check_connection
from tests.sync.conftest import SyncWorld, closed_port
from tests.sync.not_a_hub import web_server


def problem(url: str, token: str) -> ConnectProblem:
    with pytest.raises(ConnectProblem) as caught:
        check_connection(url, token, timeout=10)
    return caught.value


def test_a_good_url_and_token_name_the_store(sync_world: SyncWorld) -> None:
    found = check_connection(sync_world.url + "/", "  " + sync_world.world.token + "\n")
    assert found.hub_url == sync_world.url  # as it will be stored: no trailing slash
    assert found.token == sync_world.world.token
    assert (found.store_id, found.store_name) == (sync_world.world.store_id, "Melbourne Central")
    assert found.store_timezone == "Australia/Melbourne"
    assert found.device_kind == "till"
    assert found.describe() == "Till 1 (till) of Melbourne Central (Australia/Melbourne)"
    # The /api/v3 form of the address is the same hub.
    assert check_connection(sync_world.url + "/api/v3", sync_world.world.token).hub_url


def test_nothing_listening_is_the_url(sync_world: SyncWorld) -> None:
    p = problem(closed_port(), sync_world.world.token)
    assert p.field_name == "hub_url"
    assert "nothing answers at" in p.problem
    assert str(p).startswith("hub_url: ")


def test_no_such_host_is_the_url() -> None:
    p = problem("http://no-such-host.invalid", "clt_abc_def")
    assert (p.field_name, "no host called no-such-host.invalid" in p.problem) == ("hub_url", True)


def test_a_malformed_url_is_the_url_before_any_request() -> None:
    p = problem("hub.example.com", "clt_abc_def")
    assert p.field_name == "hub_url" and "http://" in p.problem


@pytest.mark.parametrize("status", [404, 200])
def test_a_web_server_that_is_not_a_hub(status: int) -> None:
    with web_server(status) as url:
        p = problem(url, "clt_abc_def")
    assert p.field_name == "hub_url"
    assert "not a Clienteling hub" in p.problem


def test_an_untrusted_certificate_is_a_tls_problem(tmp_path: Path) -> None:
    with web_server(200, tls_dir=tmp_path) as url:
        p = problem(url, "clt_abc_def")
    assert p.field_name == "hub_url"
    assert "TLS certificate this till does not trust" in p.problem


def test_a_wrong_token_is_the_token(sync_world: SyncWorld) -> None:
    p = problem(sync_world.url, sync_world.world.token[:-2] + "xx")
    assert p.field_name == "token"
    assert "refused this token" in p.problem and "hub token create" in p.problem


def test_a_revoked_token_is_the_token(sync_world: SyncWorld) -> None:
    found = check_connection(sync_world.url, sync_world.world.token)
    sync_world.hub.cl.devices.revoke(None, found.device_id)
    p = problem(sync_world.url, sync_world.world.token)
    assert p.field_name == "token" and "revoked" in p.problem


def test_an_en_dash_in_the_token_is_said_not_crashed(sync_world: SyncWorld) -> None:
    pasted = sync_world.world.token.replace("_", "\u2013", 1)
    before = sync_world.running.counting.total
    p = problem(sync_world.url, pasted)
    assert p.field_name == "token"
    assert "en dash" in p.problem and "character 4" in p.problem
    assert sync_world.running.counting.total == before  # said before any request


def test_an_empty_token_is_the_token(sync_world: SyncWorld) -> None:
    assert problem(sync_world.url, "   ").field_name == "token"


def without_whoami(app: ASGIApp) -> ASGIApp:
    """A Clienteling hub from before ``/sync/whoami``: the rest of its API answers."""
    not_found = JSONResponse({"message": "Not Found"}, status_code=404)

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api/v3/sync/whoami":
            await not_found(scope, receive, send)
            return
        await app(scope, receive, send)

    return serve


def test_an_older_hub_is_said_to_need_updating(make_world: Callable[..., SyncWorld]) -> None:
    sw = make_world(without_whoami)
    p = problem(sw.url, sw.world.token)
    assert p.field_name == "hub_url" and "too old for this till" in p.problem


def test_a_server_that_never_answers_is_said_under_the_url() -> None:
    import socket

    # Listening but never reading: the connection is made, no answer ever comes.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ConnectProblem) as caught:
            check_connection(url, "clt_abc_def", timeout=0.5)
    assert caught.value.field_name == "hub_url"
    assert "did not answer within 0.5 seconds" in caught.value.problem
