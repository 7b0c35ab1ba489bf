"""Fixtures shared by every test: a real SQLite file, a fixed clock, a store with one
staff member of each role."""

from __future__ import annotations

import shutil
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


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, str]]:
    """A migrated database with the store and staff, made once: hashing three PINs with argon2
    is deliberately slow, so each test copies this file instead."""
    path = tmp_path_factory.mktemp("template") / "till.db"
    cl = Clienteling.open(f"sqlite:///{path}", clock=FixedClock(T0))
    store = cl.staff.create_store(None, {"name": "Melbourne Central", "timezone": "Australia/Melbourne"})
    staff = {}
    for username, name, role, pin in STAFF:
        member = cl.staff.create_staff(
            None, {"username": username, "display_name": name, "role": role, "store_id": store.id,
                   "pin": pin},
        )
        staff[role] = member.id
    cl.close()  # the last connection to close checkpoints the WAL into the file
    return path, store.id, staff


STAFF = (
    ("ava", "Ava", "associate", "4821"),
    ("max", "Max", "manager", "731405"),
    ("ada", "Ada", "admin", "905238"),
)


@pytest.fixture
def world(
    tmp_path: Path, clock: FixedClock, world_template: tuple[Path, str, dict[str, str]]
) -> Iterator[World]:
    template, store_id, staff = world_template
    path = tmp_path / "till.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    cl = Clienteling.open(url, clock=clock)
    actors = (cl.staff.actor(staff[role]) for role in ("associate", "manager", "admin"))
    w = World(cl, clock, url, store_id, *actors)
    yield w
    cl.close()
