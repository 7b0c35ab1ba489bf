"""The workers (GUIDE principle 3, SPEC §5): the panels' engine work runs on the engine worker,
sync with the hub on a second, network worker of its own, so a slow hub never holds up the
till; the GUI thread runs no SQL and no network I/O at all.

Work is handed over with :meth:`Worker.submit` — ``worker.submit(fn, *args, **kwargs)`` — from
any thread. It returns a :class:`Job`; :meth:`Job.then` says what to call with the result or the
error, always on the thread the worker object lives on (the GUI thread)::

    worker.submit(load_profile, cl, pid, tz).then(self._loaded, self._failed, owner=self)

``submit`` is typed with a ParamSpec, so the arguments are checked against ``fn`` and ``on_done``
against what ``fn`` returns. The callbacks are not keywords of ``submit`` itself because a
ParamSpec's ``**kwargs`` cannot share a signature with keyword-only parameters (PEP 612).

Each worker runs its jobs one at a time, in the order submitted, on its own ``QThread``. The two
workers run at the same time and both call the engine: a sync cycle on the network worker
claims outbox entries and applies the hub's records (``cl.outbox``, ``cl.remote``) while the
engine worker serves the panels. The engine is built for that — each call checks a pooled
connection out for itself, and on SQLite its write lock (``engine/db.py``, then SQLite's
``BEGIN IMMEDIATE``) lets one thread write at a time. What each thread owns is a kind of work,
not a connection: the panels' reads and writes on the engine worker, sync (and the HTTP client,
``ui/sync/network.py``'s ``HubLink``) on the network worker.

The engine's change notifications (``cl.subscribe``) are called after each commit on the
thread that committed: the engine worker for the till's own changes, the network worker for
what a sync brought (``origin="remote"``). :meth:`EngineWorker.listen` re-emits them as the Qt
signal :attr:`EngineWorker.changed`, queued to the GUI thread, where panels refresh only what
changed (GUIDE principle 2).

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
from typing import Any, Generic, ParamSpec, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QThread, QTimer, Signal, SignalInstance, Slot

from clienteling.engine.services import Clienteling

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

ErrorCallback = Callable[[BaseException], None]


class Job(Generic[R]):
    """One unit of work for a worker.

    :meth:`then` attaches the callbacks; ``cancel()`` drops them (and the call, if not yet
    started). The callbacks are delivered on the worker object's thread whether ``then`` is
    called before the job finishes (the usual case, from the GUI thread) or after it (possible
    when the job was submitted from another thread); a lock makes exactly one side deliver.
    An error that came back before anyone attached an ``on_error`` has already gone to the
    fallback or ``failed`` (it must not wait, unseen, for a ``then`` that may never come), so
    a late ``then`` only delivers results.
    """

    def __init__(self, worker: Worker, ident: int, fn: Callable[..., R], args: tuple[Any, ...],
                 kwargs: dict[str, Any], *, silent: bool = False) -> None:
        self.id = ident
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.silent = silent  # run_sync: the caller gets the result or the error itself
        self.result: R | None = None
        self.error: BaseException | None = None
        self.cancelled = False
        self.finished = threading.Event()  # set on the worker thread once fn has run
        self._worker = worker
        self._lock = threading.Lock()
        self._on_done: Callable[[R], None] | None = None
        self._on_error: ErrorCallback | None = None
        self._fallback: ErrorCallback | None = None
        self._owner: QObject | None = None
        self._attached = False
        self._returned = False  # the worker has handed the job back to its own thread

    def then(self, on_done: Callable[[R], None] | None = None,
             on_error: ErrorCallback | None = None, *, owner: QObject | None = None) -> Job[R]:
        """Call ``on_done(result)`` or ``on_error(exception)`` when the job is done; both are
        skipped when ``owner`` has been deleted meanwhile or the job was cancelled. An error
        without ``on_error`` goes to the fallback (:meth:`or_else`) or the worker's ``failed``."""
        with self._lock:
            self._on_done, self._on_error, self._owner = on_done, on_error, owner
            self._attached = True
            late = self._returned
        if late:
            self._worker._redeliver.emit(self)
        return self

    def or_else(self, fallback: ErrorCallback) -> Job[R]:
        """Where an error goes when :meth:`then` gives no ``on_error`` (instead of ``failed``)."""
        with self._lock:
            self._fallback = fallback
        return self

    def cancel(self) -> None:
        self.cancelled = True

    # -- called by the worker on its own thread ---------------------------------------------
    def _returned_home(self) -> bool:
        """Mark the job as back on the worker object's thread; True if callbacks are attached."""
        with self._lock:
            self._returned = True
            return self._attached

    def _deliver(self, failed: SignalInstance) -> None:
        if self.cancelled or self.silent:
            return
        with self._lock:
            on_done, on_error, owner = self._on_done, self._on_error, self._owner
            on_error = on_error or self._fallback
        if owner is not None and not shiboken6.isValid(owner):
            return
        if self.error is not None:
            if on_error is not None:
                on_error(self.error)
            else:
                failed.emit(self.error)
        elif on_done is not None:
            on_done(self.result)  # type: ignore[arg-type]  # set when fn returned


