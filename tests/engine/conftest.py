"""Fixtures of the engine's tests beyond ``tests/conftest.py``'s till."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from tests.conftest import T0, World


@pytest.fixture
def hub(tmp_path: Path, world_template: tuple[Path, str, dict[str, str]]) -> Iterator[World]:
    """The template's store and staff opened as a hub (every write journalled for the feed)."""
    template, store_id, staff = world_template
    shutil.copyfile(template, tmp_path / "hub.db")
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    clock = FixedClock(T0)
    cl = Clienteling.open(url, clock=clock, mode="hub")
    actors = (cl.staff.actor(staff[role]) for role in ("associate", "manager", "admin"))
    yield World(cl, clock, url, store_id, *actors)
    cl.close()
