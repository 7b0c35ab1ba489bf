"""The sync status, always visible (SPEC §5), telling the truth (issue 16): "Getting ready 8 %",
"Online · synced 17:16", "Offline since 17:02 · 3 waiting", "Sync stopped: token revoked · 3
waiting — a manager can reconnect (Hub connection…)", "Demo · not connected". Times are in the
store's timezone (before sign-in too: the till's store, from its data); the waiting count is
shown whenever it is not zero. The counts come from the outbox after every engine change and
from each cycle's report; online and the times from the cycles (:meth:`SyncStatus.show_outcome`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from clienteling.engine.services import OutboxCounts
from clienteling.sync.progress import Progress
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common import theme
from clienteling.ui.common.elided_label import ElidedLabel
from clienteling.ui.operations.sync import GETTING_READY, NEW, Readiness, outbox_counts
from clienteling.ui.state import AppState
from clienteling.ui.sync.getting_ready import percent
from clienteling.ui.sync.network import NOT_CONNECTED, Outcome

BUSY_AFTER_MS = 600  # show "Working…" only for work that takes a while (GUIDE principle 3)
STOPPED = "Sync stopped: token revoked"
RECONNECT = "a manager can reconnect (Hub connection…)"
# A till getting ready has no one signed in: it connects again on its own page.
CONNECT_AGAIN = "connect again with a new token (on this screen)"
DEMO = "Demo · not connected"
NEW_TILL = "Not connected to a hub"



class SyncStatus(QWidget):
    """``syncStatus``: "Online · synced 12:04 · 3 waiting" and a Conflicts (0) button."""

    conflicts_requested = Signal()
    counted = Signal(object)  # OutboxCounts

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncStatus")
        self.state = state
        self.online = False
        self.last_sync: str | None = None  # HH:MM, store time
        self.synced_at: datetime | None = None
        self.offline_since: datetime | None = None
        self.stopped: str | None = None  # why sync stopped (a rejected token)
        self.problem: str | None = None  # why the last cycle did not fully succeed
        self.readiness: Readiness | None = None
        self.ready_percent: int | None = None
        self.counts = OutboxCounts(0, 0)
        self.dot = QLabel("●", self)
        self.dot.setObjectName("syncDot")
        self.label = ElidedLabel("Offline", self)
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
        layout.addWidget(self.label, 1)
        layout.addSpacing(16)
        layout.addWidget(self.busy)
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
        """The whole status, as said (the label may show it elided)."""
        return self.label.full_text

    def set_readiness(self, readiness: Readiness) -> None:
        """Getting ready, or not connected (a demo till), from the engine's state."""
        self.readiness = readiness
        if readiness.state == GETTING_READY and self.ready_percent is None:
            self.ready_percent = percent(readiness.done, readiness.total)
        self._restamp()
        self._show()

    def show_progress(self, progress: Progress) -> None:
        """A first sync's page arrived: "Getting ready 8 %"."""
        self.ready_percent = percent(progress.done, progress.total)
        self._show()

    def show_outcome(self, outcome: Outcome) -> None:
        """What the last sync cycle found."""
        report = outcome.report
        if report is not None and self.readiness is not None and not self.readiness.connected:
            self.readiness = replace(self.readiness, connected=True)  # a manager connected it
        if report is None:
            self.online, self.stopped, self.problem = False, None, NOT_CONNECTED
            self.offline_since = None
        else:
            was_online = self.online
            self.online = report.online and not report.token_rejected
            self.stopped = (report.error or "the hub refused this till's token"
                            ) if report.token_rejected else None
            self.problem = report.error
            if report.synced_at is not None:
                self.synced_at = report.synced_at
            if self.online:
                self.offline_since = None
            elif was_online or self.offline_since is None:
                # The first cycle that could not reach the hub: "since" is when it found out.
                self.offline_since = self.state.engine.now()
            self.counts = OutboxCounts(report.waiting, report.conflicts)
        self._restamp()
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

    def _hhmm(self, at: datetime | None) -> str | None:
        return fmt.local(at, self.state.timezone).strftime("%H:%M") if at is not None else None

    def _restamp(self) -> None:
        """Re-render the kept times in the current store timezone (it is known only once the
        till's data, or the signed-in staff member, says which store this is)."""
        self.last_sync = self._hhmm(self.synced_at)

    def _show(self) -> None:
        self._restamp()
        pending = self.counts.pending
        waiting = f" · {pending:,} waiting" if pending else ""
        readiness = self.readiness
        palette = theme.palette()
        if readiness is not None and readiness.state == GETTING_READY and not self.stopped:
            done = f" {self.ready_percent} %" if self.ready_percent is not None else "…"
            text, colour = f"Getting ready{done}", palette["accent"]
            tip = "This till is reading the hub's records; the counter opens when it has them all."
            if self.problem:
                tip = f"{self.problem}\n{tip}"
        elif self.stopped:
            getting_ready = readiness is not None and readiness.state == GETTING_READY
            text = f"{STOPPED}{waiting} — {CONNECT_AGAIN if getting_ready else RECONNECT}"
            colour = palette["danger"]
            tip = f"{self.stopped}\nChanges stay on this till until the hub accepts its token again."
        elif readiness is not None and not readiness.connected:
            # A demo (or any till never connected): standalone, nothing is waiting for a hub.
            text = DEMO if readiness.state != NEW else NEW_TILL
            colour = palette["disabled"]
            # Nothing waits for a hub that does not exist; what was done stays on this computer
            # (and goes to a hub only if a manager connects this till to one).
            tip = (f"This till is not connected to a hub: its changes ({pending:,}) stay on this "
                   "computer.")
        elif self.online:
            synced = f" · synced {self.last_sync}" if self.last_sync else ""
            text, colour = f"Online{synced}{waiting}", palette["accent"]
            tip = self.problem or ""
        else:
            since = self._hhmm(self.offline_since)
            text = f"Offline since {since}{waiting}" if since else f"Offline{waiting}"
            colour = palette["disabled"]
            tip = "This till works offline; waiting changes go to the hub when it is reachable."
            if self.problem:
                tip = f"{self.problem}\n{tip}"
        self.label.setText(text)
        self.dot.setStyleSheet(f"color: {colour}; font-size: 10pt;")
        self.label.setToolTip(f"{text}\n{tip}" if tip else text)
        self.conflicts.setText(f"Conflicts ({self.counts.conflicts})")
        self.conflicts.setProperty("has", self.counts.conflicts > 0)
        self.conflicts.style().unpolish(self.conflicts)
        self.conflicts.style().polish(self.conflicts)
