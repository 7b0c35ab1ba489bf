"""Sync's two SPEC §8 rows: first sync end to end against raw SQLite inserts, and the push
of queued changes (``first_sync_rows_per_s``, ``raw_sqlite_rows_per_s``, ``first_sync_rows``,
``push_ops_per_s``).

Both go through the till's own entry points against ``clienteling hub serve`` on loopback,
in its own process, with a SQLite hub database:

- **first sync**: a hub holding the bench's data set (:mod:`clienteling.bench.dataset`) at
  min(scale, 100,000) profiles, with their 3 benefits, 2 rewards and card each and the
  350 definitions (``first_sync_profiles``), an empty till file, and
  ``run_cycle`` timed from start to "synced" (push of an empty outbox, the snapshot pages,
  the feed). Then, on the same disk in the same run, as many rows of a 12-column table
  inserted with plain ``sqlite3`` ``executemany`` in pages of the same size: the floor
  SPEC §8's "within 3× of raw SQLite" compares with. ``first_sync_till_s`` is the time
  the till spent applying pages (the rest: the hub and HTTP).
- **push**: a hub seeded with profiles holding benefits and rewards, a till first-synced
  from it, then ``push_entries`` changes made at the till while it is not talking to the
  hub (the mix an outbox holds after a busy spell offline: benefit redeems, amount redeems
  and new profiles, 2:1:1), then the pusher (``Pusher.run``: batches of 200, results
  settled, touched records re-read) timed until the outbox is empty. ``push_all_applied``
  says whether the hub applied every entry.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from clienteling.bench import dataset
from clienteling.bench.hubserver import (
    ASSOCIATE,
    hub_database,
    hub_server,
    remove_sqlite_file,
    seed,
    store_token,
)
from clienteling.bench.run import FULL_PROFILES, BenchRun, Sizes
from clienteling.engine.services import Clienteling
from clienteling.sync.client import HubClient
from clienteling.sync.cycle import run_cycle
from clienteling.sync.first_sync import SNAPSHOT_PAGE
from clienteling.sync.progress import Progress
from clienteling.sync.pusher import Pusher

#: The first sync's hub holds at most this many profiles: a few minutes at full scale.
FIRST_SYNC_MAX_PROFILES = 100_000
PUSH_FULL = 2000
PUSH_SMALL = 300
PUSH_BATCH = 200
#: Seconds the till waits for one answer: a page of 5,000 rows on a busy machine.
CLIENT_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class SyncSizes:
    first_sync_profiles: int
    push_entries: int
    push_profiles: int

    @classmethod
    def at(cls, scale: int) -> SyncSizes:
        """Full sizes at SPEC §8's scale; the small ones below it, fewer still for the tiny
        scales tests use."""
        push = PUSH_FULL if scale >= FULL_PROFILES else max(8, min(PUSH_SMALL, scale))
        # Redeems of one batch touch distinct profiles, so the pusher never has to cut a
        # batch short at an entry depending on an earlier one (see Pusher's ``cut``).
        return cls(min(scale, FIRST_SYNC_MAX_PROFILES), push, min(push, PUSH_BATCH))


def measure(run: BenchRun) -> dict[str, Any]:
    sizes = SyncSizes.at(run.scale)
    out: dict[str, Any] = {}
    out.update(first_sync(run, sizes.first_sync_profiles))
    out.update(push(run, sizes.push_entries, sizes.push_profiles))
    return out


# --------------------------------------------------------------------------- first sync


def raw_sqlite_seconds(path: Path, rows: int, page: int) -> float:
    """Seconds to insert ``rows`` rows of 12 columns with plain sqlite3 ``executemany``, WAL
    and ``synchronous=NORMAL`` as a till has, one transaction per ``page`` rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT,"
                     " e INTEGER, f INTEGER, g TEXT, h TEXT, i TEXT, j TEXT, k TEXT)")
        data = [(f"{n:036d}", "first", "last", "someone@example.com", "+61400000000", n, 1,
                 "2026-03-02T00:00:00+00:00", "2026-03-02T00:00:00+00:00", "gold", "{}", "x")
                for n in range(rows)]
        started = time.perf_counter()
        for start in range(0, rows, page):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                             data[start:start + page])
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()
        remove_sqlite_file(path)


