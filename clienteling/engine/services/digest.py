"""Do two copies agree? Per synced type a count and a hash, drillable to the first differing
record (SPEC §7, ``clienteling sync --verify``).

The hub and a till compute exactly this over their own copies (the hub answers it on
``GET /sync/digest``), so equal digests prove the copies agree:

- Each record's *fingerprint* is the SHA-256 of the canonical JSON of its synced stored
  fields (its wire record: ids, versions, values, timestamps; for definitions the version
  is one of those fields). Left out: what a till keeps for itself (a staff member's
  ``failed_attempts`` and ``locked_until``) and anything computed from "now" (``is_expired``,
  ``is_redeemable``), which would make equal copies differ by the clock.
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
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from clienteling.engine import wire
from clienteling.engine.context import Context
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import Benefit, Profile, Reward, Staff
from clienteling.engine.services.snapshot import SYNC_TYPES

HEX = "0123456789abcdef"
LIST_AT = 64  # a bucket this small lists its records instead of being drilled further


def _profile(p: Profile) -> dict[str, Any]:
    out = wire.profile(p)
    out["identities"] = sorted(out["identities"], key=lambda i: (i["handle"], i["identifier"]))
    return out


def _staff(s: Staff) -> dict[str, Any]:
    # wire.staff has no failed_attempts / locked_until: those are the till's own.
    return wire.staff(s, with_pin_hash=True)


# The stored, synced fields of each type (no "now"): what a fingerprint covers.
RECORDS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "store": wire.store,
    "staff": _staff,
    "benefit_definition": wire.benefit_definition,
    "reward_definition": wire.reward_definition,
    "profile": _profile,
    "benefit": wire.benefit_record,
    "reward": lambda r: wire.reward(r, None, embed_definition=False),
    "redemption": wire.redemption,
}
# The definitions the ORM would join to every benefit and reward are not fingerprinted
# (and never touched here, so never lazily loaded either).
_OPTIONS: dict[str, Any] = {"benefit": lazyload(Benefit.definition),
                            "reward": lazyload(Reward.definition)}


def fingerprint(record: dict[str, Any]) -> str:
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


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


class DigestService:
    """``summary()`` and ``drill()`` over this database (the shapes ``GET /sync/digest``
    answers)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def rows(self, entity_type: str) -> list[tuple[str, str, str]]:
        """(id hash, id, fingerprint) of every record of a type, in id-hash order."""
        model = SYNC_TYPES[entity_type]
        render = RECORDS[entity_type]
        query = select(model)
        if entity_type in _OPTIONS:
            query = query.options(_OPTIONS[entity_type])
        with self.ctx.reading() as s:
            rows = [(id_hash(r.id), r.id, fingerprint(render(r))) for r in s.scalars(query)]
        rows.sort()
        return rows

    def summary(self) -> dict[str, Any]:
        """``{"types": {type: {"count", "hash"}}}`` for every synced type."""
        out = {}
        for kind in SYNC_TYPES:
            rows = self.rows(kind)
            out[kind] = {"count": len(rows), "hash": _set_hash(rows)}
        return {"types": out}

    def drill(self, entity_type: str, prefix: str = "") -> dict[str, Any]:
        """The bucket of ``entity_type`` records whose id hash starts with ``prefix``."""
        if entity_type not in SYNC_TYPES:
            raise ValidationError.field("type", f"must be one of {', '.join(SYNC_TYPES)}")
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
    for kind in SYNC_TYPES:
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
