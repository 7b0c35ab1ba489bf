"""A short confirmation in place ("Redeemed · 1 of 3 left · Undo"), or an error in words."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from clienteling.ui.common import theme

SHOW_MS = 10_000


class ActionMessage(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("actionMessage")
        self.icon = QLabel(self)
        self.label = QLabel("", self)
        self.label.setObjectName("actionMessageText")
        self.label.setWordWrap(True)
        self.undo = QPushButton("Undo", self)
        self.undo.setObjectName("undoButton")
        self.undo.setProperty("link", True)
        self.undo.hide()
        self._undo: Callable[[], None] | None = None
        self.undo.clicked.connect(self._do_undo)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(8)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    @property
    def text(self) -> str:
        parent = self.parentWidget()
        shown = self.isVisibleTo(parent) if parent is not None else self.isVisible()
        return self.label.text() if shown else ""

    def show_done(self, text: str, undo: Callable[[], None] | None = None) -> None:
        self._show(text, error=False)
        self._undo = undo
        self.undo.setVisible(undo is not None)

    def show_error(self, text: str) -> None:
        self._show(text, error=True)
        self._undo = None
        self.undo.hide()

    def _show(self, text: str, *, error: bool) -> None:
        colour = theme.palette()["danger" if error else "accent"]
        self.icon.setPixmap(theme.icon_pixmap("alert" if error else "check", colour, 18))
        self.setProperty("error", error)
        self.style().unpolish(self)
        self.style().polish(self)
        for child in (self.label, self.undo):
            child.style().unpolish(child)
            child.style().polish(child)
        self.label.setText(text)
        self.show()
        self._timer.start(SHOW_MS)

    def _do_undo(self) -> None:
        undo, self._undo = self._undo, None
        self.undo.hide()
        if undo is not None:
            undo()
