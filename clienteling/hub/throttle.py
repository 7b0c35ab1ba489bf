"""Failed device-token checks, counted per token lookup prefix and per client address, so
that guessing costs the guesser time instead of costing the hub argon2 work (issue 9).

Why our own and not a rate-limiting library: only *failures* count (a till's normal traffic
never does), the limit has to be checked before the argon2 verification it protects, and the
answer is the hub's own 429 with ``Retry-After``. The counts live in each hub worker's
memory: with N workers a guesser gets at most N times the allowance, still a few guesses a
minute (docs/security.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
PER_LOOKUP = 5  # failures with one token prefix (one till's token) in a window
PER_ADDRESS = 20  # failures from one client address in a window (a shop's NAT has many tills)
_MAX_KEYS = 50_000  # forget everything past this rather than grow without bound


@dataclass
class Throttle:
    window: float = WINDOW_SECONDS
    per_lookup: int = PER_LOOKUP
    per_address: int = PER_ADDRESS
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

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

    def wait(self, address: str, lookup: str | None) -> int:
        """Whole seconds until another check is allowed for this address and prefix (0: now)."""
        now = self.clock()
        longest = 0.0
        with self._lock:
            for key, limit in self._keys(address, lookup):
                times = self._recent(key, now)
                if len(times) >= limit:
                    longest = max(longest, times[len(times) - limit] + self.window - now)
        return math.ceil(longest) if longest > 0 else 0

    def failed(self, address: str, lookup: str | None) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > _MAX_KEYS:
                self._failures.clear()
            for key, _limit in self._keys(address, lookup):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times

    def succeeded(self, lookup: str | None) -> None:
        """The right token for a prefix clears that prefix's count (not the address's)."""
        if lookup:
            with self._lock:
                self._failures.pop(f"lookup:{lookup}", None)
