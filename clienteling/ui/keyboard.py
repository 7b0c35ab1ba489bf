"""Application-level keys: a scan works from anywhere in the window, and any input keeps
the session awake (the idle lock)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QInputEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

_INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel,
    QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})
_TEXT_WIDGETS = (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)
_COMMAND_MODIFIERS = (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                      | Qt.KeyboardModifier.MetaModifier)


def takes_text(widget: QWidget | None) -> bool:
    if widget is None:
        return False
    if isinstance(widget, _TEXT_WIDGETS):
        return True
    return isinstance(widget, QComboBox) and widget.isEditable()


class InputRouter(QObject):
    """Installed on the QApplication for one main window.

    - Printable keys typed while focus is on something that does not take text (a list, a
      button) go to the search box: a barcode scanner types the code then Enter, and a
      following Enter ends the scan there rather than redeeming the selected row.
    - Any key, click, wheel or touch inside the window restarts the idle timer.
    """

    def __init__(self, window: QWidget, *, search_box: Callable[[], QLineEdit],
                 take_keys: Callable[[str], None], scanning: Callable[[], bool],
                 finish_scan: Callable[[], None], active: Callable[[], bool],
                 on_input: Callable[[], None]) -> None:
        super().__init__(window)
        self._window = window
        self._search_box = search_box
        self._take_keys = take_keys
        self._scanning = scanning
        self._finish_scan = finish_scan
        self._active = active
        self._on_input = on_input

    def _ours(self, obj: QObject) -> QWidget | None:
        if not isinstance(obj, QWidget):
            return None
        widget: QWidget | None = obj
        while widget is not None:
            if widget is self._window:
                return obj
            widget = widget.parentWidget()
        return None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # Every event of the app passes here (paints, timers, queued calls: thousands per
        # opened profile). The class test costs about what the call itself does, where
        # ``event.type()`` builds an enum member; so only input events pay for that.
        if not isinstance(event, QInputEvent):
            return False
        kind = event.type()
        if kind not in _INPUT_EVENTS:
            return False
        widget = self._ours(watched)
        if widget is None:
            return False
        self._on_input()
        if kind != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if not self._active() or widget.window() is not self._window:
            return False  # locked, or a dialog of this window
        box = self._search_box()
        if widget is box or takes_text(widget) or (takes_text(QApplication.focusWidget()) \
                and QApplication.focusWidget() is not box):
            return False
        if event.modifiers() & _COMMAND_MODIFIERS:
            return False
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._scanning():
                self._finish_scan()
                return True
            return False
        text = event.text()
        if text and text.isprintable() and not text.isspace():
            self._take_keys(text)
            return True
        return False
