"""A plain yes/no question that does not block the event loop (``open()``, not ``exec()``)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


class ConfirmDialog(QDialog):
    def __init__(self, title: str, text: str, ok_text: str, parent: QWidget | None = None, *,
                 danger: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDialog")
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(440)
        heading = QLabel(title, self)
        heading.setObjectName("dialogTitle")
        body = QLabel(text, self)
        body.setWordWrap(True)
        cancel = QPushButton("Cancel", self)
        cancel.setObjectName("cancelButton")
        cancel.clicked.connect(self.reject)
        ok = QPushButton(ok_text, self)
        ok.setObjectName("confirmButton")
        ok.setProperty("primary", not danger)
        ok.setProperty("danger", danger)
        ok.setDefault(True)
        ok.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(ok)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(heading)
        layout.addWidget(body)
        layout.addLayout(buttons)


def ask(parent: QWidget, title: str, text: str, ok_text: str, then: Callable[[], None], *,
        danger: bool = False) -> ConfirmDialog:
    dialog = ConfirmDialog(title, text, ok_text, parent, danger=danger)
    dialog.accepted.connect(then)
    dialog.open()
    return dialog
