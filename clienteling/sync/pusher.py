"""Push the outbox to the hub, in order, unit by unit (SPEC §6).

Each claimed batch goes as one ``POST /sync/push`` (``hub.push``: a result per entry) or,
when the hub has no such route (404/405), as one call per entry with the same headers. For
each result, in order:

- ``applied``: the entry is done; the records it touched are re-read from the hub and
  written over the till's optimistic copy (the hub may have decided differently, e.g.
  re-planned which rewards a redeem drew from);
- ``refused``: the entry goes to Conflicts with the hub's code and message; the entries
  depending on it are parked ("depends on a refused change") and never sent; the records
  they touched are re-read from the hub (a record the hub never accepted is removed);
- ``retry`` (or no answer at all): back to pending with a back-off, same idempotency key.

A batch never holds an entry together with an earlier entry of another unit it depends on:
the pusher must see the earlier one's answer first, so a refusal parks the later one
instead of sending it. Records to re-read are remembered (``engine.services.refetch``, one
write transaction each) before any entry is settled, so a crash in between costs a re-read,
never a stale record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from pydantic import ValidationError

from clienteling.engine.changes import Area, Changes
from clienteling.engine.services import Clienteling
from clienteling.engine.services.outbox import OutboxItem, OutboxStateError
from clienteling.engine.services.snapshot import SYNC_TYPES
from clienteling.sync.backoff import Backoff
from clienteling.sync.client import Cancelled, HubClient, HubFailed, SyncError
from clienteling.sync.progress import Progress
from clienteling.sync.wire import (
    MAX_PUSH_ENTRIES,
    MAX_RECORD_IDS,
    PUSH_PATH,
    PushAnswer,
    PushBatch,
    PushEntry,
    PushResult,
    RecordsAnswer,
    result_of,
)

DEPENDS_ON_REFUSED = "Not sent: it depends on a change the hub refused"
Key = tuple[str, str]
_EPSILON = timedelta(microseconds=1)


@dataclass
class PushOutcome:
    applied: int = 0
    refused: int = 0
    parked: int = 0
    retried: int = 0
    single_calls: bool = False
    profile_ids: set[str] = field(default_factory=set)


def _depends(item: OutboxItem, units: set[str], changed: set[Key], referred: set[Key]) -> bool:
    """Does ``item`` depend on entries of another unit already in the batch (the outbox's
    own rule: sharing an entity one of the two creates or changes)?"""
    if item.unit_id in units:
        return False
    return any((t, i) in changed or (role != "ref" and (t, i) in referred)
               for t, i, role in item.entities)


def cut(items: list[OutboxItem]) -> tuple[list[OutboxItem], list[OutboxItem]]:
    """Split a claimed batch before the first entry depending on an earlier one of another
    unit: (to send now, to hand back)."""
    units: set[str] = set()
    changed: set[Key] = set()
    referred: set[Key] = set()
    for n, item in enumerate(items):
        if n and _depends(item, units, changed, referred):
            return items[:n], items[n:]
        units.add(item.unit_id)
        for t, i, role in item.entities:
            (referred if role == "ref" else changed).add((t, i))
    return items, []


def touched(items: Iterable[OutboxItem]) -> set[Key]:
    """The synced records these entries created or changed (what to re-read afterwards)."""
    return {(t, i) for item in items for t, i, role in item.entities
            if role != "ref" and t in SYNC_TYPES}


def entry_headers(item: OutboxItem) -> dict[str, str]:
    headers = {str(k): str(v) for k, v in (item.headers or {}).items()}
    if item.staff_id:
        headers["X-Staff-Id"] = item.staff_id
    headers["X-Occurred-At"] = item.occurred_at.isoformat()
    return headers


class Pusher:
    def __init__(self, cl: Clienteling, client: HubClient, *, batch: int = 200,
                 backoff: Backoff | None = None, cancel: threading.Event | None = None,
                 progress: Callable[[Progress], None] | None = None,
                 force: bool = False, stale_after: timedelta = timedelta(minutes=2)) -> None:
        self.cl = cl
        self.client = client
        self.batch = max(1, min(batch, MAX_PUSH_ENTRIES))
        self.backoff = backoff or Backoff()
        self.cancel = cancel
        self.progress = progress
        self.force = force
        self.stale_after = stale_after
        self.outcome = PushOutcome()
        self.records_route = True
        self.refetch = cl.refetch

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> PushOutcome:
        outbox = self.cl.outbox
        # In flight for longer than any send takes: their sender crashed or was killed. A
        # younger claim may belong to another process on this file (the app and the
        # command), which is still sending it.
        outbox.release_stale(self.cl.now() - self.stale_after + _EPSILON)
        self.refetch_remembered()
        if self.force:
            outbox.retry_now()
        total = outbox.counts().pending
        done = 0
        while True:
            if self.cancel is not None and self.cancel.is_set():
                raise Cancelled()
            claimed = outbox.claim_next(self.batch)
            if not claimed:
                break
            send, back = cut(claimed)
            for item in back:
                outbox.unclaim(item.seq)
            self._remember(touched(send))
            try:
                results = self._send(send)
            except (SyncError, Cancelled) as exc:
                self._retry_all(send, exc)
                raise
            self._settle(send, results)
            self.refetch_remembered()
            done += len(send)
            if self.progress is not None:
                self.progress(Progress("push", done, max(total, done)))
        return self.outcome

    # -- sending -------------------------------------------------------------------------------
    def _send(self, items: list[OutboxItem]) -> list[PushResult]:
        if not self.outcome.single_calls:
            response = self.client.send("POST", PUSH_PATH, json=push_body(items))
            if response.status_code == 413 and len(items) > 1:
                # Over the hub's 1 MiB: the same entries, in order, as two smaller pushes.
                half = len(items) // 2
                return self._send(items[:half]) + self._send(items[half:])
            if response.status_code in (404, 405):
                # An API with only the single calls: send those, for the rest of this cycle.
                self.outcome.single_calls = True
            elif response.status_code == 200:
                try:
                    answer = PushAnswer.model_validate(response.json())
                except ValueError as exc:
                    raise HubFailed(f"The hub's answer to a push is not understood: {exc}") \
                        from None
                if [r.key for r in answer.data] != [i.idempotency_key for i in items]:
                    raise HubFailed("The hub answered a push for other entries than were sent.")
                return answer.data
            else:
                raise HubFailed(f"The hub refused a push (HTTP {response.status_code}): "
                                f"{response.text[:300]}")
        return [self._send_one(item) for item in items]

    def _send_one(self, item: OutboxItem) -> PushResult:
        headers = entry_headers(item)
        headers["Idempotency-Key"] = item.idempotency_key
        response = self.client.send(item.method, item.path, json=item.body, headers=headers,
                                    attempts=1)
        return single_result(item.idempotency_key, response)

    # -- settling ------------------------------------------------------------------------------
    def _settle(self, items: list[OutboxItem], results: list[PushResult]) -> None:
        outbox = self.cl.outbox
        # What the hub applied is done, in one transaction for the batch — even one parked
        # behind a refusal in this batch: the hub did apply it. An entry another sender on
        # this till file settled first keeps that sender's answer.
        applied = [(item.seq, result.data) for item, result in zip(items, results, strict=True)
                   if result.status == "applied"]
        self.outcome.applied += len(applied) - len(outbox.mark_done_many(applied))
        parked: set[int] = set()
        for item, result in zip(items, results, strict=True):
            if item.profile_id:
                self.outcome.profile_ids.add(item.profile_id)
            try:
                if result.status == "applied":
                    continue
                elif item.seq in parked:
                    outbox.park(item.seq, DEPENDS_ON_REFUSED)
                    self.outcome.parked += 1
                elif result.status == "refused":
                    outbox.mark_conflict(item.seq, result.code or f"http_{result.http_status}",
                                         result.message or f"HTTP {result.http_status}",
                                         response=result.model_dump(exclude_none=True))
                    self.outcome.refused += 1
                    parked |= self._park_dependents(item.seq, {i.seq for i in items})
                else:
                    outbox.mark_retry(item.seq, result.message or "the hub asked to retry",
                                      self.backoff.next_at(self.cl.now(),
                                                           item.attempts))
                    self.outcome.retried += 1
            except OutboxStateError:
                # Another sender on this till file settled it first; its answer stands.
                continue

    def _park_dependents(self, seq: int, in_batch: set[int]) -> set[int]:
        """Park the entries behind a refused one that were not sent; return those that were
        (settled by the hub's answer, see ``_settle``)."""
        later: set[int] = set()
        items = []
        for dep in self.cl.outbox.dependents(seq):
            if dep in in_batch:
                later.add(dep)
                continue
            try:
                self.cl.outbox.park(dep, DEPENDS_ON_REFUSED)
            except OutboxStateError:
                continue
            self.outcome.parked += 1
            items.append(self.cl.outbox.get(dep))
        self._remember(touched(items))
        return later

    def _retry_all(self, items: list[OutboxItem], exc: BaseException) -> None:
        now = self.cl.now()
        reason = getattr(exc, "message", None) or "cancelled before the hub answered"
        for item in items:
            try:
                if isinstance(exc, Cancelled):
                    self.cl.outbox.unclaim(item.seq)
                else:
                    self.cl.outbox.mark_retry(item.seq, reason,
                                              self.backoff.next_at(now, item.attempts))
                    self.outcome.retried += 1
            except OutboxStateError:
                continue

    # -- the hub's version of what was touched -------------------------------------------------
    def _remember(self, keys: set[Key]) -> None:
        # One write transaction (``RefetchService``): another process pushing from this till
        # file cannot write over what this one adds.
        self.refetch.remember(keys)

    def refetch_remembered(self) -> None:
        """Re-read the remembered records from the hub and apply them (those the hub does not
        have are removed); a record with a change still waiting is left to that change, and
        stays remembered: its sender (maybe another process on this file, which remembered
        it before sending) reads it back once the hub has answered. Only what was read back
        is forgotten, and not if it was remembered again meanwhile."""
        read = self.refetch.remembered()
        if not read:
            return
        if self.records_route:
            entries = self.fetch_records(list(read))
            if entries is not None:
                skipped = set(self.cl.remote.apply(entries).skipped)
                read = {k: m for k, m in read.items() if k not in skipped}
        self.refetch.forget(read)

    def fetch_records(self, keys: list[Any]) -> list[dict[str, Any]] | None:
        by_type: dict[str, list[str]] = {}
        for entity_type, ident in keys:
            by_type.setdefault(entity_type, []).append(ident)
        entries: list[dict[str, Any]] = []
        for entity_type in SYNC_TYPES:
            ids = by_type.get(entity_type, [])
            for start in range(0, len(ids), MAX_RECORD_IDS):
                response = self.client.send("GET", "/sync/records", params={
                    "type": entity_type, "id": ids[start:start + MAX_RECORD_IDS]})
                if response.status_code in (404, 405):
                    # A hub without the route: the change feed brings what it can.
                    self.records_route = False
                    return None
                if response.status_code != 200:
                    raise HubFailed(f"The hub refused to read records back (HTTP "
                                    f"{response.status_code}): {response.text[:200]}")
                entries += [e.for_remote() for e in
                            RecordsAnswer.model_validate(response.json()).data]
        return entries


def push_body(items: list[OutboxItem]) -> dict[str, Any]:
    """The ``POST /sync/push`` body for ``items``, built by the models the hub checks it
    with (``wire.PushBatch``): an entry the hub would refuse as malformed fails here."""
    try:
        batch = PushBatch(entries=[
            PushEntry(key=i.idempotency_key, method=i.method, path=i.path, body=i.body,
                      headers=entry_headers(i)) for i in items])
    except ValidationError as exc:
        raise HubFailed(f"An outbox entry cannot be sent: {exc}") from None
    return batch.model_dump(exclude_none=True)


def single_result(key: str, response: httpx.Response) -> PushResult:
    """A single call's answer as a push result, classified as the hub classifies each
    entry of a push (``wire.result_of``)."""
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    return result_of(key, response.status_code, body,
                     replayed=response.headers.get("idempotent-replayed") == "true")


def notify_outbox(cl: Clienteling, profile_ids: Iterable[str]) -> None:
    """The outbox's moves fire no change notices: tell the status bar and Conflicts."""
    cl.notify(Changes(frozenset({Area.OUTBOX}), frozenset(profile_ids), origin="local"))
