"""The parts of the screen a change can make stale (``Area``), in a module of their own so
that the registry of synced types (``engine.entities``), which names each type's areas, and
the change notices (``engine.changes``), which read them from the registry, import it
without importing each other.

It is a ``StrEnum`` so code that compares with the plain strings ("rewards" in
changes.areas) keeps working.
"""

from __future__ import annotations

from enum import StrEnum


class Area(StrEnum):
    STAFF = "staff"
    PROFILE = "profile"
    DEFINITIONS = "definitions"
    BENEFITS = "benefits"
    CLAIMABLE = "claimable"
    HISTORY = "history"
    REWARDS = "rewards"
    OUTBOX = "outbox"
