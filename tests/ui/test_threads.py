"""The GUI thread never waits on the database (GUIDE principle 3, SPEC §5)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from clienteling.engine.services import Changes
from clienteling.ui.main_window import MainWindow
from clienteling.ui.worker import EngineWorker
from tests.ui.support import TIMEOUT, open_jane

Open = Callable[..., MainWindow]


def test_a_slow_search_runs_on_the_worker_while_the_gui_keeps_ticking(
        open_window: Open, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_window("ava")
    gui = threading.get_ident()
    ran_on: list[int] = []
    real_search = w.engine.profiles.search_page

    def slow_search(query: str, **kwargs: Any) -> Any:
        ran_on.append(threading.get_ident())
        time.sleep(0.5)  # deliberately slow, on the worker (the test itself never sleeps)
        return real_search(query, **kwargs)

    monkeypatch.setattr(w.engine.profiles, "search_page", slow_search)
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        ticks += 1

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    with qtbot.waitSignal(w.search.model.first_page_loaded, timeout=TIMEOUT):
        w.search.box.setText("jane")
        w.search.search_now()
        assert w.search.model.rowCount() == 0  # nothing yet: the search is on its way
    timer.stop()
    assert ran_on and all(ident != gui for ident in ran_on)
    assert ran_on[0] == w.worker.thread_ident
    assert ticks >= 20, f"the GUI thread was blocked: only {ticks} timer ticks in 0.5 s"
    assert w.search.model.rowCount() == 1
    assert w.guard is not None and w.guard.violations == []


def test_no_sql_runs_on_the_gui_thread_while_working_a_profile(open_window: Open,
                                                              qtbot: Any) -> None:
    w = open_window("ava")
    assert w.guard is not None
    open_jane(qtbot, w)
    w.profile.select_benefit("VIP Lounge")
    w.profile.commands.redeem_selected()
    qtbot.waitUntil(lambda: "Redeemed" in w.profile.message.label.text(), timeout=TIMEOUT)
    assert w.guard.violations == []
    # The guard does notice SQL on the GUI thread:
    w.engine.profiles.count()
    assert any("count" in statement for statement in w.guard.violations)
    w.guard.violations.clear()


def test_engine_changes_arrive_as_a_signal_and_refresh_only_the_open_profile(
        open_window: Open, qtbot: Any) -> None:
    w = open_window("max")
    open_jane(qtbot, w)
    jane = w.profile.profile_id
    actor = w.actor
    with qtbot.waitSignal(w.worker.changed, timeout=TIMEOUT) as blocker:
        w.worker.submit(lambda: w.engine.rewards.issue(actor, {
            "profile_id": jane, "reward_definition_handle": "customer-service",
            "value_initial": "5.00", "reason": "from another panel"}))
    changes = blocker.args[0]
    assert isinstance(changes, Changes) and changes.areas == frozenset({"rewards"})
    qtbot.waitUntil(lambda: w.profile.header.balance.text() == "$50.00", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: w.sync_status.counts.pending == 1, timeout=TIMEOUT)


def test_the_worker_reports_errors_and_runs_jobs_in_order(qtbot: Any) -> None:
    worker = EngineWorker()
    try:
        seen: list[Any] = []
        threads: set[int] = set()

        def job(n: int) -> int:
            threads.add(threading.get_ident())
            return n

        for n in range(5):
            worker.submit(job, n).then(seen.append)
        failed = worker.submit(lambda: 1 / 0).then(seen.append, lambda exc: seen.append(type(exc).__name__))
        with qtbot.waitSignal(worker.busy_changed, timeout=TIMEOUT,
                              check_params_cb=lambda busy: not busy):
            pass
        assert seen == [0, 1, 2, 3, 4, "ZeroDivisionError"]
        assert threads == {worker.thread_ident}
        assert failed.error is not None
        cancelled = worker.submit(job, 99).then(seen.append)
        cancelled.cancel()
        assert worker.run_sync(job, 7) == 7
        qtbot.waitUntil(lambda: not worker.is_busy, timeout=TIMEOUT)
        assert 99 not in seen
    finally:
        worker.stop()
