"""When the till syncs: every 30 s and on F5 ("Sync now"), each cycle on the network worker so
neither the GUI nor the engine worker waits on the hub (GUIDE principle 3, SPEC §6).

One cycle at a time: F5 during a cycle asks for another right after it. A rejected token
stops the timer (no retry storm against a hub that has revoked this till); connecting again
under Hub connection…, or F5, starts it again.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from clienteling.sync.progress import Progress
from clienteling.ui.state import AppState
from clienteling.ui.sync.network import HubLink, Outcome
from clienteling.ui.worker import NetworkWorker

INTERVAL_MS = 30_000


class SyncController(QObject):
    """Runs the sync cycles of one till window."""

    #: a cycle started
    started = Signal()
    #: a ``Progress`` of the running cycle (on the GUI thread)
    progressed = Signal(object)
    #: an ``Outcome`` when a cycle ended (its report is None when no hub is set up)
    finished = Signal(object)
    #: an error of the network worker's job itself (a bug, not a hub problem), in words
    failed = Signal(str)

    # Emitted on the network worker's thread; Qt queues it to this object's (GUI) thread.
    _progress_from_worker = Signal(object)

    def __init__(self, state: AppState, network: NetworkWorker, link: HubLink | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.network = network
        self.link = link or HubLink()
        self.running = False
        self.stopped = False  # the hub rejected this till's token
        self.last: Outcome | None = None
        self._again = self._force_again = False
        self._cancel = threading.Event()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(lambda: self.sync_now())
        self._progress_from_worker.connect(self._relay_progress)

    def start(self) -> None:
        """Sync now and then every 30 s."""
        self.stopped = False
        self.timer.start()
        self.sync_now()

    def stop(self) -> None:
        self.timer.stop()
        self.cancel()

    def sync_now(self, *, force: bool = False) -> None:
        """The timer, and F5 with ``force`` (entries waiting out a back-off go now, a rejected
        token is tried once more): a cycle now, or right after the one running."""
        if self.running:
            self._again = True
            self._force_again = self._force_again or force
            return
        if self.network.is_stopped:
            return
        self.running = True
        self._again = self._force_again = False
        self._cancel = threading.Event()
        self.started.emit()
        self.network.submit(self.link.cycle, self.state.engine, self._progress_from_worker.emit,
                            self._cancel, force=force).then(self._done, self._job_failed, owner=self)

    def cancel(self) -> None:
        """Stop the running cycle at its next page; a first sync carries on from there next time."""
        self._cancel.set()
        self._again = False

    @Slot(object)
    def _relay_progress(self, progress: Progress) -> None:
        if self.running:
            self.progressed.emit(progress)

    def _done(self, outcome: Outcome) -> None:
        self.running = False
        self.last = outcome
        report = outcome.report
        if report is not None and report.token_rejected:
            self.stopped = True
            self.timer.stop()
        elif self.stopped and report is not None and report.online:
            self.stopped = False  # F5 after the token was fixed on the hub
            self.timer.start()
        self.finished.emit(outcome)
        if self._again and (self._force_again or not self.stopped):
            self.sync_now(force=self._force_again)

    def _job_failed(self, exc: BaseException) -> None:
        self.running = False
        self.failed.emit(f"Sync failed: {exc}")