_CALLBACK_WORDS = frozenset({"on_done", "on_error", "owner"})


def _refuse_old_callbacks(kwargs: dict[str, Any]) -> None:
    """``submit(fn, x, on_done=...)`` was the old form; passed on to ``fn`` it would fail later,
    on the worker, far from the mistake. Say so where it is made."""
    wrong = sorted(_CALLBACK_WORDS & kwargs.keys())
    if wrong:
        raise TypeError(f"submit() passes {', '.join(wrong)} to the function it runs; "
                        "give callbacks with .then(on_done, on_error, owner=...)")


class _Runner(QObject):
    """Lives on the worker thread and runs jobs there."""

    done = Signal(object)

    @Slot(object)
    def run(self, job: Job[Any]) -> None:
        if not job.cancelled:
            try:
                job.result = job.fn(*job.args, **job.kwargs)
            except BaseException as exc:  # handed back to the GUI thread, never lost
                job.error = exc
        job.finished.set()
        self.done.emit(job)


class Worker(QObject):
    """One thread that runs submitted jobs in order; safe to submit to from any thread."""

    #: True while jobs are queued or running (emitted on the worker object's thread)
    busy_changed = Signal(bool)
    #: an error of a job submitted without ``on_error``
    failed = Signal(object)

    _post = Signal(object)
    _redeliver = Signal(object)
    _recheck_busy = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._pending = 0
        self._busy_shown = False
        self._thread = QThread()
        self._thread.setObjectName(name)
        self._runner = _Runner()
        self._runner.moveToThread(self._thread)
        self._post.connect(self._runner.run)
        self._runner.done.connect(self._finish)
        self._redeliver.connect(self._deliver_late)
        # Emitted from any thread; the slot runs on this object's thread (queued when needed),
        # so busy_changed is only ever emitted there and always in order.
        self._recheck_busy.connect(self._sync_busy)
        self._thread_ident: int | None = None
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
        with self._lock:
            return self._pending > 0

    def submit(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> Job[R]:
        """Run ``fn(*args, **kwargs)`` on the worker; attach callbacks with :meth:`Job.then`.
        Safe from any thread. After :meth:`stop` the job is cancelled and never runs."""
        _refuse_old_callbacks(kwargs)
        job: Job[R] = Job(self, next(self._ids), fn, args, kwargs)
        with self._lock:
            if self._stopped:  # the window is closing: nothing more to do
                job.cancel()
                return job
            self._pending += 1
            first = self._pending == 1
        if first:
            self._recheck_busy.emit()
        self._post.emit(job)
        return job

    def run_sync(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``fn`` on the worker and wait for it: for start-up and tests only, never on a
        path the user waits on."""
        if self._thread_ident is not None and threading.get_ident() == self._thread_ident:
            return fn(*args, **kwargs)
        job: Job[R] = Job(self, next(self._ids), fn, args, kwargs, silent=True)
        # Not counted as pending: the caller is waiting for it, so it never shows as busy.
        with self._lock:
            if self._stopped:
                raise RuntimeError(f"the {self._thread.objectName()} worker has stopped")
        self._post.emit(job)
        job.finished.wait()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]  # set when fn returned

    def stop(self, *, timeout_ms: int = 10_000) -> None:
        """Finish the queued jobs, then stop the thread."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._stopping()
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            log.error("the %s worker did not stop within %d ms", self._thread.objectName(),
                      timeout_ms)

    # -- plumbing --------------------------------------------------------------------
    def _stopping(self) -> None:
        """Hook for subclasses: let go of what feeds the worker before the thread stops."""

    @Slot(object)
    def _finish(self, job: Job[Any]) -> None:
        if job.silent:
            return
        with self._lock:
            self._pending -= 1
            idle = self._pending == 0
        if idle:
            # Let the queued change signals land first, then say we are idle.
            QTimer.singleShot(0, self._sync_busy)
        if job._returned_home():
            job._deliver(self.failed)
        elif job.error is not None and not job.cancelled:
            # Nobody has asked for this job's outcome (yet): an error must not be lost.
            job._deliver(self.failed)

    @Slot(object)
    def _deliver_late(self, job: Job[Any]) -> None:
        if job.error is None:  # an error was already reported when the job came back
            job._deliver(self.failed)

    @Slot()
    def _sync_busy(self) -> None:
        busy = self.is_busy
        if busy != self._busy_shown:
            self._busy_shown = busy
            self.busy_changed.emit(busy)


class EngineWorker(Worker):
    """The worker thread for the panels' engine and database work (a sync cycle's engine calls
    run on the :class:`NetworkWorker`)."""

    #: an engine ``Changes`` after each committed change, delivered on the GUI thread
    changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        self._unsubscribe: list[Callable[[], None]] = []
        super().__init__("engineWorker", parent)

    def listen(self, subscribe: Callable[[Callable[[Any], None]], Callable[[], None]]) -> None:
        """Subscribe to an engine's changes (``cl.subscribe``) and re-emit them as
        :attr:`changed`."""
        self._unsubscribe.append(subscribe(self._emit_changed))

    def _stopping(self) -> None:
        for unsubscribe in self._unsubscribe:
            with contextlib.suppress(ValueError):  # already gone
                unsubscribe()
        self._unsubscribe.clear()

    def _emit_changed(self, changes: Any) -> None:
        # Called by the engine on the thread that committed (this worker, or the network worker
        # for a sync); this object lives on the GUI thread, so Qt queues the signal there.
        self.changed.emit(changes)


class NetworkWorker(Worker):
    """A second worker for network work (the sync cycles with the hub, which call the engine from
    here too), so a slow or absent hub never queues in front of the till's own engine calls.
    Idle until sync submits to it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__("networkWorker", parent)


@dataclass
class GuiThreadGuard:
    """Records SQL executed on the GUI thread (there should be none)."""

    gui_ident: int
    violations: list[str] = field(default_factory=list)

    def check(self, statement: str) -> None:
        if threading.get_ident() == self.gui_ident:
            self.violations.append(statement)
            log.error("SQL on the GUI thread (it must run on the engine worker): %.200s", statement)


def guard_gui_thread(engine: Clienteling, gui_ident: int | None = None) -> GuiThreadGuard:
    """Watch the engine's database for statements executed on the GUI thread."""
    guard = GuiThreadGuard(gui_ident if gui_ident is not None else threading.get_ident())
    engine.on_statement(guard.check)
    return guard
