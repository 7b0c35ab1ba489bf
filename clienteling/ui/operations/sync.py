"""Sync on the engine worker: what the outbox holds (changes waiting, conflicts).

The sync cycles themselves will run on the network worker
(:class:`clienteling.ui.worker.NetworkWorker`)."""

from __future__ import annotations

from clienteling.engine.services import Clienteling, OutboxCounts


def outbox_counts(cl: Clienteling) -> OutboxCounts:
    return cl.outbox.counts()
