"""The sync wire between a till and the hub, as pydantic models both sides import.

The hub (``clienteling.hub.push``, ``hub.routes.sync``) is the reference for what these mean;
the till reads the hub's answers through these models so a field the hub renamed fails here,
loudly, instead of being read as missing. ``extra="allow"`` everywhere: a newer hub may add
fields, and an older till must still sync with it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

API_PREFIX = "/api/v3"
#: Entries per ``POST /sync/push`` (the hub refuses more with a 422).
MAX_PUSH_ENTRIES = 500
#: Ids per ``GET /sync/records``.
MAX_RECORD_IDS = 100
PushStatus = Literal["applied", "refused", "retry"]
#: The headers an outbox entry carries to the hub (the batch passes only these on).
ENTRY_HEADERS = ("X-Staff-Id", "X-Occurred-At", "X-Authorised-By", "If-Match")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class PushEntry(_Open):
    key: str = Field(min_length=1, max_length=200)
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] | None = None


class PushBatch(_Open):
    entries: list[PushEntry] = Field(max_length=MAX_PUSH_ENTRIES)


class PushResult(_Open):
    key: str
    status: PushStatus
    http_status: int
    data: Any = None
    replayed: bool = False
    code: str | None = None
    message: str | None = None
    errors: dict[str, Any] | None = None


class PushAnswer(_Open):
    data: list[PushResult]


class FeedEntry(_Open):
    seq: int | None = None
    type: str
    id: str
    op: str
    at: str | None = None
    data: dict[str, Any] | None = None

    def for_remote(self) -> dict[str, Any]:
        """The entry as the till's remote door takes it: a record that no longer exists (no
        data) is a delete, whatever the journal called the change."""
        if self.data is None or self.op == "delete":
            return {"type": self.type, "id": self.id, "op": "delete"}
        return {"type": self.type, "id": self.id, "op": "upsert", "data": self.data}


class FeedMeta(_Open):
    next: int
    has_more: bool


class FeedPage(_Open):
    data: list[FeedEntry]
    meta: FeedMeta


class SnapshotMeta(_Open):
    cursor: int
    next: str | None = None
    has_more: bool
    totals: dict[str, int] = Field(default_factory=dict)


class SnapshotPage(_Open):
    data: list[FeedEntry]
    meta: SnapshotMeta


class RecordsAnswer(_Open):
    """``GET /sync/records``: the current state of named records, in the feed's shape."""

    data: list[FeedEntry]
