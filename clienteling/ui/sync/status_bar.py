"""The sync status, always visible (SPEC §5): online/offline, the time of the last successful
sync, changes waiting and conflicts — "Online · synced 12:04 · 0 waiting", "Offline · 3
waiting", or why sync stopped. The counts come from the outbox after every engine change and
from each cycle's report; online and the time from the last cycle (:meth:`SyncStatus.show_outcome`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from clienteling.engine.services import OutboxCounts
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common import theme
from clienteling.ui.operations.sync import outbox_counts
from clienteling.ui.state import AppState
from clienteling.ui.sync.network import NOT_CONNECTED, Outcome

BUSY_AFTER_MS = 600  # show "Working…" only for work that takes a while (GUIDE principle 3)
STOPPED = ("Sync stopped: this till's token was revoked or is wrong — a manager reconnects it "
           "under Hub connection… with a new till token from the hub's admin")


class SyncStatus(QWidget):
    """``syncStatus``: "Online · synced 12:04 · 0 waiting" and a Conflicts (0) button."""

    conflicts_requested = Signal()
    counted = Signal(object)  # OutboxCounts

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.state = state
        self.online = False
        self.last_sync: str | None = None  # HH:MM, store time
        self.stopped: str | None = None  # why sync stopped (a rejected token)
        self.problem: str | None = None  # why the last cycle did not fully succeed
        self.counts = OutboxCounts(0, 0)
        self.dot = QLabel("●", self)
        self.dot.setObjectName("syncDot")
        self.label = QLabel("Offline", self)
        self.label.setObjectName("syncText")
        self.busy = QLabel("Working…", self)
        self.busy.setObjectName("busyLabel")
        self.busy.hide()
        self.conflicts = QPushButton("Conflicts (0)", self)
        self.conflicts.setObjectName("conflictsButton")
        self.conflicts.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.conflicts.setToolTip("Changes the hub refused, with the reason")
        self.conflicts.clicked.connect(self.conflicts_requested.emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 0, 10, 0)
        layout.setSpacing(6)
        layout.addWidget(self.dot)
        layout.addWidget(self.label)
        layout.addSpacing(16)
        layout.addWidget(self.busy)
        layout.addStretch(1)
        layout.addWidget(self.conflicts)
        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_AFTER_MS)
        self._busy_timer.timeout.connect(self.busy.show)
        state.worker.busy_changed.connect(self._busy)
        state.worker.changed.connect(lambda _changes: self.refresh())
        self._show()

    @property
    def text(self) -> str:
        return self.label.text()

    def show_outcome(self, outcome: Outcome) -> None:
        """What the last sync cycle found."""
        report = outcome.report
        if report is None:
            self.online, self.stopped, self.problem = False, None, NOT_CONNECTED
        else:
            self.online = report.online and not report.token_rejected
            self.stopped = report.error if report.token_rejected else None
            self.problem = report.error
            if report.synced_at is not None:
                self.last_sync = fmt.local(report.synced_at, self.state.timezone).strftime("%H:%M")
            self.counts = OutboxCounts(report.waiting, report.conflicts)
        self._show()
        self.counted.emit(self.counts)

    def refresh(self) -> None:
        self.state.submit(outbox_counts).then(self._counted, owner=self)

    def _counted(self, counts: OutboxCounts) -> None:
        self.counts = counts
        self._show()
        self.counted.emit(counts)

    def _busy(self, busy: bool) -> None:
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.hide()

    def _show(self) -> None:
        waiting = f"{self.counts.pending} waiting"
        if self.stopped:
            self.label.setText(STOPPED)
            colour = theme.palette()["danger"]
            tip = f"{self.stopped}\nChanges stay on this till until the hub accepts its token again."
        elif self.online:
            synced = f" · synced {self.last_sync}" if self.last_sync else ""
            self.label.setText(f"Online{synced} · {waiting}")
            colour = theme.palette()["accent"]
            tip = self.problem or ""
        else:
            self.label.setText(f"Offline · {waiting}")
            colour = theme.palette()["disabled"]
            tip = "This till works offline; waiting changes go to the hub when it is reachable."
            if self.problem:
                tip = f"{self.problem}\n{tip}"
        self.dot.setStyleSheet(f"color: {colour}; font-size: 10pt;")
        self.label.setToolTip(tip)
        self.conflicts.setText(f"Conflicts ({self.counts.conflicts})")
        self.conflicts.setProperty("has", self.counts.conflicts > 0)
        self.conflicts.style().unpolish(self.conflicts)
        self.conflicts.style().polish(self.conflicts)

