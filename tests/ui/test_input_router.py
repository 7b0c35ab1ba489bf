"""The app-wide input filter (clienteling.ui.keyboard.InputRouter): any key, click, wheel or
tablet press inside the window — a dialog of it too — keeps the session awake (the idle
lock), other events do not, and input to another window is not ours. It sees every event
of the app, so it now lets all but input events through before asking their type (SPEC §8);
these pin down what it still does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QPointingDevice, QTabletEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QWidget

from clienteling.ui.main_window import MainWindow

Open = Callable[..., MainWindow]


def _wheel() -> QWheelEvent:
    return QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, -120),
                       Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                       Qt.ScrollPhase.NoScrollPhase, False)


def _tablet() -> QTabletEvent:
    return QTabletEvent(QEvent.Type.TabletPress, QPointingDevice.primaryPointingDevice(),
                        QPointF(1, 1), QPointF(1, 1), 0.5, 0.0, 0.0, 0.0, 0.0, 0.0,
                        Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton,
                        Qt.MouseButton.LeftButton)


def test_input_anywhere_in_the_window_restarts_the_idle_timer(open_window: Open,
                                                               qtbot: Any) -> None:
    w = open_window("ava")
    view = w.search.view

    def restarts(send: Callable[[], Any]) -> bool:
        w.idle_timer.stop()
        send()
        return w.idle_timer.isActive()

    assert restarts(lambda: qtbot.keyClick(view, Qt.Key.Key_Down))
    assert restarts(lambda: qtbot.mouseClick(w.lock_button, Qt.MouseButton.RightButton))
    assert restarts(lambda: QApplication.sendEvent(view.viewport(), _wheel()))
    assert restarts(lambda: QApplication.sendEvent(view.viewport(), _tablet()))
    dialog = QDialog(w)
    box = QLineEdit(dialog)
    dialog.show()
    assert restarts(lambda: qtbot.keyClick(box, Qt.Key.Key_A))
    assert box.text() == "a"  # a dialog's own text field keeps its keys
    dialog.close()

    # Not input, or not this window's: the timer stays stopped.
    assert not restarts(lambda: QApplication.sendEvent(view, QEvent(QEvent.Type.UpdateRequest)))
    assert not restarts(lambda: qtbot.mouseMove(view.viewport(), QPoint(3, 3)))
    assert not restarts(lambda: qtbot.keyRelease(view, Qt.Key.Key_Down))
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    assert not restarts(lambda: qtbot.keyClick(other, Qt.Key.Key_A))


def test_no_restart_while_locked(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    w.lock()
    w.idle_timer.stop()
    qtbot.keyClick(w.signin.staff_list, Qt.Key.Key_Down)
    assert not w.idle_timer.isActive()
