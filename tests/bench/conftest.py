"""A small bench data set, built once per session with a fixed clock; tests that change
data work on their own copy."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clienteling.bench.dataset import build
from clienteling.bench.run import BenchRun, Sizes
from clienteling.engine.clock import FixedClock

#: SPEC §8's 300 and 50 definitions, with a thousand profiles.
SMALL = Sizes(profiles=1000, benefits=3000, rewards=2000)
NOW = datetime(2026, 3, 4, 5, 6, 7, 891_011, tzinfo=UTC)


def build_small(path: Path, seed: int = 1) -> dict[str, object]:
    return build(path, SMALL, seed, lambda _m: None, clock=FixedClock(NOW))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The session's data set (read only) and what ``build`` returned."""
    path = tmp_path_factory.mktemp("bench") / "bench.db"
    return path, build_small(path)


@pytest.fixture(scope="session")
def built_now(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data set built on the system clock, as the command builds it: the parts measure on
    the system clock, so its benefits and rewards must be live now."""
    path = tmp_path_factory.mktemp("bench-now") / "bench.db"
    build(path, SMALL, 1, lambda _m: None)
    return path


@pytest.fixture
def bench_run(built_now: Path, tmp_path: Path) -> BenchRun:
    """A run on a copy of the system-clock data set, for a part that redeems."""
    db = tmp_path / "bench.db"
    shutil.copyfile(built_now, db)
    work = tmp_path / "work"
    work.mkdir()
    messages: list[str] = []
    return BenchRun(scale=SMALL.profiles, sizes=SMALL, db_path=db, workdir=work, seed=3,
                    progress=messages.append)
