"""The hub's long-lived state: the engine and the read/infrastructure services beside it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from fastapi import Request

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.devices import DeviceService
from clienteling.engine.services.idempotency import IdempotencyStore
from clienteling.engine.services.listing import ListingService
from clienteling.hub.throttle import FailureThrottle, SharedThrottle, Throttle

# Staff members read during one request that acts for many (a push batch, ``hub.push``):
# each is read once per request, as a single call reads it once (issue 9's "refused from
# the next request on" holds).
_REQUEST_STAFF: ContextVar[dict[str, Actor] | None] = ContextVar("request_staff", default=None)


@dataclass
class Hub:
    cl: Clienteling
    listing: ListingService
    devices: DeviceService
    idempotency: IdempotencyStore
    # Exceptions that reached the catch-all (real bugs); tests assert it stays empty.
    unhandled: list[BaseException] = field(default_factory=list)
    throttle: FailureThrottle = field(default_factory=Throttle)
    _stores: frozenset[str] = field(default_factory=frozenset, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def over(cls, cl: Clienteling) -> Hub:
        # On PostgreSQL the hub may run as several processes: they share the failure counts.
        throttle: FailureThrottle = (SharedThrottle(cl.token_failures)
                                     if cl.dialect == "postgresql" else Throttle())
        return cls(cl, cl.listing, cl.devices, cl.idempotency, throttle=throttle)

    def now(self) -> datetime:
        return self.cl.now()

    def actor(self, staff_id: str) -> Actor:
        """A known, active staff member as the engine sees them, read on every request (one
        primary-key read), so a deactivated one is refused at once by every worker (issue
        9). Unknown or inactive ones raise (from ``StaffService.actor``). Inside
        ``one_request`` a staff member is read once for the whole request."""
        remembered = _REQUEST_STAFF.get()
        if remembered is None:
            return self.cl.staff.actor(staff_id)
        found = remembered.get(staff_id)
        if found is None:
            found = remembered[staff_id] = self.cl.staff.actor(staff_id)
        return found

    @contextmanager
    def one_request(self) -> Iterator[None]:
        """Everything inside is one request's work: staff members are read once for it."""
        token = _REQUEST_STAFF.set({})
        try:
            yield
        finally:
            _REQUEST_STAFF.reset(token)

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
