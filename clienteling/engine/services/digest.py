"""Do two copies agree? Per synced type a count and a hash, drillable to the first differing
record (SPEC §6 "Verify", ``clienteling sync --verify``).

The hub and a till answer exactly this over their own copies (the hub on ``GET /sync/digest``),
so equal digests prove the copies agree:

- Each record's *fingerprint* (``engine.fingerprints``) covers its synced stored columns and
  the rows it owns, nothing a till keeps for itself or computes from "now".
- Records are bucketed by the SHA-256 of their id (hex): the first two hex digits are the
  bucket the engine keeps (``engine.digest_keeper``: per type and bucket, a count and the sum
  of the fingerprints mod 2**64, updated in each write's transaction).
- A set of records hashes to the sum of its fingerprints mod 2**64 (16 hex digits): it
  depends on exactly its records and not on their order, so a type's hash is its buckets'
  sum and a bucket's is its sub-buckets'.

``summary()`` reads the kept buckets (a few hundred numbers). ``drill(type, prefix)`` answers
a bucket: its count and hash, its 16 sub-buckets, and when it holds at most ``LIST_AT``
records, their ``(id, fingerprint)``; down to one hex digit it reads kept buckets, below that
the kept fingerprints of one bucket's records. ``first_difference`` walks two sources (the
local service and, on a till, a callable fetching the hub's buckets over HTTP) down the
differing buckets to the first differing record. ``rows`` and ``recomputed_summary`` are the
reference: computed from the records themselves, nothing kept read.

On the hub a device's digest is over what it receives: a type with a per-device view (staff
PIN hashes) is computed from its rows for that device, as the feed renders it; those types are
a few hundred rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clienteling.engine import digest_keeper
from clienteling.engine.context import Context
from clienteling.engine.entities import BY_NAME, NAMES
from clienteling.engine.errors import ValidationError
from clienteling.engine.fingerprints import MASK, Fingerprints, hex64, id_hash

HEX = "0123456789abcdef"
LIST_AT = 64  # a bucket this small lists its records instead of being drilled further

__all__ = ["HEX", "LIST_AT", "Difference", "DigestService", "Source", "StaffScope",
           "first_difference", "id_hash"]


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


def _total(values: Any) -> dict[str, Any]:
    count = total = 0
    for c, h in values:
        count += c
        total += h
    return {"count": count, "hash": hex64(total & MASK)}


class DigestService:
    """``summary()`` and ``drill()`` over this database (the shapes ``GET /sync/digest``
    answers).

    ``staff_scope``: the hub computes a device's digest over what that device receives, so
    a staff member outside the scope is fingerprinted with ``security.WITHHELD_HASH`` as
    their PIN hash, as the till stored it (``hub.changes.staff_view``)."""

    def __init__(self, ctx: Context, staff_scope: StaffScope | None = None) -> None:
        self.ctx = ctx
        self.staff_scope = staff_scope

    def _live(self, entity_type: str) -> bool:
        """Whether this copy's digest of the type is computed for a device, not kept."""
        return self.staff_scope is not None and BY_NAME[entity_type].device_view is not None

    def _fingerprints(self, entity_type: str) -> list[tuple[str, int]]:
        """(id, fingerprint) of every record of the type, computed from the rows."""
        with self.ctx.reading() as s:
            return list(Fingerprints(BY_NAME[entity_type], self.staff_scope).all(s))

    def rows(self, entity_type: str) -> list[tuple[str, str, str]]:
        """(id hash, id, fingerprint) of every record of a type, in id-hash order, computed
        from the records (the reference the kept digests must equal)."""
        return sorted((id_hash(i), i, hex64(v)) for i, v in self._fingerprints(entity_type))

    def summary(self) -> dict[str, Any]:
        """``{"types": {type: {"count", "hash"}}}`` for every synced type."""
        with self.ctx.reading() as s:
            kept = digest_keeper.all_buckets(s)
        out = {}
        for kind in NAMES:
            if self._live(kind):
                out[kind] = _total((1, v) for _, v in self._fingerprints(kind))
            else:
                out[kind] = _total(kept[kind].values())
        return {"types": out}

    def recomputed_summary(self) -> dict[str, Any]:
        """``summary()`` computed from the records themselves (the reference)."""
        return {"types": {kind: _total((1, v) for _, v in self._fingerprints(kind))
                          for kind in NAMES}}

    def drill(self, entity_type: str, prefix: str = "") -> dict[str, Any]:
        """The bucket of ``entity_type`` records whose id hash starts with ``prefix``."""
        if entity_type not in BY_NAME:
            raise ValidationError.field("type", f"must be one of {', '.join(NAMES)}")
        prefix = prefix.lower()
        if len(prefix) > 63 or any(c not in HEX for c in prefix):
            raise ValidationError.field("prefix", "must be up to 63 hex digits (0-9, a-f)")
        depth = len(prefix)
        if self._live(entity_type):
            rows = [(id_hash(i), i, v) for i, v in self._fingerprints(entity_type)]
        elif depth >= 2:
            bucket = int(prefix[:2], 16)
            with self.ctx.reading() as s:
                rows = [(id_hash(i), i, v)
                        for i, v in digest_keeper.kept_rows(s, entity_type, bucket, bucket)]
        else:
            return self._drill_kept(entity_type, prefix)
        rows = [r for r in rows if r[0].startswith(prefix)]
        subs = []
        for digit in HEX:
            inside = [(1, v) for h, _, v in rows if h[depth] == digit]
            subs.append({"prefix": prefix + digit, **_total(inside)})
        return {"type": entity_type, "prefix": prefix, **_total((1, v) for _, _, v in rows),
                "buckets": subs, "records": _records(rows)}

    def _drill_kept(self, entity_type: str, prefix: str) -> dict[str, Any]:
        """Down to one hex digit: sub-buckets are kept buckets (or sums of 16 of them)."""
        with self.ctx.reading() as s:
            kept = digest_keeper.buckets(s, entity_type)
            if prefix:
                first = int(prefix, 16) << 4
                subs = [{"prefix": prefix + d, **_total([kept.get(first + n, (0, 0))])}
                        for n, d in enumerate(HEX)]
                last = first + 15
            else:
                subs = [{"prefix": d, **_total(kept.get((n << 4) + m, (0, 0))
                                               for m in range(16))}
                        for n, d in enumerate(HEX)]
                first, last = 0, 255
            total = _total((b["count"], int(b["hash"], 16)) for b in subs)
            records = None
            if total["count"] <= LIST_AT:
                records = _records([(id_hash(i), i, v) for i, v in
                                    digest_keeper.kept_rows(s, entity_type, first, last)])
        return {"type": entity_type, "prefix": prefix, **total, "buckets": subs,
                "records": records}

    def source(self, entity_type: str | None, prefix: str) -> dict[str, Any]:
        """This copy as a ``Source`` for ``first_difference``."""
        return self.summary() if entity_type is None else self.drill(entity_type, prefix)


def _records(rows: list[tuple[str, str, int]]) -> list[dict[str, str]] | None:
    if len(rows) > LIST_AT:
        return None
    return [{"id": i, "fingerprint": hex64(v)} for _, i, v in sorted(rows)]


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
