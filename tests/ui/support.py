"""Driving the main window the way staff do: type, scan, press Enter — and wait on signals."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

from clienteling.ui.main_window import MainWindow

TIMEOUT = 5000


def search(qtbot: Any, window: MainWindow, text: str) -> int:
    """Type ``text`` into the search box and wait for the first page of results."""
    window.search.box.clear()
    with qtbot.waitSignal(window.search.model.first_page_loaded, timeout=TIMEOUT):
        qtbot.keyClicks(window.search.box, text)
    return window.search.model.rowCount()


def result_names(window: MainWindow) -> list[str]:
    model = window.search.model
    return [model.profile_at(i).name for i in range(model.rowCount())]  # type: ignore[union-attr]


def scan(qtbot: Any, window: MainWindow, code: str, *, into: QWidget | None = None) -> None:
    """A barcode scanner: the code typed fast, then Enter, into whatever has focus."""
    target = into or window.profile.benefits_view
    with qtbot.waitSignal(window.profile.loaded, timeout=TIMEOUT):
        qtbot.keyClicks(target, code)
        qtbot.keyClick(target, Qt.Key.Key_Return)


def open_jane(qtbot: Any, window: MainWindow) -> None:
    from tests.ui.conftest import JANE_CARD

    window.search.focus_search()
    scan(qtbot, window, JANE_CARD, into=window.search.box)
    assert window.profile.customer == "Jane Citizen"


def wait_message(qtbot: Any, window: MainWindow, contains: str) -> str:
    """Wait for the in-place confirmation (or error) to say something containing ``contains``."""
    label = window.profile.message.label
    qtbot.waitUntil(lambda: contains in label.text() and window.profile.message.isVisibleTo(
        window.profile), timeout=TIMEOUT)
    return label.text()


def wait_dialog(qtbot: Any, window: MainWindow, name: str) -> QDialog:
    qtbot.waitUntil(lambda: window.active_dialog is not None
                    and window.active_dialog.objectName() == name
                    and window.active_dialog.isVisible(), timeout=TIMEOUT)
    dialog = window.active_dialog
    assert dialog is not None
    return dialog


def benefit_row(window: MainWindow, name: str) -> Any:
    for row in window.profile.benefits_model.rows:
        if row.name == name:
            return row
    raise AssertionError(f"no benefit {name!r} on {window.profile.customer}")