def first_sync(run: BenchRun, profiles: int) -> dict[str, Any]:
    with hub_database("sqlite", run.workdir) as url:
        run.progress(f"syncload: building a hub of {profiles:,} profiles for the first sync")
        # The bench's own data set, at this size: the same rows a till would first-sync
        # from a chain's hub, written in seconds where the demo builder takes minutes.
        dataset.build(Path(url.removeprefix("sqlite:///")), Sizes.at(profiles), run.seed,
                      run.progress)
        token = store_token(url)
        till_path = run.workdir / "first-sync-till.db"
        with hub_server(url, run.workdir / "hub-first-sync.log") as hub:
            seen: list[Progress] = []

            def report(p: Progress) -> None:
                if p.phase == "first_sync":
                    if not seen or p.done - seen[-1].done >= 50_000 or p.done == p.total:
                        run.progress(f"syncload: first sync {p.done:,}/{p.total or 0:,} rows")
                    seen.append(p)

            till = Clienteling.open(str(till_path), mode="till")
            try:
                applying = _time_applies(till)
                with HubClient(hub.base_url, token, timeout=CLIENT_TIMEOUT_S) as client:
                    started = time.perf_counter()
                    cycle = run_cycle(till, client, progress=report)
                    seconds = time.perf_counter() - started
            finally:
                till.close()
                remove_sqlite_file(till_path)
    if cycle.error is not None or not seen or seen[-1].done != seen[-1].total:
        raise RuntimeError(f"the first sync did not finish: {cycle.error or 'no snapshot'}")
    rows = seen[-1].done
    run.progress(f"syncload: raw SQLite inserts of {rows:,} rows")
    raw = raw_sqlite_seconds(run.workdir / "raw-sqlite.db", rows, SNAPSHOT_PAGE)
    return {
        "first_sync_rows": rows,
        "first_sync_profiles": profiles,
        "first_sync_s": round(seconds, 3),
        "first_sync_rows_per_s": round(rows / seconds),
        # The till's share (checking and inserting the pages); the rest is the hub
        # reading and rendering them, and HTTP.
        "first_sync_till_s": round(applying[0], 3),
        "raw_sqlite_rows_per_s": round(rows / raw),
    }


def _time_applies(till: Clienteling) -> list[float]:
    """Seconds the till spends in ``remote.apply`` from now on (one-item list, added to).

    The engine's door is timed from outside, on this instance only, so the part needs no
    hook in the engine."""
    spent = [0.0]
    apply = till.remote.apply

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return apply(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    till.remote.apply = timed  # type: ignore[method-assign]
    return spent


# --------------------------------------------------------------------------- push


def push(run: BenchRun, entries: int, profiles: int) -> dict[str, Any]:
    with hub_database("sqlite", run.workdir) as url:
        run.progress(f"syncload: seeding a hub with {profiles} profiles for the push")
        # Balances that cover every amount redeem: the entries are meant to be applied.
        world = seed(url, profiles=profiles, cap=10**9, reward_value=Decimal(entries))
        till_path = run.workdir / "push-till.db"
        with hub_server(url, run.workdir / "hub-push.log") as hub, \
                HubClient(hub.base_url, world.token, timeout=CLIENT_TIMEOUT_S) as client:
            till = Clienteling.open(str(till_path), mode="till")
            try:
                synced = run_cycle(till, client)
                if synced.error is not None:
                    raise RuntimeError(f"the push till's first sync failed: {synced.error}")
                run.progress(f"syncload: queueing {entries:,} changes at the till")
                queue_changes(till, world.holdings, entries)
                queued = till.outbox.counts().pending
                run.progress(f"syncload: pushing {queued:,} queued changes")
                started = time.perf_counter()
                outcome = Pusher(till, client, batch=PUSH_BATCH).run()
                seconds = time.perf_counter() - started
                left = till.outbox.counts().pending
            finally:
                till.close()
                remove_sqlite_file(till_path)
    settled = outcome.applied + outcome.refused + outcome.parked
    return {
        "push_ops_per_s": round(settled / seconds, 1),
        "push_entries": queued,
        "push_all_applied": outcome.applied == queued and left == 0,
    }


def queue_changes(till: Clienteling, holdings: list[Any], entries: int) -> None:
    """``entries`` changes at the till, each one outbox entry: for every four, two benefit
    redeems, an amount redeem and a new profile."""
    actor = till.staff.sign_in(*ASSOCIATE)
    redeems = 0
    for i in range(entries):
        kind = i % 4
        if kind == 3:
            till.profiles.create(actor, {"first_name": "Pushed", "last_name": f"Customer {i}"})
            continue
        h = holdings[redeems % len(holdings)]
        redeems += 1
        if kind == 2:
            till.rewards.redeem_amount(actor, h.profile_id, "1.00", receipt=f"A-{i}")
        else:
            till.benefits.redeem(actor, h.profile_id, h.open_benefit_id, receipt=f"R-{i}")
