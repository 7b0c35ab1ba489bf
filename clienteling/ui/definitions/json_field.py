"""A JSON text field with a live validation message under it (conditions, discount spec)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from clienteling.ui.common.polish import repolish, set_invalid

LIVE_DELAY_MS = 150


class LocalError(ValueError):
    """A field's text cannot even be read (e.g. malformed JSON): not sent to the engine."""


def parse_json(text: str) -> Any:
    """The JSON value of ``text``; empty text is ``None``. Raises LocalError in words."""
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LocalError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def pretty(value: Any) -> str:
    """JSON for a person: on one line when short, indented when not."""
    if value is None:
        return ""
    line = json.dumps(value, ensure_ascii=False)
    return line if len(line) <= 72 else json.dumps(value, indent=2, ensure_ascii=False)


class JsonField(QWidget):
    """``validator(value) -> problem or None`` runs as you type; ``ok_text(value)`` says what
    a valid value means."""

    changed = Signal()

    def __init__(self, name: str, validator: Callable[[Any], str | None] | None = None,
                 ok_text: Callable[[Any], str] | None = None, parent: QWidget | None = None,
                 *, placeholder: str = "") -> None:
        super().__init__(parent)
        self.name = name
        self._validator = validator
        self._ok_text = ok_text
        self.edit = QPlainTextEdit(self)
        self.edit.setObjectName(f"json_{name}")
        font = QFont("DejaVu Sans Mono")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSizeF(10)
        self.edit.setFont(font)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(96)
        self.live = QLabel("", self)
        self.live.setObjectName(f"live_{name}")
        self.live.setWordWrap(True)
        self.live.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.edit)
        layout.addWidget(self.live)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LIVE_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self.edit.textChanged.connect(self._edited)

    # -- value ---------------------------------------------------------------------------
    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        if text != self.edit.toPlainText():
            self.edit.setPlainText(text)
        self.validate_now()

    def set_value(self, value: Any) -> None:
        self.set_text(pretty(value))

    def value(self) -> Any:
        return parse_json(self.text())

    # -- live validation ---------------------------------------------------------------------
    def _edited(self) -> None:
        self._timer.start()
        self.changed.emit()

    def problem(self) -> str | None:
        try:
            value = self.value()
        except LocalError as exc:
            return str(exc).capitalize()
        if value is None or self._validator is None:
            return None
        return self._validator(value)

    def validate_now(self) -> None:
        self._timer.stop()
        problem = self.problem()
        if problem:
            self._say(problem, error=True)
        elif self.text().strip() and self._ok_text is not None:
            try:
                self._say(self._ok_text(self.value()), error=False)
            except LocalError:
                self._say("", error=False)
        else:
            self._say("", error=False)
        set_invalid(self.edit, bool(problem))

    def _say(self, text: str, *, error: bool) -> None:
        self.live.setText(text)
        self.live.setProperty("fieldError", error)
        self.live.setProperty("fieldOk", not error)
        repolish(self.live)
        self.live.setVisible(bool(text))
