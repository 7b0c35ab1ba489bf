"""Issue 19: the kept buckets add fingerprints mod 2**64 on both backends. On PostgreSQL the
read, the row upserts and the bucket additions are one statement that adds in ``numeric``
and wraps into a signed BIGINT; fingerprints at the edges of 64 bits (the largest, 2**63 and
its neighbours, 0) must give exactly what Python's arithmetic gives, through inserts,
changes, a change back, a batch far over one statement's slice, and a delete."""

from __future__ import annotations

import random

from clienteling.engine import digest_keeper
from clienteling.engine.db import open_database
from clienteling.engine.fingerprints import MASK, bucket_of

TYPE = "profile"
EDGES = (MASK, MASK - 1, 1 << 63, (1 << 63) - 1, (1 << 63) + 1, 0, 1)


def _ids_in(bucket: int, count: int, rng: random.Random) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        candidate = f"rec-{rng.getrandbits(64):016x}"
        if bucket_of(candidate) == bucket:
            found.append(candidate)
    return found


def _expected(kept: dict[str, int]) -> dict[int, tuple[int, int]]:
    out: dict[int, list[int]] = {}
    for record_id, value in kept.items():
        entry = out.setdefault(bucket_of(record_id), [0, 0])
        entry[0] += 1
        entry[1] = (entry[1] + value) & MASK
    return {b: (c, h) for b, (c, h) in out.items()}


def test_buckets_add_mod_2_64_at_the_edges(hub_url: str) -> None:
    rng = random.Random(1964)
    db = open_database(hub_url)
    try:
        kept: dict[str, int] = {}

        def keep(values: dict[str, int]) -> None:
            with db.write() as s:
                digest_keeper.keep(s, {TYPE: list(values)}, {TYPE: values})
            kept.update(values)
            with db.read() as s:
                assert digest_keeper.buckets(s, TYPE) == _expected(kept)
                assert sorted(digest_keeper.kept_rows(s, TYPE, 0, 255)) == sorted(kept.items())

        crowded = _ids_in(7, 12, rng)  # one bucket, its sum wrapping again and again
        keep({i: EDGES[n % len(EDGES)] for n, i in enumerate(crowded)})
        keep({i: MASK - n for n, i in enumerate(crowded[:6])})  # changed: old ones taken out
        keep({crowded[0]: EDGES[0], crowded[1]: 0})  # changed back, and to zero
        keep({crowded[2]: kept[crowded[2]]})  # unchanged: nothing moves
        many = {f"many-{n:05d}": rng.choice(EDGES) ^ rng.getrandbits(8) for n in range(2500)}
        keep(many)  # more rows than one statement takes
        keep({i: MASK ^ v for i, v in list(many.items())[:1500]})

        # A record that is gone leaves its bucket: the general path, on either backend.
        with db.write() as s:
            digest_keeper.keep(s, {TYPE: [crowded[3]]}, {TYPE: {}})
        del kept[crowded[3]]
        with db.read() as s:
            assert digest_keeper.buckets(s, TYPE) == _expected(kept)
    finally:
        db.dispose()
