"""Sync's two SPEC §8 rows: first sync end to end against raw SQLite inserts, and the push
of queued changes (``first_sync_rows_per_s``, ``raw_sqlite_rows_per_s``, ``first_sync_rows``,
``push_ops_per_s``).

Both go through the till's own entry points against ``clienteling hub serve`` on loopback,
in its own process, with a SQLite hub database:

- **first sync**: a hub serving a copy of the whole data set (``run.db_path``, built by
  :mod:`clienteling.bench.dataset`: every profile with its 3 benefits, 2 rewards and card,
  the 350 definitions, the staff; ``first_sync_profiles``), an empty till file, and
  ``run_cycle`` timed from start to "synced" (push of an empty outbox, the snapshot pages,
  the feed). Then, on the same disk in the same run, as many rows of a 12-column table
  inserted with plain ``sqlite3`` ``executemany`` in pages of the same size: the floor
  SPEC §8's "within 3× of raw SQLite" compares with. ``first_sync_till_s`` is the time
  the till spent applying pages (the rest: the hub and HTTP); ``first_sync_till_cpu_s``
  and ``first_sync_hub_cpu_s`` the CPU seconds of the till's process (applying, and
  reading the next page beside it) and of the hub's, so a run on a shared machine still
  says where the work went (null without Linux's /proc).
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

from clienteling.bench.hubload import cpu_seconds
from clienteling.bench.hubserver import (
    ASSOCIATE,
    copy_sqlite_file,
    hub_database,
    hub_server,
    remove_sqlite_file,
    seed,
    store_token,
)
from clienteling.bench.run import FULL_PROFILES, BenchRun
from clienteling.engine.services import Clienteling
from clienteling.sync.client import HubClient
from clienteling.sync.cycle import run_cycle
from clienteling.sync.first_sync import SNAPSHOT_PAGE
from clienteling.sync.progress import Progress
from clienteling.sync.pusher import Pusher

PUSH_FULL = 2000
PUSH_SMALL = 300
PUSH_BATCH = 200
#: Seconds the till waits for one answer: a page of 5,000 rows on a busy machine.
CLIENT_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class SyncSizes:
    push_entries: int
    push_profiles: int

    @classmethod
    def at(cls, scale: int) -> SyncSizes:
        """Full sizes at SPEC §8's scale; the small ones below it, fewer still for the tiny
        scales tests use."""
        push = PUSH_FULL if scale >= FULL_PROFILES else max(8, min(PUSH_SMALL, scale))
        # Redeems of one batch touch distinct profiles, so the pusher never has to cut a
        # batch short at an entry depending on an earlier one (see Pusher's ``cut``).
        return cls(push, min(push, PUSH_BATCH))


def measure(run: BenchRun) -> dict[str, Any]:
    sizes = SyncSizes.at(run.scale)
    out: dict[str, Any] = {}
    out.update(first_sync(run))
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


def first_sync(run: BenchRun) -> dict[str, Any]:
    hub_path = run.workdir / "first-sync-hub.db"
    till_path = run.workdir / "first-sync-till.db"
    try:
        run.progress(f"syncload: copying the data set ({run.sizes.profiles:,} profiles) "
                     "for the first sync's hub")
        # The bench's own data set, whole: the rows a till joining the chain pulls. A copy,
        # because the hub writes (the token below, its own bookkeeping) and later parts
        # measure the data set itself.
        copy_sqlite_file(run.db_path, hub_path)
        url = f"sqlite:///{hub_path}"
        token = store_token(url)
        with hub_server(url, run.workdir / "hub-first-sync.log") as hub:
            seen: list[Progress] = []
            told = [0]  # rows done when progress was last printed

            def report(p: Progress) -> None:
                if p.phase == "first_sync":
                    if not seen or p.done - told[0] >= 250_000 or p.done == p.total:
                        run.progress(f"syncload: first sync {p.done:,}/{p.total or 0:,} rows")
                        told[0] = p.done
                    seen.append(p)

            till = Clienteling.open(str(till_path), mode="till")
            try:
                applying = _time_applies(till)
                with HubClient(hub.base_url, token, timeout=CLIENT_TIMEOUT_S) as client:
                    cpu_before = cpu_seconds(hub.pid)
                    started = time.perf_counter()
                    cycle = run_cycle(till, client, progress=report)
                    seconds = time.perf_counter() - started
                    cpu_after = cpu_seconds(hub.pid)
            finally:
                till.close()
    finally:
        remove_sqlite_file(till_path)
        remove_sqlite_file(hub_path)
    if cycle.error is not None or not seen or seen[-1].done != seen[-1].total:
        raise RuntimeError(f"the first sync did not finish: {cycle.error or 'no snapshot'}")
    rows = seen[-1].done
    run.progress(f"syncload: raw SQLite inserts of {rows:,} rows")
    raw = raw_sqlite_seconds(run.workdir / "raw-sqlite.db", rows, SNAPSHOT_PAGE)

    def cpu(side: str) -> float | None:
        if side not in cpu_before:
            return None
        return round(cpu_after[side] - cpu_before[side], 3)

    return {
        "first_sync_rows": rows,
        "first_sync_profiles": run.sizes.profiles,
        "first_sync_s": round(seconds, 3),
        "first_sync_rows_per_s": round(rows / seconds),
        # The till's share (checking and inserting the pages); the rest is the hub
        # reading and rendering them, and HTTP.
        "first_sync_till_s": round(applying[0], 3),
        "first_sync_till_cpu_s": cpu("load_generator"),
        "first_sync_hub_cpu_s": cpu("hub"),
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
