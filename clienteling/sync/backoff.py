"""When to try an entry again after the hub could not take it (network, timeout, 5xx, busy):
exponential back-off with jitter, so a hub coming back is not hit by every till at once."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Backoff:
    base: float = 2.0      # seconds before the first retry
    cap: float = 300.0     # never longer than this

    def delay(self, attempts: int) -> timedelta:
        """After ``attempts`` failed sends: base·2^(attempts-1), capped, times 0.5–1.5."""
        seconds = min(self.cap, self.base * 2 ** max(0, min(attempts, 30) - 1))
        return timedelta(seconds=seconds * (0.5 + random.random()))

    def next_at(self, now: datetime, attempts: int) -> datetime:
        return now + self.delay(attempts)
