"""First-sync progress: how far the till has got reading the hub's records, with Cancel.

Shown only when the work takes a while (after ``SHOW_AFTER_MS``, GUIDE principle 3), so a
short first sync never flashes a dialog. Cancel stops at the next page; the first sync carries
on from there next time rather than starting over.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clienteling.sync.progress import Progress

SHOW_AFTER_MS = 600

PHASES = {
    "push": "Sending this till's changes",
    "first_sync": "Reading the hub's records",
    "pull": "Reading the latest changes",
    "verify": "Checking this till agrees with the hub",
}


class SyncProgressDialog(QDialog):
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, show_after_ms: int | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncProgressDialog")
        self.setWindowTitle("First sync")
        self.setMinimumWidth(460)
        self.last: Progress | None = None
        title = QLabel("Getting this till ready", self)
        title.setObjectName("dialogTitle")
        self.label = QLabel(PHASES["first_sync"] + "…", self)
        self.label.setObjectName("syncProgressText")
        self.bar = QProgressBar(self)
        self.bar.setObjectName("syncProgressBar")
        self.bar.setRange(0, 0)  # busy until the hub says how many
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Stop now; the next sync carries on from here")
        self.cancel_button.clicked.connect(self._cancel)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        self._reveal = QTimer(self)
        self._reveal.setSingleShot(True)
        self._reveal.setInterval(SHOW_AFTER_MS if show_after_ms is None else show_after_ms)
        self._reveal.timeout.connect(self._appear)
        self._reveal.start()

    def _appear(self) -> None:
        self.show()
        self.raise_()

    def update_progress(self, progress: Progress) -> None:
        self.last = progress
        words = PHASES.get(progress.phase, "Syncing")
        if progress.total:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
            self.label.setText(f"{words}: {progress.done:,} of {progress.total:,}")
        else:
            self.bar.setRange(0, 0)
            self.label.setText(f"{words}: {progress.done:,}")

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Stopping… the next sync carries on from here")
        self.cancel_requested.emit()

    def finish(self) -> None:
        self._reveal.stop()
        self.close()
        self.deleteLater()

    def reject(self) -> None:
        """Esc or the window's close box: the same as Cancel (the sync must not run on unseen)."""
        if self.cancel_button.isEnabled():
            self._cancel()
