"""Do two copies agree? Per synced type a count and a hash, drillable to the first differing
record (SPEC §7, ``clienteling sync --verify``).

The hub and a till compute exactly this over their own copies (the hub answers it on
``GET /sync/digest``), so equal digests prove the copies agree:

- Each record's *fingerprint* is the SHA-256 of the canonical JSON of its synced stored
  columns (the id first, versions, values, timestamps; for definitions the version is
  one of those columns) and of the rows it owns (a profile's identities, a redemption's
  items). Left out: what a till keeps for itself (a staff member's ``failed_attempts`` and
  ``locked_until``), search keys derived from the record, and anything computed from "now"
  (``is_expired``, ``is_redeemable`` are never stored), which would make equal copies
  differ by the clock. The types, their columns and children are the registry's
  (``engine.entities``: ``SyncedType.digest_columns``, ``ChildRows``).
- Records are bucketed by the SHA-256 of their *id* (hex), not by the id itself: ids may be
  chosen by a client, and hashing spreads any ids evenly over 16 buckets per hex digit.
- A set of records hashes to the SHA-256 of its lines ``<id hash> <id> <fingerprint>`` in
  id-hash order, so the hash of a bucket depends on exactly its records.

``drill(type, prefix)`` answers a bucket: its count and hash, its 16 sub-buckets, and when
it holds at most ``LIST_AT`` records, their ``(id, fingerprint)``. ``first_difference``
walks two sources (the local service and, on a till, a callable fetching the hub's
buckets over HTTP) down the differing buckets to the first differing record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clienteling.engine.context import Context
from clienteling.engine.entities import BY_NAME, NAMES
from clienteling.engine.errors import ValidationError

HEX = "0123456789abcdef"
LIST_AT = 64  # a bucket this small lists its records instead of being drilled further



def _canonical(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no canonical form")


def _children(s: Session, entity_type: str) -> dict[str, list[Any]]:
    """The rows a record owns, as part of its fingerprint (their own ids are not synced):
    per parent, each row's synced columns but the parent's id, in the declared order."""
    out: dict[str, list[Any]] = {}
    declared = BY_NAME[entity_type].children
    if declared is None:
        return out
    table, key = declared.table, declared.parent_key
    names = [key, *(n for n in declared.columns if n != key)]
    query = select(*(table.c[n] for n in names)).order_by(
        table.c[key], *(table.c[n] for n in declared.order))
    for owner, *rest in s.execute(query):
        out.setdefault(owner, []).append(rest)
    return out


def id_hash(record_id: str) -> str:
    return hashlib.sha256(record_id.encode()).hexdigest()


def _set_hash(rows: list[tuple[str, str, str]]) -> str:
    h = hashlib.sha256()
    for key, record_id, fp in rows:
        h.update(f"{key} {record_id} {fp}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class Difference:
    """The first record two copies disagree on (a fingerprint of None: that side lacks it)."""

    entity_type: str
    entity_id: str | None
    local: str | None
    remote: str | None


Source = Callable[[str | None, str], dict[str, Any]]


StaffScope = Callable[[str, str], bool]
"""(role, store id) -> whether a device receives that staff member's PIN hash."""


