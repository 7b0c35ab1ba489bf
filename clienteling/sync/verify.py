"""Do this till and the hub agree? Their digests (``engine.services.digest``) compared: the
first entity type that differs and, with ``detail``, the first record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clienteling.engine.services import Clienteling
from clienteling.engine.services.digest import first_difference
from clienteling.engine.services.snapshot import SYNC_TYPES
from clienteling.sync.client import HubClient


@dataclass(frozen=True)
class VerifyReport:
    equal: bool
    first_type: str | None
    first_id: str | None
    local: dict[str, Any]
    remote: dict[str, Any]

    def describe(self) -> str:
        if self.equal:
            return "This till agrees with the hub."
        where = f"{self.first_type} {self.first_id}" if self.first_id else str(self.first_type)
        return f"This till differs from the hub, first at {where}."


def verify(cl: Clienteling, client: HubClient, *, detail: bool = False) -> VerifyReport:
    local = cl.digest.summary()
    remote = client.get_json("/sync/digest")["data"]
    mine, theirs = local.get("types", {}), remote.get("types", {})
    first_type = next((t for t in SYNC_TYPES if mine.get(t) != theirs.get(t)), None)
    first_id = None
    if detail and first_type is not None:
        def hub_source(entity_type: str | None, prefix: str) -> dict[str, Any]:
            if entity_type is None:
                return dict(remote)
            data: dict[str, Any] = client.get_json(
                "/sync/digest", {"type": entity_type, "prefix": prefix})["data"]
            return data

        def local_source(entity_type: str | None, prefix: str) -> dict[str, Any]:
            return dict(local) if entity_type is None else cl.digest.drill(entity_type, prefix)

        found = first_difference(local_source, hub_source)
        if found is not None:
            first_type, first_id = found.entity_type, found.entity_id
    return VerifyReport(first_type is None, first_type, first_id, local, remote)
