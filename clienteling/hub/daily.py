"""The daily run of reactions inside ``clienteling hub serve`` (SPEC 3.9 RX4): once when the
hub starts (catching up after downtime) and then every 24 hours, in a worker thread so
requests go on being answered. Each run covers, for every timezone, the local day it runs in
(docs/reactions.md); runs 24 hours apart cover consecutive days. With several workers or
several hub processes on one PostgreSQL database, each tries and only the one that gets the
run's advisory lock runs it (``engine.reactions.daily.run_lock``); the others skip.

For runs at an exact time, or to catch up a missed day, cron ``clienteling hub reactions run
[--at TIME]`` instead (or as well: a run that finds everything issued issues nothing)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from fastapi.concurrency import run_in_threadpool

from clienteling.engine.services import Clienteling

log = logging.getLogger("clienteling.hub")
DAY = 24 * 60 * 60.0


async def daily_runs(cl: Clienteling, *, every: float = DAY,
                     on_run: Callable[[object], None] | None = None) -> None:
    """Run until cancelled: a run now, then one every ``every`` seconds. A failed run is
    logged and tried again at the next one (what it committed stays; RX3)."""
    while True:
        try:
            result = await run_in_threadpool(cl.reactions.run_daily, None, cl.now())
            if result.ran:
                log.info("daily reactions run at %s issued %d %s", result.at.isoformat(),
                         result.total, dict(result.issued))
            if on_run is not None:
                on_run(result)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the daily reactions run failed; it is tried again at the next run")
        await asyncio.sleep(every)
