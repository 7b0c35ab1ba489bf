"""First run on an empty till, against a real hub on loopback holding 100,000 profiles
(issue 8, must-show 9): "Connect to a hub", the first sync's progress with Cancel, and a
resume that carries on where it stopped; then the sign-in screen lists the hub's staff."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from clienteling.sync import state as sync_state
from clienteling.sync.progress import Progress
from clienteling.ui.main_window import MainWindow
from clienteling.ui.sync import progress_dialog
from clienteling.ui.sync.first_run import CONNECT, FirstRunDialog
from clienteling.ui.sync.network import Outcome
from tests.ui.conftest import LARGE_PROFILES
from tests.ui.hub_support import HubWorld, MemoryKeyring, start_hub_from, stop_hub

SYNC_TIMEOUT = 120_000


@pytest.fixture
def large_hub(large_template: Path, tmp_path: Path, clock: FixedClock,
              memory_keyring: MemoryKeyring) -> Iterator[HubWorld]:
    world = start_hub_from(large_template, tmp_path / "hub.db", clock)
    yield world
    stop_hub(world)


@pytest.fixture
def empty_window(qtbot: Any, tmp_path: Path, clock: FixedClock) -> Iterator[MainWindow]:
    window = MainWindow.create(f"sqlite:///{tmp_path / 'till.db'}", clock=clock)
    window.show()
    yield window
    violations = list(window.guard.violations) if window.guard else []
    window.close()
    assert violations == [], f"SQL ran on the GUI thread: {violations[:3]}"


def _done(outcome: Outcome) -> bool:
    return outcome.report is not None and not outcome.report.cancelled


def test_connect_on_first_run_then_cancel_the_first_sync_and_resume(
        qtbot: Any, empty_window: MainWindow, large_hub: HubWorld) -> None:
    w = empty_window
    qtbot.waitUntil(lambda: w.sync.last is not None, timeout=10_000)  # the start-up cycle
    assert w.sync.last is not None and w.sync.last.report is None  # no hub yet
    assert w.signin.model.rowCount() == 0

    ask = FirstRunDialog(w)
    ask.show()
    qtbot.mouseClick(ask.connect_choice, Qt.MouseButton.LeftButton)
    ask.url_field.setText(large_hub.url)
    qtbot.keyClicks(ask.token_field, large_hub.token)
    qtbot.mouseClick(ask.connect_button, Qt.MouseButton.LeftButton)
    # Accepted once the hub has proven the URL and token (issue 16).
    qtbot.waitUntil(lambda: ask.choice == CONNECT, timeout=SYNC_TIMEOUT)
    assert (ask.choice, ask.url, ask.token) == (CONNECT, large_hub.url, large_hub.token)

    # The progress dialog appears only once the first sync has taken a while (GUIDE 3).
    assert progress_dialog.SHOW_AFTER_MS == 600
    w.connect_first_run(ask.url, ask.token)
    qtbot.waitUntil(lambda: w.sync_progress is not None and w.sync_progress.isVisible()
                    and w.sync_progress.last is not None, timeout=SYNC_TIMEOUT)
    dialog = w.sync_progress
    assert dialog is not None and dialog.last is not None
    assert dialog.last.phase == "first_sync"
    assert dialog.last.total is not None and 0 < dialog.last.done < dialog.last.total
    assert "Reading the hub's records" in dialog.label.text()

    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT) as finished:
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    report = finished.args[0].report
    assert report is not None and report.cancelled
    assert w.sync_progress is None
    assert "carries on" in w.status_message.text()

    def resume_point(cl: Clienteling) -> Any:
        return sync_state.get(cl, sync_state.FIRST_SYNC)

    stopped_at = w.worker.run_sync(resume_point, w.engine)["done"]
    assert 0 < stopped_at < LARGE_PROFILES

    # The next sync carries on from there: its first page is past what was already read.
    seen: list[Progress] = []
    w.sync.progressed.connect(seen.append)
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT, check_params_cb=_done) as again:
        w.sync.sync_now()
    assert again.args[0].report.online and again.args[0].report.error is None
    first = [p for p in seen if p.phase == "first_sync"]
    assert first and first[0].done > stopped_at
    assert first[-1].done == first[-1].total
    assert w.worker.run_sync(resume_point, w.engine) is None
    assert w.worker.run_sync(lambda: w.engine.profiles.count()) == LARGE_PROFILES

    # Sign-in lists the staff the hub sent who may act on this till: its store's associate and
    # manager; the admin acts only on an admin device (issue 9), so the hub withheld her PIN.
    qtbot.waitUntil(lambda: sorted(r.username for r in w.signin.model.rows) == ["ava", "max"],
                    timeout=10_000)
    qtbot.waitUntil(lambda: "Melbourne Central" in w.brand_store.text(), timeout=10_000)
