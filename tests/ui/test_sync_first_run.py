"""Getting ready is a state (SPEC §6, issue 16), against a real hub on loopback holding 100,000
profiles: a new till shows the welcome choice, never sign-in; "Connect to a hub" runs the first
sync on the getting-ready page ("Getting this till ready: 25,000 of 100,001", a progress bar,
Cancel); a cancel leaves the till on that page with Resume, never a counter; after a restart
the first sync resumes by itself on the same page, with no dialog; when it is done the
sign-in screen opens with the hub's staff."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from clienteling.sync import state as sync_state
from clienteling.ui.main_window import MainWindow
from clienteling.ui.sync.first_run import FirstRunDialog
from clienteling.ui.sync.getting_ready import (
    TOKEN_REFUSED,
    GettingReadyPage,
    count_text,
    percent,
)
from clienteling.ui.sync.network import Outcome
from tests.ui.conftest import LARGE_PROFILES
from tests.ui.hub_support import HubWorld, MemoryKeyring, start_hub_from, stop_hub

SYNC_TIMEOUT = 120_000
COUNT = re.compile(r"^Getting this till ready: (\d{1,3}(?:,\d{3})*) of (\d{1,3}(?:,\d{3})*)")


@pytest.fixture
def large_hub(large_template: Path, tmp_path: Path, clock: FixedClock,
              memory_keyring: MemoryKeyring) -> Iterator[HubWorld]:
    world = start_hub_from(large_template, tmp_path / "hub.db", clock)
    yield world
    stop_hub(world)


def _open(qtbot: Any, path: Path, clock: FixedClock) -> MainWindow:
    window = MainWindow.create(f"sqlite:///{path}", clock=clock)
    window.show()
    return window


def _close(window: MainWindow) -> None:
    violations = list(window.guard.violations) if window.guard else []
    window.close()
    assert violations == [], f"SQL ran on the GUI thread: {violations[:3]}"


def _dialogs(window: MainWindow) -> list[QDialog]:
    return [d for d in window.findChildren(QDialog) if d.isVisible()]


def _done(outcome: Outcome) -> bool:
    return outcome.report is not None and not outcome.report.cancelled


def _resume_point(cl: Clienteling) -> Any:
    return sync_state.get(cl, sync_state.FIRST_SYNC)


def test_counts_are_said_with_thousands_separators() -> None:
    assert count_text(25_000, 319_206) == "Getting this till ready: 25,000 of 319,206"
    assert percent(25_000, 319_206) == 7 and percent(319_205, 319_206) == 99
    assert percent(319_206, 319_206) == 100 and percent(5, None) is None


def test_the_refused_token_message_is_shown_whole(qtbot: Any) -> None:
    """The page's message wraps to as many lines as it needs: the card once took its size
    hint, and the three lines of a refused token were cut to two half-lines."""
    page = GettingReadyPage()
    qtbot.addWidget(page)
    page.resize(1280, 800)
    page.show()
    page.show_running(25_000, 319_206)
    page.show_stopped(TOKEN_REFUSED, reconnect=True)
    problem = page.problem
    qtbot.waitUntil(lambda: problem.isVisible() and problem.width() > 0, timeout=5_000)
    lines = problem.heightForWidth(problem.width()) // problem.fontMetrics().lineSpacing()
    assert lines >= 3
    qtbot.waitUntil(lambda: problem.height() >= problem.heightForWidth(problem.width()),
                    timeout=5_000)


def test_a_new_till_offers_connect_or_demo_never_sign_in(qtbot: Any, tmp_path: Path,
                                                         clock: FixedClock) -> None:
    w = _open(qtbot, tmp_path / "till.db", clock)
    try:
        assert w.stack.currentWidget() is w.getting_ready
        page = w.getting_ready
        assert page.connect_button.isVisible() and page.demo_button.isVisible()
        assert not page.cancel_button.isVisible()
        assert "no data yet" in page.text
        assert w.sync_status.text == "Not connected to a hub"
        # "Connect to a hub" opens the URL and token form with the focus in the URL field.
        qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
        form = next(d for d in _dialogs(w) if isinstance(d, FirstRunDialog))
        assert form.pages.currentIndex() == 1
        qtbot.waitUntil(lambda: form.focusWidget() is form.url_field, timeout=5_000)
        form.reject()
        # "Try it with demo data": the demo store, then sign-in (a standalone till).
        qtbot.mouseClick(page.demo_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: w.stack.currentWidget() is w.signin, timeout=60_000)
        qtbot.waitUntil(lambda: w.signin.model.rowCount() > 0, timeout=10_000)
        assert w.sync_status.text == "Demo · not connected"
    finally:
        _close(w)


def test_getting_ready_cancel_restart_resume_then_sign_in(
        qtbot: Any, tmp_path: Path, clock: FixedClock, large_hub: HubWorld) -> None:
    till = tmp_path / "till.db"
    w = _open(qtbot, till, clock)
    try:
        w.connect_first_run(large_hub.url, large_hub.token)
        page = w.getting_ready
        assert w.stack.currentWidget() is page

        def counting() -> bool:
            m = COUNT.match(page.text)
            return bool(m) and 0 < int(m[1].replace(",", "")) < int(m[2].replace(",", ""))

        qtbot.waitUntil(counting, timeout=SYNC_TIMEOUT)
        m = COUNT.match(page.text)
        assert m is not None and int(m[2].replace(",", "")) > LARGE_PROFILES  # + staff, stores…
        assert page.bar.maximum() == int(m[2].replace(",", "")) and page.bar.value() > 0
        assert re.fullmatch(r"Getting ready \d{1,2} %", w.sync_status.text), w.sync_status.text
        assert page.cancel_button.isVisible() and _dialogs(w) == []

        with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT) as finished:
            qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
        assert finished.args[0].report.cancelled
        # Stopped part-way: still on the page, with Resume; no timer resumes it behind it.
        qtbot.waitUntil(lambda: page.resume_button.isVisible(), timeout=10_000)
        assert w.stack.currentWidget() is page and not page.cancel_button.isVisible()
        assert "stopped" in page.text and not w.sync.timer.isActive()
        assert not w.is_ready and w.sync_status.text.startswith("Getting ready")
        stopped_at = w.worker.run_sync(_resume_point, w.engine)["done"]
        assert 0 < stopped_at < LARGE_PROFILES
    finally:
        _close(w)

    # A restart: the same page at once, where it stopped, and the first sync resumes by itself.
    w = _open(qtbot, till, clock)
    try:
        assert w.stack.currentWidget() is w.getting_ready
        assert w.getting_ready.text.startswith(count_text(stopped_at, None).rstrip("…") + " of ")
        with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT, check_params_cb=_done):
            assert _dialogs(w) == []
        qtbot.waitUntil(lambda: w.stack.currentWidget() is w.signin, timeout=10_000)
        assert w.worker.run_sync(_resume_point, w.engine) is None
        assert w.worker.run_sync(lambda: w.engine.profiles.count()) == LARGE_PROFILES
        qtbot.waitUntil(lambda: sorted(r.username for r in w.signin.model.rows) == ["ava", "max"],
                        timeout=10_000)
        qtbot.waitUntil(lambda: "Melbourne Central" in w.brand_store.text(), timeout=10_000)
        assert w.sync_status.text == "Online · synced 11:00", w.sync_status.text
    finally:
        _close(w)
