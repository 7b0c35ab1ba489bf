"""An on-screen PIN pad for a touch till, typing into a PIN field."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QGridLayout, QLineEdit, QPushButton, QWidget

MAX_PIN = 8


def pin_field(parent: QWidget | None = None, object_name: str = "pinField") -> QLineEdit:
    field = QLineEdit(parent)
    field.setObjectName(object_name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(MAX_PIN)
    field.setValidator(QRegularExpressionValidator(r"\d{0,8}", field))
    field.setPlaceholderText("PIN")
    field.setAlignment(Qt.AlignmentFlag.AlignCenter)
    field.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhSensitiveData)
    return field


class PinPad(QWidget):
    """Digits 1–9, 0, clear and delete; "Enter" is the form's own button."""

    submitted = Signal()

    def __init__(self, target: QLineEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinPad")
        self._target = target
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "⌫"]
        for i, key in enumerate(keys):
            button = QPushButton(key, self)
            button.setObjectName(f"pinKey_{'clear' if key == 'Clear' else 'back' if key == '⌫' else key}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, k=key: self._press(k))
            grid.addWidget(button, i // 3, i % 3)

    def _press(self, key: str) -> None:
        text = self._target.text()
        if key == "Clear":
            self._target.clear()
        elif key == "⌫":
            self._target.setText(text[:-1])
        elif len(text) < MAX_PIN:
            self._target.setText(text + key)
        self._target.setFocus()
