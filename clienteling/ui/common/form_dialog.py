"""A form dialog that shows the engine's messages under the fields they are about."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.services import Clienteling
from clienteling.ui.common.errors import describe, field_label
from clienteling.ui.common.polish import set_invalid
from clienteling.ui.state import AppState

P = ParamSpec("P")
R = TypeVar("R")


class FormDialog(QDialog):
    """Title, fields each with an error line under it, a message line and the buttons."""

    def __init__(self, state: AppState, title: str, subtitle: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(560)
        self._fields: dict[str, tuple[QWidget, QLabel]] = {}
        self._aliases: dict[str, str] = {}
        self._busy = False

        self.title = QLabel(title, self)
        self.title.setObjectName("dialogTitle")
        self.subtitle = QLabel(subtitle, self)
        self.subtitle.setObjectName("dialogSubtitle")
        self.subtitle.setWordWrap(True)
        self.subtitle.setVisible(bool(subtitle))

        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(2)
        self.grid.setColumnStretch(1, 1)
        self.grid.setColumnStretch(2, 1)
        self._grid_row = 0

        self.message = QLabel("", self)
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.message.hide()

        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton("OK", self)
        self.ok_button.setObjectName("okButton")
        self.ok_button.setProperty("primary", True)
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.submit)

        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.cancel_button)
        self.buttons.addWidget(self.ok_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addSpacing(6)
        layout.addLayout(self.grid)
        self.extra = QVBoxLayout()
        layout.addLayout(self.extra)
        layout.addWidget(self.message)
        layout.addSpacing(6)
        layout.addLayout(self.buttons)

    # -- building -----------------------------------------------------------------------
    def add_field(self, name: str, label: str, widget: QWidget | QLayout, *,
                  beside: QWidget | None = None, aliases: tuple[str, ...] = ()) -> QLabel:
        """A labelled row; the engine's messages for ``name`` (or an alias) appear under it."""
        caption = QLabel(label, self)
        caption.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = self._grid_row
        self.grid.addWidget(caption, row, 0)
        span = 1 if beside is not None else 2
        if isinstance(widget, QLayout):
            self.grid.addLayout(widget, row, 1, 1, span)
            item = widget.itemAt(0) if widget.count() else None
            first = item.widget() if item is not None else None
            target: QWidget = first if first is not None else caption
        else:
            self.grid.addWidget(widget, row, 1, 1, span)
            target = widget
        if beside is not None:
            beside.setWordWrap(True) if isinstance(beside, QLabel) else None
            self.grid.addWidget(beside, row, 2)
        error = QLabel("", self)
        error.setObjectName(f"error_{name}")
        error.setProperty("fieldError", True)
        error.setWordWrap(True)
        error.hide()
        self.grid.addWidget(error, row + 1, 1, 1, 2)
        self._grid_row += 2
        self._fields[name] = (target, error)
        for alias in aliases:
            self._aliases[alias] = name
        return error

    @property
    def first_input(self) -> QWidget | None:
        """The first field, where the focus starts (UX "Keyboard first")."""
        return next(iter(self._fields.values()))[0] if self._fields else None

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        """Open with the focus on the first field: Qt would put it on the first enabled button
        (Cancel, while a dialog's default button waits for input), and typed digits vanished."""
        super().showEvent(event)
        first = self.first_input
        focused = self.focusWidget()
        if first is not None and first.isEnabled() and (
                focused is None or isinstance(focused, QPushButton)):
            first.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    # -- errors -----------------------------------------------------------------------
    def field_error(self, name: str) -> str:
        widget_error = self._fields.get(name)
        if widget_error is None:
            return ""
        label = widget_error[1]
        return label.text() if not label.isHidden() else ""

    def clear_errors(self) -> None:
        for widget, label in self._fields.values():
            label.clear()
            label.hide()
            set_invalid(widget, False)
        self.message.hide()
        self.message.clear()

    def set_field_error(self, name: str, text: str) -> bool:
        key = name if name in self._fields else self._aliases.get(name.split(".", 1)[0],
                                                                  name.split(".", 1)[0])
        if key not in self._fields:
            return False
        widget, label = self._fields[key]
        label.setText(text)
        label.show()
        set_invalid(widget, True)
        return True

    def show_error(self, exc: BaseException) -> None:
        message = describe(exc)
        unplaced = []
        for name, problems in message.fields.items():
            if not self.set_field_error(name, " ".join(problems)):
                unplaced.append(f"{field_label(name)}: {' '.join(problems)}")
        if message.fields and not unplaced:
            self.show_message("Please check the fields marked in red.", error=True)
        elif unplaced:
            self.show_message("; ".join(unplaced), error=True)
        else:
            self.show_message(message.text, error=True)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("error", error)
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.show()

    # -- submitting ---------------------------------------------------------------------
    def submit(self) -> None:  # overridden
        self.accept()

    def run(self, on_done: Callable[[R], None], fn: Callable[Concatenate[Clienteling, P], R],
            *args: P.args, **kwargs: P.kwargs) -> None:
        """Run an engine operation for this form, then ``on_done(result)``; errors land under the
        fields. ``on_done`` comes first so the rest can be typed against ``fn`` (PEP 612)."""
        if self._busy:
            return
        self._busy = True
        self.clear_errors()
        self.ok_button.setEnabled(False)

        def done(result: R) -> None:
            self._busy = False
            self.ok_button.setEnabled(True)
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._busy = False
            self.ok_button.setEnabled(True)
            self.show_error(exc)

        self.state.submit(fn, *args, **kwargs).then(done, failed, owner=self)
