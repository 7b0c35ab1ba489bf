"""Fixtures for the desktop app's tests: Qt offscreen, a demo database (copied per test),
a 100,000-profile database (built once and cached), and signed-in main windows."""

from __future__ import annotations

import hashlib
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["CLIENTELING_THEME"] = "light"

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from sqlalchemy import insert

from clienteling.demo import JANE_CARD, create_demo
from clienteling.engine.clock import FixedClock
from clienteling.engine.db import MIGRATIONS
from clienteling.engine.models import Identity, Profile
from clienteling.engine.services import Clienteling
from clienteling.engine.services.profiles import name_key, phone_key
from clienteling.ui import build_main_window
from clienteling.ui.main_window import MainWindow
from tests.conftest import T0
from tests.internals import database_of
from tests.ui.hub_support import HubWorld, MemoryKeyring, start_hub_from, stop_hub

PINS = {"ava": "4821", "max": "731405", "ada": "905238"}
DEMO_PROFILES = 200
LARGE_PROFILES = 100_000

__all__ = ["JANE_CARD", "PINS", "T0"]


@pytest.fixture(autouse=True)
def _log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIENTELING_LOG_DIR", str(tmp_path / "logs"))


@pytest.fixture(autouse=True)
def _no_unexpected_discard_question(monkeypatch: pytest.MonkeyPatch) -> None:
    """An editor's "Discard changes?" is a modal box that would wait for ever offscreen: a
    test that meets one it did not ask for fails at once (tests of the question replace
    ``ask_discard`` themselves)."""
    from clienteling.ui.common.versioned_editor import VersionedEditor

    def unexpected(self: VersionedEditor, question: str) -> bool:
        raise AssertionError(f"unexpected question: {question}")

    monkeypatch.setattr(VersionedEditor, "ask_discard", unexpected)


def _copy_database(source: Path, target: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{source}{suffix}")
        if src.exists():
            shutil.copyfile(src, f"{target}{suffix}")
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store (Melbourne Central, ava/max/ada, Jane Citizen, …) made once per run."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    create_demo(f"sqlite:///{path}", profiles=DEMO_PROFILES, clock=FixedClock(T0))
    return path


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the demo database for one test."""
    return _copy_database(demo_template, tmp_path / "till.db")


def _schema_key() -> str:
    """Changes with every migration and with the size: a hash, since the names joined outgrew
    a file name (cut short, a new migration kept a stale cached database)."""
    names = "-".join(sorted(p.stem for p in (MIGRATIONS / "versions").glob("*.py")))
    return hashlib.sha256(f"{names}:{LARGE_PROFILES}".encode()).hexdigest()[:16]


def _build_large(path: Path) -> None:
    """Staff and store from the demo (no profiles), then 100,000 profiles with cards in bulk."""
    url = f"sqlite:///{path}"
    create_demo(url, profiles=1, clock=FixedClock(T0))
    cl = Clienteling.open(url)
    first = ("Olivia", "Noah", "Amelia", "Jack", "Mia", "Leo", "Isla", "Oliver", "Ava", "Henry")
    last = ("Smith", "Nguyen", "Brown", "Wilson", "Taylor", "Chen", "Patel", "Kelly", "Ryan", "Lee")
    try:
        batch: list[dict[str, Any]] = []
        cards: list[dict[str, Any]] = []
        for i in range(1, LARGE_PROFILES):
            f, la = first[i % 10], last[(i // 10) % 10]
            pid = str(uuid.UUID(int=i))
            phone = f"04{i:08d}"
            batch.append({
                "id": pid, "first_name": f, "last_name": la, "email": f"{f}.{la}{i}@example.com".lower(),
                "mobile_phone": phone, "tier": "silver", "attributes": {},
                "name_key": name_key(f, la), "last_name_key": la.lower(),
                "email_key": f"{f}.{la}{i}@example.com".lower(), "phone_key": phone_key(phone),
                "created_at": T0, "updated_at": T0,
            })
            cards.append({"id": str(uuid.UUID(int=10**9 + i)), "profile_id": pid, "handle": "card",
                          "identifier": str(5000000000000 + i)})
            if len(batch) == 10_000:
                with database_of(cl).write() as s:
                    s.execute(insert(Profile), batch)
                    s.execute(insert(Identity), cards)
                batch, cards = [], []
        if batch:
            with database_of(cl).write() as s:
                s.execute(insert(Profile), batch)
                s.execute(insert(Identity), cards)
    finally:
        cl.close()


@pytest.fixture(scope="session")
def large_template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100,000 profiles, built with bulk inserts and cached in pytest's cache folder."""
    cache_dir = Path(request.config.cache.mkdir("clienteling-ui-100k"))
    path = cache_dir / f"large-{_schema_key()}.db"
    done = Path(f"{path}.ok")
    if not done.exists():
        for stale in cache_dir.glob("large-*"):
            stale.unlink()
        _build_large(path)
        done.write_text("ok")
    return path


@pytest.fixture
def large_url(large_template: Path, tmp_path: Path) -> str:
    return _copy_database(large_template, tmp_path / "large.db")


def _close_dialogs_of(window: QWidget) -> None:
    """A dialog a test left open outlives its window's ``close()`` (it is a top-level of its
    own) and would be found, visible and modal, by a later test looking for one of that name."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible() and _belongs_to(widget, window):
            widget.reject()


def _belongs_to(widget: QWidget, window: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if parent is window:
            return True
        parent = parent.parentWidget()
    return False


@pytest.fixture
def open_window(qtbot: Any, demo_url: str, clock: FixedClock) -> Iterator[Callable[..., MainWindow]]:
    """``open_window("ava")``: a shown main window signed in on the demo database."""
    windows: list[MainWindow] = []

    def make(username: str = "ava", *, url: str | None = None,
             idle_lock_ms: int | None = None) -> MainWindow:
        window = build_main_window(url or demo_url, username, PINS[username], clock=clock,
                                   idle_lock_ms=idle_lock_ms)
        windows.append(window)
        with qtbot.waitActive(window):  # keyboard shortcuts need the active window
            window.show()
            window.activateWindow()
        return window

    yield make
    for window in windows:
        violations = list(window.guard.violations) if window.guard else []
        _close_dialogs_of(window)
        window.close()
        assert violations == [], f"SQL ran on the GUI thread: {violations[:3]}"


# --------------------------------------------------------------------------- a hub for sync


@pytest.fixture
def memory_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """An in-memory keyring (``keyring.set_keyring``) and a private config folder, so no real
    keyring or token file is touched."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def till_hub(demo_template: Path, tmp_path: Path, clock: FixedClock,
             memory_keyring: MemoryKeyring) -> Iterator[HubWorld]:
    """A hub over a copy of the demo whose token enrols a till, not an admin device (where no
    admin ever signs in), with an in-memory keyring for the till's token."""
    world = start_hub_from(demo_template, tmp_path / "hub.db", clock)
    yield world
    stop_hub(world)


@pytest.fixture
def demo_hub(demo_template: Path, tmp_path: Path, clock: FixedClock,
             memory_keyring: MemoryKeyring) -> Iterator[HubWorld]:
    """A real hub on loopback holding the same demo store as the till. Its token enrols an admin
    device (the back office, issue 9): these tests sign in as the demo's admin too, to connect
    the till and to edit definitions, which only an admin device may do."""
    world = start_hub_from(demo_template, tmp_path / "hub.db", clock, admin_device=True)
    yield world
    stop_hub(world)
