"""On 100,000 profiles the search list holds a page at a time (GUIDE principle 8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex

from clienteling.ui.main_window import MainWindow
from tests.ui.conftest import LARGE_PROFILES
from tests.ui.support import TIMEOUT, search

Open = Callable[..., MainWindow]


def test_the_results_model_pages_fifty_at_a_time(open_window: Open, large_url: str, qtbot: Any,
                                                  qtmodeltester: Any) -> None:
    w = open_window("ava", url=large_url)
    assert w.worker.run_sync(w.engine.profiles.count) == LARGE_PROFILES
    model = w.search.model
    assert search(qtbot, w, "olivia") == 50  # 10,000 Olivias; the first page only
    assert model.canFetchMore(QModelIndex())
    assert w.search.count.text() == "50+ customers"
    with qtbot.waitSignal(model.page_loaded, timeout=TIMEOUT):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 100
    assert model.canFetchMore(QModelIndex())
    qtmodeltester.check(model)
    names = [model.profile_at(i).name for i in range(model.rowCount())]  # type: ignore[union-attr]
    assert all(n.startswith("Olivia") for n in names)
    assert len({model.profile_at(i).id for i in range(100)}) == 100  # type: ignore[union-attr]


def test_scrolling_to_the_end_of_the_list_fetches_the_next_page(open_window: Open, large_url: str,
                                                                qtbot: Any) -> None:
    w = open_window("ava", url=large_url)
    model = w.search.model
    search(qtbot, w, "noah")
    assert model.rowCount() == 50
    with qtbot.waitSignal(model.page_loaded, timeout=TIMEOUT):
        w.search.view.scrollToBottom()
    assert model.rowCount() == 100


def test_a_card_scan_on_the_large_database(open_window: Open, large_url: str, qtbot: Any) -> None:
    w = open_window("ava", url=large_url)
    from tests.ui.support import scan

    scan(qtbot, w, "5000000054321", into=w.search.box)
    assert w.profile.data is not None
    assert w.profile.data.header.card == "5000000054321"
