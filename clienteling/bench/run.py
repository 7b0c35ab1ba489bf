"""What every part of ``clienteling bench`` is given, and the statistics they report."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: SPEC §8's full size; ``--scale N`` sets the profiles and the rest follows these ratios.
FULL_PROFILES = 1_000_000
BENEFITS_PER_PROFILE = 3
REWARDS_PER_PROFILE = 2
BENEFIT_DEFINITIONS = 300
REWARD_DEFINITIONS = 50


@dataclass(frozen=True)
class Sizes:
    """The sizes a run used; printed under ``sizes`` so runs can be compared."""

    profiles: int
    benefits: int
    rewards: int
    benefit_definitions: int = BENEFIT_DEFINITIONS
    reward_definitions: int = REWARD_DEFINITIONS

    @classmethod
    def at(cls, scale: int) -> Sizes:
        return cls(scale, scale * BENEFITS_PER_PROFILE, scale * REWARDS_PER_PROFILE)


@dataclass
class BenchRun:
    """One run: the built till database and where parts may put their own files.

    ``db_path`` is the SQLite till database holding the data set (migrated, with staff
    that may sign in: see :mod:`clienteling.bench.dataset`). ``pg_url`` is a PostgreSQL
    server URL to create throwaway databases on, or None when none answers (the
    PostgreSQL keys are then null, with the reason under ``skipped``).
    """

    scale: int
    sizes: Sizes
    db_path: Path
    workdir: Path
    seed: int = 1
    pg_url: str | None = None
    progress: Callable[[str], None] = print
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0–100) by the nearest-rank method: a value actually seen."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    """Seconds as milliseconds, rounded for the JSON (three decimals: microseconds)."""
    return round(seconds * 1000, 3)
