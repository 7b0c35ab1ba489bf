"""One sync cycle: push the outbox (in order), a first sync if this till never synced
(resumable), then pull the feed — and a report for the status bar.

``run_cycle`` never raises for network or hub trouble: it is in the ``CycleReport``. A 401
(token revoked or wrong) stops the cycle, and later cycles with the same token do not call
the hub again until a back-off has passed (30 s, doubling to an hour), so a till with a dead
token does not hammer the hub every 30 seconds; a new token starts afresh.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from clienteling.engine.services import Clienteling
from clienteling.sync import state
from clienteling.sync.backoff import Backoff
from clienteling.sync.client import (
    TOKEN_REJECTED,
    Cancelled,
    HubClient,
    HubFailed,
    HubUnreachable,
    SyncError,
    TokenRejected,
)
from clienteling.sync.first_sync import first_sync, needed
from clienteling.sync.progress import Progress
from clienteling.sync.puller import pull
from clienteling.sync.pusher import Pusher, notify_outbox
from clienteling.sync.verify import VerifyReport
from clienteling.sync.verify import verify as verify_with_hub

__all__ = ["Cancelled", "CycleReport", "Progress", "run_cycle"]

REJECTED_FIRST_WAIT = 30.0
REJECTED_MAX_WAIT = 3600.0


@dataclass(frozen=True)
class CycleReport:
    pushed: int
    pulled: int
    conflicts: int
    waiting: int
    online: bool
    synced_at: datetime | None
    error: str | None
    token_rejected: bool
    cancelled: bool
    verified: VerifyReport | None = None   # with verify=True, when the cycle got that far


def _fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def run_cycle(cl: Clienteling, client: HubClient, *,
              progress: Callable[[Progress], None] | None = None,
              cancel: threading.Event | None = None,
              verify: bool = False,
              force: bool = False,
              backoff: Backoff | None = None,
              batch: int = 200,
              stale_after: timedelta = timedelta(minutes=2)) -> CycleReport:
    """Push, first sync when needed, pull (see the module docstring). ``force``: entries
    waiting out a back-off are sent now, and a rejected token is tried again ("Sync now").
    ``stale_after``: an entry in flight for longer was left by a sender that crashed or was
    killed, and is sent again (same key: the hub applies it at most once)."""
    client.cancel = cancel
    now = cl.now()
    rejected = state.get(cl, state.REJECTED)
    if (not force and isinstance(rejected, dict)
            and rejected.get("token") == _fingerprint(client.token)
            and now < datetime.fromisoformat(rejected["until"])):
        return _report(cl, 0, 0, online=False, error=TOKEN_REJECTED, token_rejected=True)
    pusher = Pusher(cl, client, batch=batch, backoff=backoff, cancel=cancel, progress=progress,
                    force=force, stale_after=stale_after)
    pulled = 0
    checked: VerifyReport | None = None
    try:
        pusher.run()
        if needed(cl):
            pulled += first_sync(cl, client, cancel=cancel, progress=progress)
        pulled += pull(cl, client, cancel=cancel, progress=progress)
        if verify:
            if progress is not None:
                progress(Progress("verify", 0, 1))
            checked = verify_with_hub(cl, client, detail=True)
    except TokenRejected as exc:
        wait = REJECTED_FIRST_WAIT
        if isinstance(rejected, dict) and rejected.get("token") == _fingerprint(client.token):
            wait = min(REJECTED_MAX_WAIT, float(rejected.get("wait", wait)) * 2)
        state.put(cl, state.REJECTED, {
            "token": _fingerprint(client.token), "at": now.isoformat(), "wait": wait,
            "until": (now + timedelta(seconds=wait)).isoformat()})
        return _report(cl, pusher.outcome.applied, pulled, online=True, error=exc.message,
                       token_rejected=True, profile_ids=pusher.outcome.profile_ids)
    except HubUnreachable as exc:
        return _report(cl, pusher.outcome.applied, pulled, online=False, error=exc.message,
                       profile_ids=pusher.outcome.profile_ids)
    except (HubFailed, SyncError) as exc:
        return _report(cl, pusher.outcome.applied, pulled, online=True, error=exc.message,
                       profile_ids=pusher.outcome.profile_ids)
    except Cancelled:
        return _report(cl, pusher.outcome.applied, pulled, online=True, error="Sync was cancelled.",
                       cancelled=True, profile_ids=pusher.outcome.profile_ids)
    finally:
        client.cancel = None
    synced_at = cl.now()
    state.put(cl, state.LAST_SYNCED, synced_at.isoformat())
    if rejected is not None:
        state.put(cl, state.REJECTED, None)
    error = None
    if checked is not None and not checked.equal:
        error = checked.describe()
    return _report(cl, pusher.outcome.applied, pulled, online=True, error=error,
                   synced_at=synced_at, verified=checked, profile_ids=pusher.outcome.profile_ids)


def _report(cl: Clienteling, pushed: int, pulled: int, *, online: bool, error: str | None,
            token_rejected: bool = False, cancelled: bool = False,
            synced_at: datetime | None = None, verified: VerifyReport | None = None,
            profile_ids: set[str] | None = None) -> CycleReport:
    counts = cl.outbox.counts()
    if pushed or profile_ids:
        notify_outbox(cl, profile_ids or set())
    return CycleReport(pushed=pushed, pulled=pulled, conflicts=counts.conflicts,
                       waiting=counts.pending, online=online, synced_at=synced_at, error=error,
                       token_rejected=token_rejected, cancelled=cancelled, verified=verified)
