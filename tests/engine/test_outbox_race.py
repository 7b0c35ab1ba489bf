"""Two processes sending one till's outbox at once (GUIDE principle 5, SPEC §6 outbox): each
claims entries with ``claim_next``, released together by a barrier round after round; the
conditional UPDATE decides, so no entry is ever claimed by both and none is lost."""

from __future__ import annotations

import multiprocessing
import queue
import time
from typing import Any

from tests.conftest import World
from tests.engine.support import make_profile

ENTRIES = 60
TIMEOUT = 120


def _sender(url: str, rounds: int, barrier: Any, results: Any) -> None:
    """One sending process: each round, wait for the other, then claim two and settle them."""
    from clienteling.engine.services import Clienteling

    cl = Clienteling.open(url)
    try:
        for _ in range(rounds):
            barrier.wait(timeout=TIMEOUT)
            try:
                claimed = cl.outbox.claim_next(2)
                for item in claimed:
                    cl.outbox.mark_done(item.seq, {"by": multiprocessing.current_process().name})
                results.put(("ok", [item.seq for item in claimed]))
            except Exception as exc:  # reported, so the test shows it instead of hanging
                results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        cl.close()


def test_two_processes_never_claim_the_same_entry(world: World) -> None:
    for n in range(ENTRIES):  # independent entries: every one is free to claim
        make_profile(world, first_name=f"Racer{n}")
    expected = {i.seq for i in world.cl.outbox.pending()}
    assert len(expected) == ENTRIES
    rounds = ENTRIES // 2  # together the two take up to 4 a round: some rounds find none
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    path = world.url.removeprefix("sqlite:///")
    senders = [ctx.Process(target=_sender, args=(path, rounds, barrier, results), daemon=True)
               for _ in range(2)]
    for sender in senders:
        sender.start()
    out: list[tuple[str, Any]] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while len(out) < 2 * rounds:
            try:
                out.append(results.get(timeout=0.5))
            except queue.Empty:
                if time.monotonic() > deadline or not all(s.is_alive() for s in senders):
                    raise AssertionError(f"the senders stopped after {len(out)} results: {out}"
                                         ) from None
    finally:
        for sender in senders:
            sender.join(timeout=TIMEOUT)
            if sender.is_alive():
                sender.terminate()
    assert [s.exitcode for s in senders] == [0, 0]
    assert [r for r in out if r[0] != "ok"] == []
    claimed = [seq for _, seqs in out for seq in seqs]
    assert len(claimed) == len(set(claimed))  # never the same entry twice
    assert set(claimed) == expected  # and every entry was sent
    assert world.cl.outbox.counts().pending == 0
    assert all(world.cl.outbox.get(seq).attempts == 1 for seq in expected)
