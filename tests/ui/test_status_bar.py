"""A status bar that tells the truth (issue 16), one test per state, on a fixed clock: times in
the store's timezone before anyone signs in (the till's store, from its data: Melbourne, so
02 Mar 2026 06:16 UTC is 17:16), the waiting count whenever it is not zero, and notices elided
to the room they have instead of cut at the window's edge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from clienteling.engine.clock import FixedClock
from clienteling.sync.cycle import CycleReport
from clienteling.sync.progress import Progress
from clienteling.ui.main_window import MainWindow
from clienteling.ui.operations.sync import GETTING_READY, Readiness
from clienteling.ui.sync.network import Outcome
from tests.conftest import T0

HUB = "http://127.0.0.1:1"


def report(*, online: bool, waiting: int = 0, synced_minutes: int | None = None,
           token_rejected: bool = False, error: str | None = None) -> Outcome:
    synced = T0 + timedelta(minutes=synced_minutes) if synced_minutes is not None else None
    return Outcome(CycleReport(pushed=0, pulled=0, conflicts=0, waiting=waiting, online=online,
                               synced_at=synced, error=error, token_rejected=token_rejected,
                               cancelled=False), HUB)


@pytest.fixture
def window(qtbot: Any, demo_url: str, clock: FixedClock) -> Iterator[MainWindow]:
    """The demo till at its sign-in screen: nobody signed in, so no actor's timezone."""
    w = MainWindow.create(demo_url, clock=clock)
    w.sync.stop()  # the states are shown here by hand, not by cycles of a real hub
    w.show()
    qtbot.waitUntil(lambda: w.sync.last is not None, timeout=10_000)
    yield w
    w.close()


def test_a_demo_till_says_it_is_not_connected(window: MainWindow) -> None:
    assert window.state.actor is None and window.state.timezone == "Australia/Melbourne"
    assert window.sync_status.text == "Demo · not connected"


def test_online_says_when_in_store_time_and_waiting_only_when_not_zero(window: MainWindow) -> None:
    window.sync_status.show_outcome(report(online=True, synced_minutes=6 * 60 + 16))
    assert window.sync_status.text == "Online · synced 17:16"
    window.sync_status.show_outcome(report(online=True, waiting=3, synced_minutes=6 * 60 + 16))
    assert window.sync_status.text == "Online · synced 17:16 · 3 waiting"


def test_offline_says_since_when(window: MainWindow, clock: FixedClock) -> None:
    window.sync_status.show_outcome(report(online=True, synced_minutes=6 * 60))
    clock.set(T0 + timedelta(hours=6, minutes=2))
    window.sync_status.show_outcome(report(online=False, waiting=3, error="hub unreachable"))
    assert window.sync_status.text == "Offline since 17:02 · 3 waiting"
    clock.advance(minutes=30)  # still offline: since when it went, not since the last try
    window.sync_status.show_outcome(report(online=False, waiting=4, error="hub unreachable"))
    assert window.sync_status.text == "Offline since 17:02 · 4 waiting"
    assert "hub unreachable" in window.sync_status.label.toolTip()


def test_a_revoked_token_says_so_with_the_waiting_count_and_what_works(window: MainWindow) -> None:
    window.sync_status.show_outcome(report(online=False, waiting=3, token_rejected=True,
                                           error="The hub refused this till's token"))
    assert window.sync_status.text == ("Sync stopped: token revoked · 3 waiting — a manager can "
                                       "reconnect (Hub connection…)")


def test_getting_ready_says_how_far(window: MainWindow) -> None:
    status = window.sync_status
    status.set_readiness(Readiness(GETTING_READY, 0, None, "Australia/Melbourne", True))
    assert status.text == "Getting ready…"
    status.show_progress(Progress("first_sync", 25_600, 319_206))
    assert status.text == "Getting ready 8 %"


def test_long_notices_are_elided_never_cut_at_the_window_edge(qtbot: Any,
                                                              window: MainWindow) -> None:
    window.resize(window.minimumWidth(), window.height())
    long = "The hub said something very long about this till " * 10
    window.show_notice(long)
    bar = window.statusBar()
    label = window.status_message
    qtbot.waitUntil(lambda: label.shown_text().endswith("…"), timeout=5_000)
    assert label.text() == long  # the whole notice is kept (and in the tooltip of the label)
    assert label.geometry().right() <= bar.width()
    assert label.fontMetrics().horizontalAdvance(label.shown_text()) <= label.width()
    # The notice takes what is left: the sync status itself is still whole.
    assert window.sync_status.label.shown_text() == "Demo · not connected"
    # The status itself elides too (a narrow window and the longest state).
    window.sync_status.show_outcome(report(online=False, waiting=3, token_rejected=True))
    shown = window.sync_status.label
    assert shown.geometry().right() <= window.sync_status.width()
    assert shown.fontMetrics().horizontalAdvance(shown.shown_text()) <= max(shown.width(), 1)
