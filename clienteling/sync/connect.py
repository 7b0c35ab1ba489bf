"""Checking a hub URL and till token before anything is saved (SPEC §6 "Connecting a till").

``check_connection(url, token)`` makes ONE call, ``GET /api/v3/sync/whoami``, which proves
the token and names the device and store it belongs to. Every way it can go wrong is a
``ConnectProblem`` naming the field a person has to change — ``hub_url`` or ``token`` — with
the words to show next to it: unreachable (no such host, nothing listening, no answer in
time), a TLS problem, an address that answers but is not a Clienteling hub, a token that is
wrong or revoked, or a token with a character no token has (an en dash pasted from a
document). ``clienteling connect`` and the app's Connect form both use it, so they say the
same thing; neither saves anything until it returned a ``Connection``.

One attempt, no retries: a person is waiting for the answer and can press Connect again.
"""

from __future__ import annotations

import socket
import ssl
import unicodedata
from dataclasses import dataclass
from typing import Any

import httpx

from clienteling.engine.errors import ValidationError
from clienteling.engine.services.sync_state import check_hub_url
from clienteling.sync.client import api_base

__all__ = ["ConnectProblem", "Connection", "check_connection", "check_token_text"]

WHOAMI = "/sync/whoami"
NEW_TOKEN = "ask an admin for a new one (clienteling hub token create)"


@dataclass(frozen=True)
class Connection:
    """A hub that took the token: the URL as it will be stored, and whose token it is."""

    hub_url: str
    token: str
    device_id: str
    device_name: str
    device_kind: str       # "till" or "admin device"
    store_id: str
    store_name: str
    store_timezone: str
    hub_version: str

    def describe(self) -> str:
        """"Till 1 (till) of Melbourne Central (Australia/Melbourne)", for a person."""
        store = self.store_name or self.store_id
        zone = f" ({self.store_timezone})" if self.store_timezone else ""
        return f"{self.device_name} ({self.device_kind}) of {store}{zone}"


