"""The search list pages by keyset and survives changes made elsewhere (issue 7): a change to a
profile it shows updates that row where it stands — scroll position and selection kept, no
reset — and the open profile reloads only for changes about it (SPEC §5, GUIDE principles 2
and 8)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from PySide6.QtWidgets import QApplication, QTableView

from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Changes, Clienteling
from clienteling.ui.main_window import MainWindow
from clienteling.ui.search.model import ProfileSearchModel
from tests.ui.support import TIMEOUT, open_jane, search

Open = Callable[..., MainWindow]


@pytest.fixture
def other_till(demo_url: str, clock: FixedClock) -> Iterator[tuple[Clienteling, list[Changes]]]:
    """A second Clienteling on the same file (as a sync applying a remote change would be),
    with the Changes each of its commits announces."""
    cl = Clienteling.open(demo_url, clock=clock)
    announced: list[Changes] = []
    cl.subscribe(announced.append)
    yield cl, announced
    cl.close()


def _texts(model: ProfileSearchModel) -> list[tuple[str, str, str]]:
    return [tuple(model.index(r, c).data() for c in range(3))  # type: ignore[misc]
            for r in range(model.rowCount())]


def test_keyset_pages_in_the_list_are_the_rows_of_one_search(open_window: Open, qtbot: Any,
                                                            qtmodeltester: Any) -> None:
    w = open_window("ava")
    for n in range(5):  # a run of equal names longer than a page
        w.worker.run_sync(w.engine.profiles.create, w.state.actor,
                          {"first_name": "Aaron", "last_name": "Ames", "email": f"aaron{n}@example.com"})
    # Pages of three, so the boundaries fall inside the run of equal names as well.
    model = ProfileSearchModel(w.worker, w.engine, page_size=3)
    view = QTableView()
    view.setModel(model)
    qtbot.addWidget(view)
    with qtbot.waitSignal(model.first_page_loaded, timeout=TIMEOUT):
        model.set_query("a")
    # The view may ask for a page itself (fetchMore when it shows the rows); while one is on its
    # way canFetchMore is False, so wait for it rather than stop early.
    while True:
        qtbot.waitUntil(lambda: not model.is_loading, timeout=TIMEOUT)
        if not model.canFetchMore(QModelIndex()):
            break
        with qtbot.waitSignal(model.page_loaded, timeout=TIMEOUT):
            model.fetchMore(QModelIndex())
    expected = w.worker.run_sync(w.engine.profiles.search, "a", limit=1000)
    assert len(expected) > 9
    assert [model.profile_at(i) for i in range(model.rowCount())] == expected
    names = [r.name.lower() for r in expected]
    assert names[:5] == ["aaron ames"] * 5
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole).startswith(expected[0].name)
    qtmodeltester.check(model)


def test_a_change_to_a_visible_row_updates_it_in_place(open_window: Open, qtbot: Any,
                                                       qtmodeltester: Any,
                                                       other_till: tuple[Clienteling, list[Changes]]
                                                       ) -> None:
    w = open_window("ava")
    model, view = w.search.model, w.search.view
    assert search(qtbot, w, "a") > 20
    QApplication.processEvents()  # the list was just shown: let it take its size first
    row = model.rowCount() - 3
    target = model.profile_at(row)
    assert target is not None
    view.scrollTo(model.index(row, 0))
    view.selectionModel().setCurrentIndex(
        model.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    scrolled = view.verticalScrollBar().value()
    assert scrolled > 0
    before = _texts(model)
    qtmodeltester.check(model)
    disturbed: list[str] = []
    model.modelAboutToBeReset.connect(lambda: disturbed.append("reset"))
    model.layoutAboutToBeChanged.connect(lambda *_: disturbed.append("layout"))
    model.rowsAboutToBeRemoved.connect(lambda *_: disturbed.append("removed"))
    model.rowsAboutToBeInserted.connect(lambda *_: disturbed.append("inserted"))
    changed: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda tl, br, *_: changed.append((tl.row(), br.row())))

    # Another Clienteling on the same file renames the customer: no longer a match for "a".
    other, announced = other_till
    assert w.state.actor is not None
    other.profiles.update(w.state.actor, target.id, {"first_name": "Zed", "last_name": "Quill",
                                                     "mobile_phone": "0499 111 222"})
    assert announced and target.id in announced[-1].profile_ids
    with qtbot.waitSignal(model.rows_refreshed, timeout=TIMEOUT) as refreshed:
        w.worker.changed.emit(announced[-1])  # as the worker delivers an engine's changes

    assert refreshed.args == [1]
    assert changed == [(row, row)]
    assert disturbed == []
    updated = model.profile_at(row)
    assert updated is not None and updated.id == target.id
    assert (updated.name, updated.mobile_phone) == ("Zed Quill", "0499 111 222")
    assert model.index(row, 0).data() == "Zed Quill"
    # Every other row is as it was; the renamed one stays until the next search.
    after = _texts(model)
    assert after[:row] == before[:row] and after[row + 1:] == before[row + 1:]
    assert view.verticalScrollBar().value() == scrolled
    assert view.currentIndex().row() == row
    assert [i.row() for i in view.selectionModel().selectedRows()] == [row]
    qtmodeltester.check(model)

    # Reading the search again (F5) drops it, as it no longer matches.
    with qtbot.waitSignal(model.first_page_loaded, timeout=TIMEOUT):
        model.refresh()
    assert target.id not in [model.profile_at(i).id for i in range(model.rowCount())]  # type: ignore[union-attr]


def test_a_change_to_a_profile_not_in_the_list_reads_nothing(
        open_window: Open, qtbot: Any, monkeypatch: pytest.MonkeyPatch,
        other_till: tuple[Clienteling, list[Changes]]) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)  # the list holds Jane only (her card was scanned)
    jane = w.profile.profile_id
    assert jane is not None and w.search.model.rowCount() == 1
    other, announced = other_till
    someone = next(r for r in other.profiles.search("a", limit=50) if r.id != jane)
    jobs: list[tuple[str, tuple[Any, ...], Any]] = []
    real_submit = w.worker.submit

    def spy(fn: Any, *args: Any, **kwargs: Any) -> Any:
        job = real_submit(fn, *args, **kwargs)
        jobs.append((getattr(fn, "__name__", fn), args, job))
        return job

    def submitted() -> list[tuple[str, tuple[Any, ...]]]:
        # The owner is given to .then(), right after submit(): the list's and the panel's
        # reads, not, e.g., the sync counts.
        return [(name, args) for name, args, job in jobs
                if job._owner in (w.search.model, w.profile)]

    monkeypatch.setattr(w.worker, "submit", spy)

    # Someone else's details change: neither the list nor the open profile reads.
    assert w.state.actor is not None
    other.profiles.update(w.state.actor, someone.id, {"mobile_phone": "0499 333 444"})
    w.worker.changed.emit(announced[-1])
    assert submitted() == []

    # Jane's details change: the list re-reads her row, the profile reloads what changed.
    other.profiles.update(w.state.actor, jane, {"mobile_phone": "0499 555 666"})
    assert announced[-1].profile_ids == {jane}
    with qtbot.waitSignal(w.search.model.rows_refreshed, timeout=TIMEOUT):
        w.worker.changed.emit(announced[-1])
    qtbot.waitUntil(lambda: "0499 555 666" in w.profile.header.contact.text(), timeout=TIMEOUT)
    assert sorted(name for name, _ in submitted()) == ["_read_rows", "refresh_profile"]
    read_rows = next(args for name, args in submitted() if name == "_read_rows")
    assert list(read_rows[1]) == [jane]
    refresh = next(args for name, args in submitted() if name == "refresh_profile")
    assert set(refresh[2]) == set(announced[-1].areas)
    assert w.search.model.profile_at(0).mobile_phone == "0499 555 666"  # type: ignore[union-attr]

    # A sync batch naming definitions and another profile's rewards: the open profile reloads
    # what definitions show, not its own rewards.
    jobs.clear()
    batch = replace(announced[-1], areas=frozenset({"definitions", "rewards"}),
                    profile_ids=frozenset({someone.id}))
    w.worker.changed.emit(batch)
    assert [(name, set(args[2])) for name, args in submitted()] == [
        ("refresh_profile", {"definitions"})]


def test_a_change_while_a_page_is_on_its_way_reaches_that_page(
        open_window: Open, qtbot: Any, monkeypatch: pytest.MonkeyPatch,
        other_till: tuple[Clienteling, list[Changes]]) -> None:
    w = open_window("ava")
    model = ProfileSearchModel(w.worker, w.engine, page_size=5)
    w.worker.changed.connect(model.on_changes)  # as the main window does for its list
    with qtbot.waitSignal(model.first_page_loaded, timeout=TIMEOUT):
        model.set_query("a")
    expected = w.worker.run_sync(w.engine.profiles.search, "a", limit=10)
    target = expected[7]  # on the second page
    read, release = threading.Event(), threading.Event()
    real_page = w.engine.profiles.search_page

    def page_then_wait(query: str, **kwargs: Any) -> Any:
        page = real_page(query, **kwargs)  # read before the change below commits
        read.set()
        release.wait(TIMEOUT / 1000)
        return page

    monkeypatch.setattr(w.engine.profiles, "search_page", page_then_wait)
    model.fetchMore(QModelIndex())
    assert read.wait(TIMEOUT / 1000)
    other, announced = other_till
    assert w.state.actor is not None
    other.profiles.update(w.state.actor, target.id, {"mobile_phone": "0499 777 888"})
    w.worker.changed.emit(announced[-1])  # the row is not held yet
    with qtbot.waitSignal(model.rows_refreshed, timeout=TIMEOUT):
        release.set()
    assert model.profile_at(7) is not None
    assert (model.profile_at(7).id, model.profile_at(7).mobile_phone) == (  # type: ignore[union-attr]
        target.id, "0499 777 888")
