"""The check every kept-digest test makes: what the engine kept as rows changed equals what is
computed from the rows now (``engine.digest_keeper``, issue 19)."""

from __future__ import annotations

from clienteling.engine import digest_keeper
from clienteling.engine.entities import BY_NAME, NAMES
from clienteling.engine.fingerprints import Fingerprints
from clienteling.engine.services import Clienteling
from tests.internals import context_of


def assert_kept(cl: Clienteling, where: str = "") -> None:
    """Per synced type, each record's kept fingerprint and each bucket's count and sum equal
    the recompute, and the summary the hub and tills compare equals the reference."""
    with context_of(cl).reading() as s:
        for name in NAMES:
            kept = sorted(digest_keeper.kept_rows(s, name, 0, 255))
            fresh = sorted(Fingerprints(BY_NAME[name]).all(s))
            assert kept == fresh, f"{where}: the kept fingerprints of {name} differ"
            assert digest_keeper.buckets(s, name) == digest_keeper.recomputed(s, name), \
                f"{where}: the kept buckets of {name} differ"
    assert cl.digest.summary() == cl.digest.recomputed_summary(), where