class ConnectProblem(ValidationError):
    """The URL or the token will not do; ``field_name`` is ``hub_url`` or ``token``, ``problem``
    the words for next to it (``str()`` gives "field: problem" for a command line)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__({field: [problem]})
        self.field_name = field
        self.problem = problem


def check_token_text(token: str) -> str:
    """The token as it will be sent, or a ``ConnectProblem`` for ``token``. An HTTP header
    carries ASCII only: a character such as an en dash (a document's "smart" replacement for
    the hyphen) would otherwise fail deep inside the HTTP library."""
    value = (token or "").strip()
    if not value:
        raise ConnectProblem("token", f"is required: the till token from the hub ({NEW_TOKEN})")
    for position, char in enumerate(value, start=1):
        if not char.isascii() or not char.isprintable() or char.isspace():
            name = unicodedata.name(char, f"U+{ord(char):04X}").lower()
            shown = repr(char) if char.isprintable() and not char.isspace() else "a space"
            raise ConnectProblem("token", f"has {shown} ({name}) at character {position}, which "
                                 "no till token has: was it pasted from a document? Copy it "
                                 "again from what `clienteling hub token create` printed")
    if len(value) > 500:
        raise ConnectProblem("token", "is too long to be a till token (at most 500 characters)")
    return value


def check_connection(url: str, token: str, *, timeout: float = 10.0,
                     transport: httpx.BaseTransport | None = None) -> Connection:
    """Ask the hub at ``url`` whose ``token`` this is; a ``Connection`` or a ``ConnectProblem``.
    Saves nothing."""
    try:
        hub_url = check_hub_url(url)
    except ValidationError as exc:
        raise ConnectProblem("hub_url", exc.errors["hub_url"][0]) from None
    value = check_token_text(token)
    base = api_base(hub_url)
    try:
        with httpx.Client(base_url=base, timeout=httpx.Timeout(timeout), verify=True,
                          follow_redirects=False, transport=transport,
                          headers={"Authorization": f"Bearer {value}",
                                   "Accept": "application/json"}) as http:
            response = http.get(WHOAMI)
            if response.status_code == 404:
                raise _not_found(http, hub_url)
    except httpx.TimeoutException:
        raise ConnectProblem("hub_url", f"{hub_url} did not answer within {timeout:g} seconds: "
                             "check the address and this till's network") from None
    except httpx.HTTPError as exc:
        raise ConnectProblem("hub_url", _unreachable(hub_url, exc)) from None
    return _connection(hub_url, value, response)


def _connection(hub_url: str, token: str, response: httpx.Response) -> Connection:
    status = response.status_code
    if status == 401:
        raise ConnectProblem("token", f"the hub at {hub_url} refused this token: it is wrong or "
                             f"was revoked — {NEW_TOKEN}")
    if status == 429:
        wait = response.headers.get("retry-after", "a few")
        raise ConnectProblem("token", f"too many wrong tokens were tried from this till; wait "
                             f"{wait} seconds, then try again")
    if 300 <= status < 400:
        where = response.headers.get("location", "another address")
        raise ConnectProblem("hub_url", f"{hub_url} sends requests on to {where}: enter that "
                             "address instead")
    if status >= 500:
        raise ConnectProblem("hub_url", f"the hub at {hub_url} had a problem (HTTP {status}); "
                             "try again in a minute, or tell whoever runs the hub")
    data = _data(response)
    if status != 200 or data is None:
        raise ConnectProblem("hub_url", f"{hub_url} answers, but it is not a Clienteling hub "
                             f"(HTTP {status} from {WHOAMI}): check the address")
    device, store, hub = data["device"], data["store"], data.get("hub") or {}
    return Connection(hub_url=hub_url, token=token, device_id=str(device.get("id", "")),
                      device_name=str(device.get("name", "")),
                      device_kind=str(device.get("kind", "till")),
                      store_id=str(store.get("id", "")), store_name=str(store.get("name", "")),
                      store_timezone=str(store.get("timezone", "")),
                      hub_version=str(hub.get("version", "")) if isinstance(hub, dict) else "")


def _data(response: httpx.Response) -> dict[str, Any] | None:
    """whoami's ``data`` when the answer has its shape, else None (not our API)."""
    try:
        body = response.json()
    except ValueError:
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if (isinstance(data, dict) and isinstance(data.get("device"), dict)
            and isinstance(data.get("store"), dict)):
        return data
    return None


def _not_found(http: httpx.Client, hub_url: str) -> ConnectProblem:
    """A 404 for whoami: not a hub at all, or a Clienteling hub older than this till (its
    ``/health`` answers in our shape), which needs updating rather than a new address."""
    health = http.get("/health")
    try:
        ours = health.status_code == 200 and health.json()["data"]["status"] == "ok"
    except (ValueError, KeyError, TypeError):
        ours = False
    if ours:
        return ConnectProblem("hub_url", f"{hub_url} is a Clienteling hub too old for this till "
                              "(it cannot check till tokens): update the hub first")
    return ConnectProblem("hub_url", f"{hub_url} answers, but it is not a Clienteling hub "
                          f"(nothing at {api_base(hub_url)}{WHOAMI}): check the address")


def _unreachable(hub_url: str, exc: httpx.HTTPError) -> str:
    cause = _root(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        reason = cause.verify_message or "the certificate could not be verified"
        return (f"{hub_url} has a TLS certificate this till does not trust ({reason}): the hub "
                "needs a certificate from a trusted authority, or the address is wrong")
    if isinstance(cause, ssl.SSLError):
        return (f"a secure (TLS) connection to {hub_url} failed ({cause.reason or cause}): is "
                "it an https:// hub? Try http:// only if the hub has no certificate")
    if isinstance(cause, socket.gaierror):
        return (f"there is no host called {httpx.URL(hub_url).host}: check the address (and "
                "this till's network)")
    if isinstance(cause, ConnectionRefusedError):
        return f"nothing answers at {hub_url}: is the hub running, and is the port right?"
    return f"cannot reach {hub_url} ({type(cause).__name__}: {cause}): check the address"


def _root(exc: BaseException) -> BaseException:
    """The innermost cause (httpx wraps httpcore, which wraps the socket or ssl error)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    return exc
