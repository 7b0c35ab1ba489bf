"""Failed device-token checks, counted per token lookup prefix and per client address, so
that guessing costs the guesser time instead of costing the hub argon2 work (issue 9), and
never costs a working till its service (issue 19).

- A made-up token (its prefix is no active device's) costs no argon2 work at all; past
  ``PER_ADDRESS`` failures from one address such tokens get 429 instead of 401. A real
  till's token has a real prefix, so a stranger at the shop's address never holds it back.
- Wrong secrets for a real prefix each cost an argon2 check; past ``PER_LOOKUP`` failures
  the checks for that prefix are *rationed*, not refused: one every ``WINDOW / PER_LOOKUP``
  seconds (``check_wait``), so the argon2 work stays bounded and the right token still gets
  through at its turn. A token the worker verified before needs no check at all.

Why our own and not a rate-limiting library: only *failures* count (a till's normal traffic
never does), the limit has to be checked before the argon2 verification it protects, and the
answer is the hub's own 429 with ``Retry-After``.

Where the counts live: a hub on PostgreSQL keeps them in the database (``SharedThrottle`` over
``engine.services.token_failures``), so several workers and hosts on one database give a
guesser one allowance between them, not one each, and ration one prefix's checks together.
A SQLite hub is one process and keeps them in its memory (``Throttle``). Failures are rare
(a working till's traffic never counts), so the database rows cost nothing on the hot path.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from clienteling.engine.services.token_failures import TokenFailures

WINDOW_SECONDS = 60.0
PER_LOOKUP = 5  # failures with one token prefix (one till's token) in a window
PER_ADDRESS = 20  # failures from one client address in a window (a shop's NAT has many tills)
_MAX_KEYS = 50_000  # forget everything past this rather than grow without bound


class FailureThrottle(Protocol):
    """What the token check asks of a throttle (``hub.auth``)."""

    def address_wait(self, address: str) -> int: ...

    def check_wait(self, lookup: str) -> int: ...

    def failed(self, address: str, lookup: str | None) -> None: ...


def _keys(address: str, lookup: str | None) -> list[str]:
    return [f"address:{address}", *([f"lookup:{lookup}"] if lookup else [])]


@dataclass
class SharedThrottle:
    """``Throttle``'s rules over counts every hub process on the database shares."""

    store: TokenFailures
    window: float = WINDOW_SECONDS
    per_lookup: int = PER_LOOKUP
    per_address: int = PER_ADDRESS
    clock: Callable[[], float] = time.time

    def address_wait(self, address: str) -> int:
        now = self.clock()
        times = self.store.recent(f"address:{address}", now - self.window, self.per_address)
        if len(times) < self.per_address:
            return 0
        longest = times[-1] + self.window - now  # the oldest of the last per_address
        return math.ceil(longest) if longest > 0 else 0

    def check_wait(self, lookup: str) -> int:
        now = self.clock()
        if self.store.count(f"lookup:{lookup}", now - self.window) < self.per_lookup:
            return 0
        turn = self.window / self.per_lookup
        last = self.store.take_turn(lookup, now, turn)
        if last is None:
            return 0
        return max(1, math.ceil(last + turn - now))

    def failed(self, address: str, lookup: str | None) -> None:
        self.store.add(_keys(address, lookup), self.clock(), window=self.window,
                       turn_of=lookup or None)


@dataclass
class Throttle:
    window: float = WINDOW_SECONDS
    per_lookup: int = PER_LOOKUP
    per_address: int = PER_ADDRESS
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # When each prefix last had an argon2 check that failed or was rationed (``check_wait``).
    _turns: dict[str, float] = field(default_factory=dict, repr=False)

    def _keys(self, address: str, lookup: str | None) -> list[tuple[str, int]]:
        keys = [(f"address:{address}", self.per_address)]
        if lookup:
            keys.append((f"lookup:{lookup}", self.per_lookup))
        return keys

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def address_wait(self, address: str) -> int:
        """Whole seconds until a made-up token from ``address`` is answered again (0: now)."""
        now = self.clock()
        with self._lock:
            times = self._recent(f"address:{address}", now)
            if len(times) < self.per_address:
                return 0
            longest = times[len(times) - self.per_address] + self.window - now
        return math.ceil(longest) if longest > 0 else 0

    def check_wait(self, lookup: str) -> int:
        """Whole seconds until a token with this real prefix may have an argon2 check (0: now,
        and the turn is taken). Under the prefix's limit every check is allowed; past it, one
        per ``window / per_lookup`` seconds, whoever asks."""
        now = self.clock()
        turn = self.window / self.per_lookup
        with self._lock:
            if len(self._recent(f"lookup:{lookup}", now)) < self.per_lookup:
                return 0
            last = self._turns.get(lookup)
            if last is not None and now - last < turn:
                return max(1, math.ceil(last + turn - now))
            self._turns[lookup] = now
            return 0

    def failed(self, address: str, lookup: str | None) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > _MAX_KEYS:
                self._failures.clear()
                self._turns.clear()
            for key, _limit in self._keys(address, lookup):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times
            if lookup:
                self._turns[lookup] = now  # a failed check was that prefix's turn
