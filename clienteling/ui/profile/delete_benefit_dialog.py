"""Deleting a benefit (admin only, SPEC §3.1 B5): warn, and offer "Expire instead"."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from clienteling.engine.records import BenefitRow

DELETE = "delete"
EXPIRE = "expire"


class DeleteBenefitDialog(QDialog):
    """``choice`` is "expire" or "delete" once accepted."""

    def __init__(self, benefit: BenefitRow, customer: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deleteBenefitDialog")
        self.setWindowTitle("Delete benefit")
        self.setModal(True)
        self.setMinimumWidth(480)
        self.choice: str | None = None
        title = QLabel(f"Delete {benefit.name}?", self)
        title.setObjectName("dialogTitle")
        text = QLabel(
            f"Deleting removes this benefit from {customer}'s profile for good (the audit trail "
            "keeps a copy). Usually you want to expire it instead: it stops working now and its "
            "history stays on the profile.", self)
        text.setWordWrap(True)
        cancel = QPushButton("Cancel", self)
        cancel.setObjectName("cancelButton")
        cancel.clicked.connect(self.reject)
        delete = QPushButton("Delete", self)
        delete.setObjectName("confirmDeleteButton")
        delete.setProperty("danger", True)
        delete.setAutoDefault(False)
        delete.clicked.connect(lambda: self._choose(DELETE))
        expire = QPushButton("Expire instead", self)
        expire.setObjectName("expireInsteadButton")
        expire.setProperty("primary", True)
        expire.setDefault(True)
        expire.clicked.connect(lambda: self._choose(EXPIRE))
        self.expire_button = expire
        buttons = QHBoxLayout()
        buttons.addWidget(delete)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(expire)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(buttons)
        # No field to type in: the focus starts on the safe default (Enter expires, B5), not on
        # the first button in the focus chain.
        expire.setFocus()

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()
