"""Fixtures shared by every test: a real SQLite file, a fixed clock, a store with one
staff member of each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clienteling.engine.clock import FixedClock
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling

# A Monday, 10:00 in Melbourne (AEDT, UTC+11).
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@dataclass
class World:
    cl: Clienteling
    clock: FixedClock
    url: str
    store_id: str
    associate: Actor
    manager: Actor
    admin: Actor

    def actor(self, role: str) -> Actor:
        return {"associate": self.associate, "manager": self.manager, "admin": self.admin}[role]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'till.db'}"


@pytest.fixture
def world(db_url: str, clock: FixedClock) -> Iterator[World]:
    cl = Clienteling.open(db_url, clock=clock)
    store = cl.staff.create_store(None, {"name": "Melbourne Central", "timezone": "Australia/Melbourne"})
    for username, name, role, pin in (
        ("ava", "Ava", "associate", "4821"),
        ("max", "Max", "manager", "7314"),
        ("ada", "Ada", "admin", "9052"),
    ):
        cl.staff.create_staff(
            None, {"username": username, "display_name": name, "role": role, "store_id": store.id,
                   "pin": pin},
        )
    w = World(
        cl, clock, db_url, store.id,
        cl.staff.sign_in("ava", "4821"), cl.staff.sign_in("max", "7314"), cl.staff.sign_in("ada", "9052"),
    )
    yield w
    cl.close()
