"""The till's HTTP client for the hub: one ``httpx.Client`` with the device token, TLS
verified, timeouts, and typed errors a person can read.

Thread-confined like the ``httpx.Client`` it wraps: use one from one thread (the desktop's
network worker, or the ``clienteling sync`` command).

Retries here are few and short (a GET after a dropped connection or a 503), so one sync
cycle rides out a blip; anything longer is the pusher's business (it backs off per entry,
across cycles) or the next cycle's.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import httpx
import orjson

from clienteling.sync.wire import API_PREFIX

# Within one call: attempts and the first pause (doubled each time, with jitter).
ATTEMPTS = 3
FIRST_PAUSE = 0.2


class SyncError(Exception):
    """Sync could not go on; ``message`` says why in words for the status bar."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HubUnreachable(SyncError):
    """No answer: network down, DNS, refused connection, timeout, TLS failure."""


class TokenRejected(SyncError):
    """401 for the device token: revoked or wrong. Retrying will not help."""


class HubFailed(SyncError):
    """The hub answered 5xx (or something that is not its API) after retries."""


class Cancelled(Exception):
    """The person (or the app closing) asked sync to stop; what is committed stays."""


# What actually works (issue 16): a new token from the hub's admin, entered by a manager.
TOKEN_REJECTED = ("This till's token was revoked or is wrong: a manager signs in and uses Hub "
                  "connection… (the user menu) with a new token from the hub's admin "
                  "(clienteling hub token create), or runs clienteling connect.")


def is_token_refusal(response: httpx.Response) -> bool:
    """A 401 about the device token, as opposed to one about the staff member named in
    ``X-Staff-Id`` (which refuses that change only)."""
    if response.status_code != 401:
        return False
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return True
    return not (isinstance(code, str) and "staff" in code)


def api_base(base_url: str) -> str:
    """``https://hub.example`` or ``…/api/v3`` → the API root, without a trailing slash."""
    url = base_url.strip().rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


class HubClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = api_base(base_url)
        self.token = token
        self._http = httpx.Client(
            base_url=self.base_url, timeout=httpx.Timeout(timeout), verify=True,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            transport=transport, follow_redirects=False)
        self.requests = 0  # sent by this client, for the status of a cycle and for tests
        self.cancel: threading.Event | None = None

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def health(self) -> bool:
        """Does the hub answer at all (``GET /health``, no token needed)?"""
        try:
            return self.send("GET", "/health", attempts=1).status_code == 200
        except SyncError:
            return False

    # -- the calls sync makes ----------------------------------------------------------------
    def send(self, method: str, path: str, *, json: Any = None, params: Any = None,
             headers: dict[str, str] | None = None, attempts: int = ATTEMPTS) -> httpx.Response:
        """One request; any answer below 500 is returned as it is (the caller reads 4xx),
        except a 401 for the token, which raises ``TokenRejected``. Network errors and 5xx are
        tried ``attempts`` times (same request, so a write must carry its idempotency key),
        then raise ``HubUnreachable`` / ``HubFailed``."""
        last: SyncError | None = None
        for attempt in range(attempts):
            if attempt:
                self._pause(FIRST_PAUSE * 2 ** (attempt - 1))
            self.requests += 1
            try:
                response = self._http.request(method, path, json=json, params=params,
                                              headers=headers)
            except httpx.TimeoutException:
                last = HubUnreachable(f"The hub at {self.base_url} did not answer in time.")
                continue
            except httpx.HTTPError as exc:
                last = HubUnreachable(f"Cannot reach the hub at {self.base_url} "
                                      f"({type(exc).__name__}: {exc}).")
                continue
            if is_token_refusal(response):
                raise TokenRejected(TOKEN_REJECTED)
            if response.status_code >= 500:
                last = HubFailed(f"The hub had a problem (HTTP {response.status_code}: "
                                 f"{error_message(response)}); nothing is lost, sync will try again.")
                continue
            return response
        assert last is not None
        raise last

    def get_json(self, path: str, params: Any = None) -> Any:
        """A read that must succeed (2xx JSON), else ``HubFailed`` naming what came back."""
        response = self.send("GET", path, params=params)
        if response.status_code != 200:
            raise HubFailed(f"The hub refused GET {path} (HTTP {response.status_code}: "
                            f"{error_message(response)}).")
        try:
            # orjson: a first sync's pages are MBs each (docs/performance.md).
            return orjson.loads(response.content)
        except ValueError:
            raise HubFailed(f"The hub's answer to GET {path} is not JSON: is {self.base_url} "
                            "a Clienteling hub?") from None

    def _pause(self, seconds: float) -> None:
        delay = seconds * (0.5 + random.random())
        if self.cancel is not None:
            if self.cancel.wait(delay):
                raise Cancelled()
        else:
            time.sleep(delay)


def error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"])[:300]
    return response.reason_phrase
