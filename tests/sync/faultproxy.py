"""A fault-injecting HTTP proxy on loopback, between tills and a real hub (issue 8, must-show 3).

Why our own and not a library (toxiproxy, mitmproxy): the fault that matters here is HTTP-aware.
"Forward the request, let the hub apply it, then reset the connection instead of answering" needs
the proxy to know where one request ends and to hold the hub's answer back; a TCP-level chaos
proxy can only cut bytes at random. Nothing to install or run beside the test either.

Per request (decided in arrival order from a seeded ``random.Random``, so a run is reproducible):

- ``drop``: read the request, close the connection without forwarding it;
- ``delay``: wait a little, then forward and answer normally;
- ``error``: answer 503 without forwarding;
- ``reset``: forward, let the hub answer (the change is committed), then reset the connection
  (SO_LINGER 0, an RST) instead of sending the answer back;
- ``ok``: forward and answer.

``counts`` says how many of each happened (``reset_writes``: resets of a POST/PUT/DELETE, the
case exactly-once depends on; ``quiet``: requests while ``enabled`` is False). Only loopback
addresses: the proxy listens on 127.0.0.1 and refuses an upstream that is not loopback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import socket
import socketserver
import struct
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

KINDS = ("drop", "delay", "error", "reset")
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding",
                        "te", "trailer", "upgrade", "content-length", "content-encoding", "host"})
MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024


@dataclass(frozen=True)
class FaultRates:
    """The chance of each fault per request; the rest are forwarded untouched."""

    drop: float = 0.07
    delay: float = 0.07
    error: float = 0.07
    reset: float = 0.09
    delay_seconds: tuple[float, float] = (0.01, 0.15)

    @property
    def total(self) -> float:
        return self.drop + self.delay + self.error + self.reset


class _Request:
    def __init__(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes):
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


def _read_request(rfile: Any) -> _Request | None:
    """One HTTP/1.1 request from the client, or None when it closed the connection."""
    line = rfile.readline(MAX_HEAD)
    if not line:
        return None
    parts = line.decode("latin-1").rstrip("\r\n").split(" ")
    if len(parts) != 3:
        raise ValueError(f"bad request line {line!r}")
    method, target, _version = parts
    headers: list[tuple[str, str]] = []
    size = len(line)
    while True:
        raw = rfile.readline(MAX_HEAD)
        size += len(raw)
        if not raw or size > MAX_HEAD:
            raise ValueError("request head too long or cut")
        if raw in (b"\r\n", b"\n"):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    request = _Request(method, target, headers, b"")
    if (request.header("transfer-encoding") or "").lower() == "chunked":
        raise ValueError("chunked request bodies are not supported by this test proxy")
    length = int(request.header("content-length") or 0)
    if length < 0 or length > MAX_BODY:
        raise ValueError(f"content-length {length}")
    request.body = rfile.read(length) if length else b""
    if len(request.body) != length:
        return None
    return request


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class FaultProxy:
    """``with FaultProxy(hub_url, seed=1) as proxy:`` tills talk to ``proxy.url``."""

    def __init__(self, upstream: str | Sequence[str], *, seed: int = 0,
                 rates: FaultRates | None = None,
                 hang: tuple[str, ...] = (), fail: tuple[str, ...] = ()) -> None:
        # Several upstreams (hub processes on one database): requests go round them in turn,
        # as a load balancer sends them, so one till's requests land on each.
        self.upstreams: list[str] = []
        for each in [upstream] if isinstance(upstream, str) else list(upstream):
            parts = urlsplit(each)
            if parts.scheme != "http" or not parts.hostname or not _loopback(parts.hostname):
                raise ValueError(f"upstream must be http:// on a loopback address, not {each!r}")
            self.upstreams.append(f"{parts.scheme}://{parts.netloc}")
        self.upstream = self.upstreams[0]
        self._turn = 0
        self.rates = rates or FaultRates()
        # Paths (prefixes, after the API prefix) whose requests are read and then never
        # answered, or answered 503, every time: a hub that hangs or fails on one call.
        self.hang, self.fail = hang, fail
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.enabled = True  # False: forward everything (the "sync without faults" phase)
        self._stopping = threading.Event()
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                proxy._serve_connection(self.connection, self.rfile)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port: int = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy",
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ decisions
    def _decide(self) -> tuple[str, float]:
        with self._lock:
            self.counts["requests"] += 1
            if not self.enabled:
                self.counts["quiet"] += 1
                return "ok", 0.0
            roll = self._rng.random()
            pause = self._rng.uniform(*self.rates.delay_seconds)
        edge = 0.0
        for kind in KINDS:
            edge += getattr(self.rates, kind)
            if roll < edge:
                return kind, pause
        return "ok", 0.0

    def _count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    @property
    def faults(self) -> int:
        return sum(self.counts[k] for k in KINDS)

    # ------------------------------------------------------------------ serving
    def _serve_connection(self, conn: socket.socket, rfile: Any) -> None:
        with contextlib.ExitStack() as stack:
            clients = [stack.enter_context(httpx.Client(base_url=u, timeout=60.0))
                       for u in self.upstreams]
            while not self._stopping.is_set():
                try:
                    request = _read_request(rfile)
                except (ValueError, OSError):
                    return
                if request is None:
                    return
                path = urlsplit(request.target).path
                if any(p in path for p in self.hang):
                    self._count("hang")
                    self._stopping.wait()  # the connection stays open, silent
                    return
                if any(p in path for p in self.fail):
                    self._count("fail")
                    self._answer(conn, 503, [("Content-Type", "application/json")],
                                 b'{"code":"proxy_fault","message":"injected 503"}')
                    continue
                kind, pause = self._decide()
                if kind == "drop":
                    self._count("drop")
                    return  # closing the connection without a word; the hub never saw it
                if kind == "error":
                    self._count("error")
                    self._answer(conn, 503, [("Content-Type", "application/json")],
                                 b'{"code":"proxy_fault","message":"injected 503"}')
                    continue
                if kind == "delay":
                    self._count("delay")
                    # Fault injection, not synchronisation: the till must cope with a slow hub.
                    self._stopping.wait(pause)
                with self._lock:
                    upstream = clients[self._turn % len(clients)]
                    self.counts[f"to:{self._turn % len(clients)}"] += 1
                    self._turn += 1
                try:
                    response = self._forward(upstream, request)
                except httpx.HTTPError:
                    self._count("upstream_error")
                    return
                if kind == "reset":
                    self._count("reset")
                    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
                        self._count("reset_writes")
                    self._reset(conn)
                    return
                self._count("forwarded")
                headers = [(k, v) for k, v in response.headers.multi_items()
                           if k.lower() not in HOP_BY_HOP]
                if not self._answer(conn, response.status_code, headers, response.content):
                    return

    def _forward(self, upstream: httpx.Client, request: _Request) -> httpx.Response:
        headers = [(k, v) for k, v in request.headers if k.lower() not in HOP_BY_HOP]
        return upstream.request(request.method, request.target, headers=headers,
                                content=request.body)

    @staticmethod
    def _answer(conn: socket.socket, status: int, headers: list[tuple[str, str]],
                body: bytes) -> bool:
        head = [f"HTTP/1.1 {status} {httpx.codes.get_reason_phrase(status) or 'Status'}"]
        head += [f"{k}: {v}" for k, v in headers]
        head += [f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
        try:
            conn.sendall("\r\n".join(head).encode("latin-1") + body)
        except OSError:
            return False
        return True

    @staticmethod
    def _reset(conn: socket.socket) -> None:
        # SO_LINGER on with a zero timeout makes close() send an RST: the client sees
        # "connection reset" although the hub committed the change.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
