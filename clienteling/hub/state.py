"""The hub's long-lived state: the engine and the read/infrastructure services beside it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from fastapi import Request

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.devices import CACHE_SECONDS, DeviceService
from clienteling.engine.services.idempotency import IdempotencyStore
from clienteling.engine.services.listing import ListingService

# How long a looked-up staff member (role, store, active) is trusted before it is read
# again: the same window as a verified device token, so "a revoked token or a deactivated
# staff member is refused within 30 seconds" (docs/hub.md). Every write request names its
# staff member, and reading them each time was a database round trip per request.
STAFF_CACHE_SECONDS = CACHE_SECONDS


@dataclass
class Hub:
    cl: Clienteling
    listing: ListingService
    devices: DeviceService
    idempotency: IdempotencyStore
    # Exceptions that reached the catch-all (real bugs); tests assert it stays empty.
    unhandled: list[BaseException] = field(default_factory=list)
    _actors: dict[str, tuple[float, Actor]] = field(default_factory=dict, repr=False)
    _stores: frozenset[str] = field(default_factory=frozenset, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def over(cls, cl: Clienteling) -> Hub:
        return cls(cl, ListingService(cl.ctx), DeviceService(cl.ctx), IdempotencyStore(cl.ctx))

    def now(self) -> datetime:
        return self.cl.ctx.clock.now()

    def actor(self, staff_id: str) -> Actor:
        """A known, active staff member as the engine sees them, remembered for
        ``STAFF_CACHE_SECONDS``. Unknown or inactive ones raise (from ``StaffService.actor``)
        and are never remembered, so a new staff member can act at once."""
        now = time.monotonic()
        cached = self._actors.get(staff_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        actor = self.cl.staff.actor(staff_id)
        with self._lock:
            if len(self._actors) > 10_000:
                self._actors.clear()
            self._actors[staff_id] = (now + STAFF_CACHE_SECONDS, actor)
        return actor

    def is_store(self, store_id: str) -> bool:
        """Whether a store with this id exists. Stores are never deleted, so an id once seen
        stays known; only an id not seen yet is looked up."""
        if store_id in self._stores:
            return True
        known = frozenset(s.id for s in self.cl.staff.stores())
        with self._lock:
            self._stores = self._stores | known
        return store_id in known


def get_hub(request: Request) -> Hub:
    return cast(Hub, request.app.state.hub)