class DigestService:
    """``summary()`` and ``drill()`` over this database (the shapes ``GET /sync/digest``
    answers).

    ``staff_scope``: the hub computes a device's digest over what that device receives, so
    a staff member outside the scope is fingerprinted with ``security.WITHHELD_HASH`` as
    their PIN hash, as the till stored it (``hub.changes.staff_view``)."""

    def __init__(self, ctx: Context, staff_scope: StaffScope | None = None) -> None:
        self.ctx = ctx
        self.staff_scope = staff_scope

    def rows(self, entity_type: str) -> list[tuple[str, str, str]]:
        """(id hash, id, fingerprint) of every record of a type, in id-hash order.

        Read with Core, not through the ORM and ``wire``: the stored values are the same
        either way (the column types give aware UTC datetimes and exact Decimals on every
        backend), and building ORM objects cost most of the time for 100,000s of rows."""
        kind = BY_NAME[entity_type]
        table = kind.table
        columns = [table.c[name] for name in kind.digest_columns]
        dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                                 default=_canonical).encode
        sha = hashlib.sha256
        rows = []
        view = kind.device_view
        scope = self.staff_scope if view is not None else None
        if view is not None and scope is not None:
            names = kind.digest_columns
            at_role, at_store = (names.index(n) for n in view.scope)
            at_pin, withheld = names.index(view.column), view.withheld
        with self.ctx.reading() as s:
            children = _children(s, entity_type)
            for row in s.execute(select(*columns)):
                values = list(row)
                record_id = values[0]
                if scope is not None and not scope(values[at_role], values[at_store]):
                    values[at_pin] = withheld
                values.append(children.get(record_id, []))
                rows.append((sha(record_id.encode()).hexdigest(), record_id,
                             sha(dumps(values).encode()).hexdigest()))
        rows.sort()
        return rows

    def summary(self) -> dict[str, Any]:
        """``{"types": {type: {"count", "hash"}}}`` for every synced type."""
        out = {}
        for kind in NAMES:
            rows = self.rows(kind)
            out[kind] = {"count": len(rows), "hash": _set_hash(rows)}
        return {"types": out}

    def drill(self, entity_type: str, prefix: str = "") -> dict[str, Any]:
        """The bucket of ``entity_type`` records whose id hash starts with ``prefix``."""
        if entity_type not in BY_NAME:
            raise ValidationError.field("type", f"must be one of {', '.join(NAMES)}")
        prefix = prefix.lower()
        if len(prefix) > 63 or any(c not in HEX for c in prefix):
            raise ValidationError.field("prefix", "must be up to 63 hex digits (0-9, a-f)")
        rows = [r for r in self.rows(entity_type) if r[0].startswith(prefix)]
        depth = len(prefix)
        buckets = []
        for digit in HEX:
            inside = [r for r in rows if r[0][depth] == digit]
            buckets.append({"prefix": prefix + digit, "count": len(inside),
                            "hash": _set_hash(inside)})
        return {
            "type": entity_type, "prefix": prefix, "count": len(rows), "hash": _set_hash(rows),
            "buckets": buckets,
            "records": ([{"id": i, "fingerprint": fp} for _, i, fp in rows]
                        if len(rows) <= LIST_AT else None),
        }

    def source(self, entity_type: str | None, prefix: str) -> dict[str, Any]:
        """This copy as a ``Source`` for ``first_difference``."""
        return self.summary() if entity_type is None else self.drill(entity_type, prefix)


def first_difference(local: Source, remote: Source) -> Difference | None:
    """The first type (in dependency order) and record where two copies differ, or None.

    A source answers ``(None, "")`` with a summary and ``(type, prefix)`` with a drill (as
    ``DigestService.source`` does locally, and ``GET /sync/digest[?type=&prefix=]`` does on
    the hub). Only differing buckets are fetched: about 16 per hex digit walked."""
    mine, theirs = local(None, "")["types"], remote(None, "")["types"]
    for kind in NAMES:
        if mine.get(kind) != theirs.get(kind):
            return _walk(kind, "", local, remote) or Difference(kind, None, None, None)
    return None


def _walk(kind: str, prefix: str, local: Source, remote: Source) -> Difference | None:
    mine, theirs = local(kind, prefix), remote(kind, prefix)
    if mine["hash"] == theirs["hash"]:
        return None
    if mine["records"] is not None and theirs["records"] is not None:
        a = {r["id"]: r["fingerprint"] for r in mine["records"]}
        b = {r["id"]: r["fingerprint"] for r in theirs["records"]}
        for record_id in sorted(a.keys() | b.keys(), key=id_hash):
            if a.get(record_id) != b.get(record_id):
                return Difference(kind, record_id, a.get(record_id), b.get(record_id))
        return None
    for ours, other in zip(mine["buckets"], theirs["buckets"], strict=True):
        if ours["hash"] != other["hash"]:
            found = _walk(kind, ours["prefix"], local, remote)
            if found is not None:
                return found
    return None
