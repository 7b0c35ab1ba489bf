"""The one database worker (GUIDE principle 3, SPEC §5): every engine call runs here.

The GUI thread hands work over with :meth:`EngineWorker.submit` and gets the result
back by signal, on the GUI thread, through ``on_done`` / ``on_error``. Jobs run one
at a time, in the order submitted, on a single ``QThread``, so the engine's SQLite
connections are only ever used from that thread.

The engine's change notifications (``cl.ctx.subscribe``) are called on this thread
after each commit; :meth:`EngineWorker.listen` re-emits them as the Qt signal
:attr:`EngineWorker.changed`, which panels use to refresh only what changed
(GUIDE principle 2).

:func:`guard_gui_thread` makes SQL on the GUI thread visible: it logs (and records)
every statement executed there, and the tests assert there is none.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from clienteling.engine.db import Database

log = logging.getLogger(__name__)

Callback = Callable[[Any], None]


@dataclass(eq=False)
class Job:
    """One unit of work for the worker; ``cancel()`` drops its callbacks (and the call, if not
    yet started)."""

    id: int
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    on_done: Callback | None = None
    on_error: Callback | None = None
    owner: QObject | None = None
    result: Any = None
    error: BaseException | None = None
    cancelled: bool = False
    silent: bool = False  # run_sync: the caller gets the result or the error itself
    finished: threading.Event = field(default_factory=threading.Event)

    def cancel(self) -> None:
        self.cancelled = True


class _Runner(QObject):
    """Lives on the worker thread and runs jobs there."""

    done = Signal(object)

    @Slot(object)
    def run(self, job: Job) -> None:
        if not job.cancelled:
            try:
                job.result = job.fn(*job.args, **job.kwargs)
            except BaseException as exc:  # handed back to the GUI thread, never lost
                job.error = exc
        job.finished.set()
        self.done.emit(job)


class EngineWorker(QObject):
    """A single worker thread for all engine and database work."""

    #: an engine ``Changes`` after each committed change, delivered on the GUI thread
    changed = Signal(object)
    #: True while jobs are queued or running
    busy_changed = Signal(bool)
    #: an error of a job submitted without ``on_error``
    failed = Signal(object)

    _post = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending = 0
        self._thread = QThread()
        self._thread.setObjectName("engineWorker")
        self._runner = _Runner()
        self._runner.moveToThread(self._thread)
        self._post.connect(self._runner.run)
        self._runner.done.connect(self._finish)
        self._thread_ident: int | None = None
        self._started = threading.Event()
        self._unsubscribe: list[Callable[[], None]] = []
        self._stopped = False
        self._thread.start()
        self.run_sync(self._note_thread)

    def _note_thread(self) -> None:
        self._thread_ident = threading.get_ident()

    # -- public API ------------------------------------------------------------------
    @property
    def thread_ident(self) -> int | None:
        """``threading.get_ident()`` of the worker thread."""
        return self._thread_ident

    @property
    def is_stopped(self) -> bool:
        return self._stopped

    @property
    def is_busy(self) -> bool:
        return self._pending > 0

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Callback | None = None,
        on_error: Callback | None = None,
        owner: QObject | None = None,
        **kwargs: Any,
    ) -> Job:
        """Run ``fn(*args, **kwargs)`` on the worker; call ``on_done(result)`` or
        ``on_error(exception)`` on the GUI thread. Callbacks are skipped when ``owner`` has been
        deleted meanwhile or the job was cancelled."""
        job = Job(next(self._ids), fn, args, kwargs, on_done, on_error, owner)
        if self._stopped:  # the window is closing: nothing more to do
            job.cancel()
            return job
        self._pending += 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        self._post.emit(job)
        return job

    def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the worker and wait for it: for start-up and tests only, never on a
        path the user waits on."""
        if self._thread_ident is not None and threading.get_ident() == self._thread_ident:
            return fn(*args, **kwargs)
        if self._stopped:
            raise RuntimeError("the engine worker has stopped")
        job = Job(next(self._ids), fn, args, kwargs, silent=True)
        self._pending += 1
        self._post.emit(job)
        job.finished.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def listen(self, subscribe: Callable[[Callable[[Any], None]], Callable[[], None]]) -> None:
        """Subscribe to an engine's changes (``cl.ctx.subscribe``) and re-emit them as
        :attr:`changed`."""
        self._unsubscribe.append(subscribe(self._emit_changed))

    def stop(self, *, timeout_ms: int = 10_000) -> None:
        """Finish the queued jobs, then stop the thread."""
        if self._stopped:
            return
        self._stopped = True
        for unsubscribe in self._unsubscribe:
            with contextlib.suppress(ValueError):  # already gone
                unsubscribe()
        self._unsubscribe.clear()
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            log.error("the engine worker did not stop within %d ms", timeout_ms)

    # -- plumbing --------------------------------------------------------------------
    def _emit_changed(self, changes: Any) -> None:
        # Called by the engine on the worker thread; the signal is queued to the GUI thread.
        self.changed.emit(changes)

    @Slot(object)
    def _finish(self, job: Job) -> None:
        self._pending -= 1
        if self._pending == 0:
            # Let the queued change signals land first, then say we are idle.
            QTimer.singleShot(0, self._maybe_idle)
        if job.cancelled or job.silent:
            return
        if job.owner is not None and not shiboken6.isValid(job.owner):
            return
        if job.error is not None:
            if job.on_error is not None:
                job.on_error(job.error)
            else:
                self.failed.emit(job.error)
        elif job.on_done is not None:
            job.on_done(job.result)

    def _maybe_idle(self) -> None:
        if self._pending == 0:
            self.busy_changed.emit(False)


@dataclass
class GuiThreadGuard:
    """Records SQL executed on the GUI thread (there should be none)."""

    gui_ident: int
    violations: list[str] = field(default_factory=list)

    def check(self, statement: str) -> None:
        if threading.get_ident() == self.gui_ident:
            self.violations.append(statement)
            log.error("SQL on the GUI thread (it must run on the engine worker): %.200s", statement)


def guard_gui_thread(db: Database, gui_ident: int | None = None) -> GuiThreadGuard:
    """Watch the engine's database for statements executed on the GUI thread."""
    guard = GuiThreadGuard(gui_ident if gui_ident is not None else threading.get_ident())
    db.on_statement(guard.check)
    return guard
