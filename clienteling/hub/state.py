"""The hub's long-lived state: the engine and the read/infrastructure services beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from fastapi import Request

from clienteling.engine.services import Clienteling
from clienteling.engine.services.devices import DeviceService
from clienteling.engine.services.idempotency import IdempotencyStore
from clienteling.engine.services.listing import ListingService


@dataclass
class Hub:
    cl: Clienteling
    listing: ListingService
    devices: DeviceService
    idempotency: IdempotencyStore
    # Exceptions that reached the catch-all (real bugs); tests assert it stays empty.
    unhandled: list[BaseException] = field(default_factory=list)

    @classmethod
    def over(cls, cl: Clienteling) -> Hub:
        return cls(cl, ListingService(cl.ctx), DeviceService(cl.ctx), IdempotencyStore(cl.ctx))

    def now(self) -> datetime:
        return self.cl.ctx.clock.now()


def get_hub(request: Request) -> Hub:
    return cast(Hub, request.app.state.hub)
