"""The sync wire between a till and the hub, as pydantic models both sides import.

One module for both ends of ``POST /api/v3/sync/push`` (SPEC §6, §7): the API prefix, the
entry and its headers, the batch (the hub validates a push with :func:`read_batch`, the
till builds one with :class:`PushBatch`), the result of an entry and how an HTTP answer is
classified ``applied`` / ``refused`` / ``retry`` (:func:`push_status`, :func:`result_of`:
the hub for each entry it applies, the till for each single call when a hub has no push).
The feed, snapshot and records pages the till reads are here too, so a field the hub
renamed fails here, loudly, instead of being read as missing. ``extra="allow"`` on what the
till reads: a newer hub may add fields, and an older till must still sync with it.

It lives in ``clienteling.sync`` (the till's side, GUIDE "Layout": "wire schemas (shared
with hub)") and imports nothing of the package: the hub may import this module and no other
of ``clienteling.sync`` (import-linter, pyproject.toml).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

API_PREFIX = "/api/v3"
PUSH_PATH = "/sync/push"  # under API_PREFIX
#: Entries per ``POST /sync/push`` (the hub refuses more with a 422).
MAX_PUSH_ENTRIES = 500
#: Ids per ``GET /sync/records``.
MAX_RECORD_IDS = 100
PushStatus = Literal["applied", "refused", "retry"]
#: The headers an outbox entry carries to the hub (the batch passes only these on).
ENTRY_HEADERS = ("X-Staff-Id", "X-Occurred-At", "X-Authorised-By", "If-Match")
#: The changes a push carries (anything else is refused for that entry, ``not_a_change``).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Answers that mean "not applied now, send the same entry (same key) again later", besides
#: any 5xx: too many requests, and a key whose first request is still being applied.
RETRY_STATUSES = frozenset({429})
RETRY_CODES = frozenset({"idempotency_in_progress"})
#: What a refusal for a stale ``If-Match`` (409 ``version_conflict``) says besides its code.
VERSION_FIELDS = ("expected_version", "current_version")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


def _key(value: str) -> str:
    key = value.strip()
    if not 1 <= len(key) <= 200 or not value.isascii() or not value.isprintable():
        raise PydanticCustomError("idempotency_key", _PROBLEMS["key"])
    return key


def _method(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("method", _PROBLEMS["method"])
    return value


def _path(value: str) -> str:
    if not value.startswith("/") or len(value) > 2000:
        raise PydanticCustomError("path", _PROBLEMS["path"])
    return value


#: What each field of an entry must be, in the words of the hub's 422.
_PROBLEMS = {
    "key": "is required: 1 to 200 printable ASCII characters",
    "method": "is required (POST, PUT, PATCH or DELETE)",
    "path": "is required: a path starting with /",
    "headers": "must be an object of header names to text values",
}


class PushEntry(_Open):
    """One outbox entry as pushed: the Omneo call it stands for and its idempotency key
    (stripped of surrounding spaces)."""

    key: Annotated[StrictStr, AfterValidator(_key)]
    method: Annotated[StrictStr, AfterValidator(_method)]
    path: Annotated[StrictStr, AfterValidator(_path)]
    body: Any = None
    headers: dict[StrictStr, StrictStr] | None = None


class PushBatch(_Open):
    entries: list[PushEntry] = Field(max_length=MAX_PUSH_ENTRIES)


class BatchInvalid(ValueError):
    """A push the hub refuses whole (422), each problem named by its field: ``entries.3.key``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{f}: {' '.join(p)}" for f, p in errors.items()))
        self.errors = errors


def _problem(loc: tuple[int | str, ...], error: Any, value: Any) -> tuple[str, str]:
    """(field, problem) of one pydantic error, in the hub's words."""
    if not loc:
        return "body", 'must be a JSON object {"entries": [...]}'
    if loc == ("entries",):
        if error["type"] == "too_long":
            got = len(value["entries"])
            return "entries", (f"at most {MAX_PUSH_ENTRIES} entries per push (got {got}); send "
                               "the rest in another push")
        return "entries", "must be a list of entries"
    if len(loc) == 2:
        return f"entries.{loc[1]}", "must be an object with key, method and path"
    name = str(loc[2])
    field = ".".join(str(part) for part in loc[:3])
    return field, _PROBLEMS.get(name, error["msg"])


def read_batch(value: Any) -> PushBatch:
    """A push's JSON body as a checked batch; ``BatchInvalid`` naming every bad field
    otherwise (nothing of a bad batch is applied). A key used twice in one push is bad."""
    errors: dict[str, list[str]] = {}
    try:
        batch = PushBatch.model_validate(value)
    except PydanticValidationError as exc:
        for error in exc.errors():
            field, problem = _problem(tuple(error["loc"]), error, value)
            if problem not in errors.setdefault(field, []):
                errors[field].append(problem)
        raise BatchInvalid(errors) from None
    seen: set[str] = set()
    for n, entry in enumerate(batch.entries):
        if entry.key in seen:
            errors[f"entries.{n}.key"] = ["is used by an earlier entry of this push"]
        seen.add(entry.key)
    if errors:
        raise BatchInvalid(errors)
    return batch


class PushResult(_Open):
    """What became of one entry. ``data`` and ``replayed`` for ``applied``; ``code``,
    ``message`` and (422) ``errors`` or (stale ``If-Match``) ``expected_version`` and
    ``current_version`` otherwise. Built by :func:`result_of`; on the wire with the fields
    that apply (``model_dump(exclude_unset=True)``)."""

    key: str
    status: PushStatus
    http_status: int
    data: Any = None
    replayed: bool = False
    code: str | None = None
    message: str | None = None
    errors: dict[str, Any] | None = None
    expected_version: Any = None
    current_version: Any = None


class PushAnswer(_Open):
    data: list[PushResult]


def push_status(http_status: int, code: str | None = None) -> PushStatus:
    """How a till treats an answer: 2xx ``applied`` (a replay included); ``retry`` for a 5xx,
    a 429 or a key still in progress (409 ``idempotency_in_progress``); anything else
    ``refused`` (400 rule, 401 staff, 403, 404, 409 version conflict, 412, 413, 422): the
    hub will never accept the entry as it is."""
    if 200 <= http_status < 300:
        return "applied"
    if http_status >= 500 or http_status in RETRY_STATUSES or code in RETRY_CODES:
        return "retry"
    return "refused"


def result_of(key: str, http_status: int, body: Any, *, replayed: bool = False) -> PushResult:
    """The result of an entry whose call answered ``http_status`` with the JSON ``body``
    (None when it had none): on the hub for each entry of a push, on the till for each
    entry sent as a single call."""
    if 200 <= http_status < 300:
        return PushResult(key=key, status="applied", http_status=http_status, data=body,
                          replayed=replayed)
    info: dict[str, Any] = body if isinstance(body, dict) else {}
    code = info.get("code")
    if not isinstance(code, str) or not code:
        code = "validation_failed" if http_status == 422 else f"http_{http_status}"
    fields: dict[str, Any] = {"code": code,
                              "message": str(info.get("message") or f"HTTP {http_status}")}
    if isinstance(info.get("errors"), dict):
        fields["errors"] = info["errors"]
    fields.update((name, info[name]) for name in VERSION_FIELDS if name in info)
    return PushResult(key=key, status=push_status(http_status, code), http_status=http_status,
                      **fields)


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
