"""Two processes pushing from one till file (the app and ``clienteling sync``) both remember
records to read back from the hub (SPEC §6: "the affected records are re-pulled"). Each
remembers its own, round after round, released together by a barrier: afterwards every
record either of them remembered is still to be read back — none lost to the other's write."""

from __future__ import annotations

import multiprocessing
import queue
import time
from typing import Any

import httpx

from clienteling.engine.services import Clienteling
from clienteling.sync.pusher import Pusher
from tests.conftest import World

ROUNDS = 40
TIMEOUT = 120


class RecordingClient:
    """Stands in for the hub at ``GET /sync/records``: notes the ids asked for and answers
    that the hub has none of them."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def send(self, method: str, path: str, *, params: Any = None, **_: Any) -> httpx.Response:
        assert (method, path) == ("GET", "/sync/records")
        ids = params["id"]
        self.asked += [(params["type"], i) for i in ids]
        return httpx.Response(200, json={"data": [
            {"seq": None, "type": params["type"], "id": i, "op": "delete", "data": None}
            for i in ids]})


def _rememberer(path: str, name: str, barrier: Any, results: Any) -> None:
    """One pushing process: each round, wait for the other, then remember one record of its
    own (as a push does before it settles the entries that touched it)."""
    from clienteling.engine.services import Clienteling
    from clienteling.sync.pusher import Pusher

    cl = Clienteling.open(path)
    try:
        pusher = Pusher(cl, RecordingClient())  # type: ignore[arg-type]
        for n in range(ROUNDS):
            barrier.wait(timeout=TIMEOUT)
            try:
                pusher._remember({("profile", f"{name}-{n}")})
                results.put(("ok", n))
            except Exception as exc:  # reported, so the test shows it instead of hanging
                results.put(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        cl.close()


def test_two_processes_remembering_records_lose_none(world: World) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    results = ctx.Queue()
    path = world.url.removeprefix("sqlite:///")
    procs = [ctx.Process(target=_rememberer, args=(path, name, barrier, results), daemon=True)
             for name in ("app", "command")]
    for proc in procs:
        proc.start()
    out: list[tuple[str, Any]] = []
    deadline = time.monotonic() + TIMEOUT
    try:
        while len(out) < 2 * ROUNDS:
            try:
                out.append(results.get(timeout=0.5))
            except queue.Empty:
                if time.monotonic() > deadline or not all(p.is_alive() for p in procs):
                    raise AssertionError(f"stopped after {len(out)} results: {out}") from None
    finally:
        for proc in procs:
            proc.join(timeout=TIMEOUT)
            if proc.is_alive():
                proc.terminate()
    assert [p.exitcode for p in procs] == [0, 0]
    assert [r for r in out if r[0] != "ok"] == []

    # What a push by either process would now read back from the hub: all of it.
    cl = Clienteling.open(path)
    try:
        client = RecordingClient()
        Pusher(cl, client).refetch_remembered()  # type: ignore[arg-type]
        again = RecordingClient()
        Pusher(cl, again).refetch_remembered()  # type: ignore[arg-type]
    finally:
        cl.close()
    expected = {("profile", f"{name}-{n}") for name in ("app", "command") for n in range(ROUNDS)}
    assert set(client.asked) == expected, f"lost: {sorted(expected - set(client.asked))[:10]}"
    assert again.asked == []  # read back once, then forgotten


def test_a_record_with_a_change_waiting_stays_to_be_read_back(world: World) -> None:
    """The remote door skips a record with an unsent change; the read-back keeps it, so the
    change's sender (maybe the other process) reads it once the hub has answered."""
    from tests.engine.support import make_profile

    waiting = make_profile(world)  # its entry is pending
    pusher = Pusher(world.cl, RecordingClient())  # type: ignore[arg-type]
    pusher._remember({("profile", waiting.id), ("profile", "gone")})
    pusher.refetch_remembered()
    assert set(pusher.refetch.remembered()) == {("profile", waiting.id)}
    assert world.cl.profiles.get(waiting.id).id == waiting.id  # left to its change
