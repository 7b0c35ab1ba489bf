"""The desktop half of ``clienteling bench`` (SPEC §8): run in a fresh process by
:mod:`clienteling.bench.desktop`, it starts the app the way ``clienteling`` does
(:func:`clienteling.ui.app.run`) on the bench's database, then uses it the way an associate
does — sign in, search, click results, scroll — and prints one JSON line:

- ``startup_s``: from this process's own start (``/proc/self/stat``, so the interpreter's
  start-up and every import count) to the sign-in screen painted with its staff list, PIN
  field focused, and the event loop idle again;
- ``rss_mb``: this process's resident memory (``VmRSS``) after the browsing;
- ``open_profile_ui_p95_ms``: a click on a search result to the profile panel painted with
  that customer (header, benefits list, tab counts of claimables and rewards): from the
  mouse click to the end of the last paint of the panel after the data arrived.

Beside them, to tell where an open's time goes on a machine whose load varies: the median and
worst open, the GUI thread's CPU time per open (``time.thread_time``, which the load hardly
changes), the part after the data reached the panel (its ``loaded`` signal to painted), the
number of opens and of distinct profiles opened, searches typed, pages scrolled, the
process's CPU time at the end of start-up and when its imports were done (``imports_s``).

Everything waits on Qt signals and events in a nested event loop, never on sleeps; each wait
has a deadline so a hang becomes an error naming the step. Run it by hand with::

    QT_QPA_PLATFORM=offscreen python -m clienteling.bench.desktop_probe --db till.db \\
        --queries queries.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QEventLoop, QModelIndex, QObject, Qt, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication

from clienteling.bench.run import ms, percentile
from clienteling.demo import STAFF as DEMO_STAFF
from clienteling.ui import app as app_module
from clienteling.ui.main_window import MainWindow

#: how long one step (a search, an open, the start-up) may take before the probe gives up
STEP_TIMEOUT_MS = 120_000
OPENS = 60
SEARCHES = 20
OPENS_PER_SEARCH = 3
#: further pages fetched by scrolling one result list to its end
SCROLL_PAGES = 3
#: the associate of the demo's staff (the bench's data set has them too), and the PIN
SIGN_IN = (DEMO_STAFF[0][0], DEMO_STAFF[0][3])


class ProbeFailed(Exception):
    """A step did not happen; the message names it."""


def process_start() -> float:
    """When this process started, on ``CLOCK_BOOTTIME`` (what the kernel's ``starttime`` in
    ``/proc/self/stat`` counts from boot, in clock ticks)."""
    stat = Path("/proc/self/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")


def now() -> float:
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise ProbeFailed("no VmRSS in /proc/self/status")


@dataclass
class Opened:
    """One profile opened by a click, and how long it took."""

    profile_id: str
    seconds: float
    #: CPU time of the GUI thread over the same span (the machine's load hardly changes it)
    gui_cpu_seconds: float
    #: from the panel's ``loaded`` (the data shown in its models) to the end of the painting
    paint_seconds: float


@dataclass
class Results:
    startup_s: float | None = None
    startup_cpu_s: float | None = None
    imported_s: float | None = None
    opens: list[Opened] = field(default_factory=list)
    searches: int = 0
    pages_scrolled: int = 0
    rss_mb: float | None = None
    error: BaseException | None = None


def _wait(what: str, arm: Callable[[Callable[[], None]], None],
          timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Run a nested event loop until the callback given to ``arm`` is called."""
    loop = QEventLoop()
    state = {"done": False}

    def finish() -> None:
        state["done"] = True
        loop.quit()

    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    arm(finish)
    if not state["done"]:
        deadline.start(timeout_ms)
        loop.exec()
        deadline.stop()
    if not state["done"]:
        raise ProbeFailed(f"{what}: not done after {timeout_ms / 1000:.0f} s")


def _wait_signal(what: str, signal: SignalInstance, accept: Callable[..., bool],
                 start: Callable[[], None]) -> None:
    """Connect to ``signal``, call ``start``, and wait until ``accept(*args)`` holds."""
    def arm(finish: Callable[[], None]) -> None:
        def seen(*args: Any) -> None:
            if accept(*args):
                finish()

        signal.connect(seen)
        armed.append(seen)
        start()

    armed: list[Callable[..., None]] = []
    try:
        _wait(what, arm)
    finally:
        for slot in armed:
            signal.disconnect(slot)


class PaintWatch:
    """Tells when some widgets have been painted and the event loop has gone idle after.

    An event filter on the widgets notes each paint once armed; a zero-timer after a paint
    runs once Qt has finished the paint pass it belongs to (the backing store is flushed in one
    go), and the watch settles when a further zero-timer turn brings no more paints (an item
    view's delayed layout can ask for a second pass). ``finished_at`` is when the last pass
    ended."""

    def __init__(self, widgets: Sequence[QObject]) -> None:
        watch = self

        class _Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint and watch.armed:
                    watch._painted()
                return False

        self._filter = _Filter()
        self._widgets = list(widgets)
        for widget in self._widgets:
            widget.installEventFilter(self._filter)
        self.armed = False
        self.finished_at: float | None = None
        self.finished_cpu: float | None = None
        self._paints = 0
        self._pending = False
        self._on_settled: Callable[[], None] | None = None

    def arm(self, on_settled: Callable[[], None]) -> None:
        self.armed = True
        self.finished_at = None
        self._paints = 0
        self._on_settled = on_settled

    def remove(self) -> None:
        for widget in self._widgets:
            widget.removeEventFilter(self._filter)

    def _painted(self) -> None:
        self._paints += 1
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._pass_done)

    def _pass_done(self) -> None:
        self.finished_at = time.perf_counter()
        self.finished_cpu = time.thread_time()
        self._pending = False
        seen = self._paints
        QTimer.singleShot(0, lambda: self._settle(seen))

    def _settle(self, seen: int) -> None:
        if self._paints != seen or self._pending or not self.armed:
            return  # another pass started: its own zero-timer settles it
        self.armed = False
        if self._on_settled is not None:
            self._on_settled()


class Browse:
    """The associate's session, driven with real mouse and key events."""

    def __init__(self, window: MainWindow, queries: Sequence[str], results: Results, *,
                 opens: int, searches: int, pin: tuple[str, str]) -> None:
        self.window = window
        self.queries = list(queries)
        self.results = results
        self.opens = opens
        self.searches = searches
        self.username, self.pin = pin
        # Imported here, after the start-up was timed: the app itself never loads QtTest.
        from PySide6.QtTest import QTest

        self.qtest = QTest

    def run(self) -> None:
        self.sign_in()
        panel = self.window.profile
        watch = PaintWatch([panel.benefits_view.viewport(), panel.header.name,
                            panel.tabs.tabBar()])
        try:
            opened: set[str] = set()
            for number, query in enumerate(self.queries):
                enough = len(self.results.opens) >= self.opens
                if enough and self.results.searches >= self.searches:
                    break
                rows = self.search(query)
                if rows == 0:
                    continue
                if number == 0:
                    self.scroll()
                if enough:
                    continue
                for row in self.rows_to_open(opened):
                    self.open(row, watch)
                    opened.add(self.results.opens[-1].profile_id)
                    if len(self.results.opens) >= self.opens:
                        break
        finally:
            watch.remove()

    # -- the steps ------------------------------------------------------------------------
    def sign_in(self) -> None:
        page = self.window.signin
        row = page.model.row_of(self.username)
        if row < 0:
            raise ProbeFailed(f"signing in: no staff member {self.username!r} on the list")
        rect = page.staff_list.visualRect(page.model.index(row, 0))
        self.qtest.mouseClick(page.staff_list.viewport(), Qt.MouseButton.LeftButton,
                         Qt.KeyboardModifier.NoModifier, rect.center())
        self.qtest.keyClicks(page.pin, self.pin)

        def click() -> None:
            self.qtest.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)

        _wait_signal("signing in", page.signed_in, lambda _actor: True, click)
        if not self.window.is_signed_in:
            raise ProbeFailed(f"signing in: still at the sign-in screen ({page.message.text()})")

    def search(self, query: str) -> int:
        box = self.window.search.box
        model = self.window.search.model

        def type_it() -> None:
            self.qtest.mouseClick(box, Qt.MouseButton.LeftButton)
            self.qtest.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
            self.qtest.keyClicks(box, query)

        # The debounce runs the search once typing stops, as it does for a person typing.
        _wait_signal(f"searching for {query!r}", model.first_page_loaded,
                     lambda q, _rows: q == query.strip(), type_it)
        self.results.searches += 1
        return model.rowCount()

    def scroll(self) -> None:
        """Go to the end of the result list (Ctrl+End) a few times: each end fetches the
        next page, and the list scrolls there."""
        view = self.window.search.view
        model = self.window.search.model
        for _ in range(SCROLL_PAGES):
            if not model.canFetchMore(QModelIndex()):
                return
            held = model.rowCount()
            _wait_signal("scrolling the results", model.page_loaded,
                         lambda _q, rows, held=held: rows > held,
                         lambda: self.qtest.keyClick(view, Qt.Key.Key_End,
                                                        Qt.KeyboardModifier.ControlModifier))
            self.results.pages_scrolled += 1

    def rows_to_open(self, opened: set[str]) -> list[int]:
        """Up to three results not opened before, spread over the rows on screen."""
        view = self.window.search.view
        model = self.window.search.model
        top = max(0, view.rowAt(0))
        bottom = view.rowAt(view.viewport().height() - 1)
        bottom = model.rowCount() - 1 if bottom < 0 else bottom
        visible = list(range(top, bottom + 1))
        step = max(1, len(visible) // OPENS_PER_SEARCH)
        picked: list[int] = []
        for row in visible[::step] + visible:
            profile = model.profile_at(row)
            if profile is not None and profile.id not in opened and row not in picked:
                picked.append(row)
            if len(picked) == OPENS_PER_SEARCH:
                break
        return picked

    def open(self, row: int, watch: PaintWatch) -> None:
        view = self.window.search.view
        model = self.window.search.model
        panel = self.window.profile
        profile = model.profile_at(row)
        assert profile is not None
        rect = view.visualRect(model.index(row, 0))
        if not view.viewport().rect().contains(rect.center()):
            raise ProbeFailed(f"opening row {row}: it is not on screen")
        started: list[float] = []
        cpu: list[float] = []
        shown_at: list[float] = []

        def arm(finish: Callable[[], None]) -> None:
            def loaded(profile_id: str) -> None:
                if profile_id == profile.id:
                    shown_at.append(time.perf_counter())
                    watch.arm(finish)

            panel.loaded.connect(loaded)
            slots.append(loaded)
            started.append(time.perf_counter())
            cpu.append(time.thread_time())
            self.qtest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier, rect.center())

        slots: list[Callable[[str], None]] = []
        try:
            _wait(f"opening {profile.name}", arm)
        finally:
            for slot in slots:
                panel.loaded.disconnect(slot)
        assert watch.finished_at is not None and watch.finished_cpu is not None
        shown = panel.data.header.profile_id if panel.data is not None else None
        if shown != profile.id or panel.header.name.text() != profile.name:
            raise ProbeFailed(f"opening {profile.name}: the panel shows {shown} "
                              f"({panel.header.name.text()!r})")
        self.results.opens.append(Opened(profile.id, watch.finished_at - started[0],
                                         watch.finished_cpu - cpu[0],
                                         watch.finished_at - shown_at[0]))


def _startup(window: MainWindow, started: float, results: Results,
             then: Callable[[], None]) -> PaintWatch:
    """From the window being shown: wait for the staff list (read on the worker) and its
    paint, then for the event loop to go idle; that moment ends the start-up. The caller
    keeps the returned watch until then."""
    page = window.signin
    watch = PaintWatch([page.staff_list.viewport(), page.pin])

    def settled() -> None:
        # Able to take input: the staff are listed and the PIN field has the window's focus.
        ready = page.model.rowCount() > 0 and window.focusWidget() is page.pin
        if not ready:
            watch.arm(settled)  # painted before the staff arrived: wait for the next paint
            return
        assert watch.finished_at is not None
        results.startup_s = now() - started - (time.perf_counter() - watch.finished_at)
        results.startup_cpu_s = time.process_time()
        watch.remove()
        then()

    watch.arm(settled)
    return watch


def probe(database: str, queries: Sequence[str], *, opens: int = OPENS,
          searches: int = SEARCHES, staff: tuple[str, str] = SIGN_IN) -> dict[str, Any]:
    """Start the app on ``database``, browse, and return the measurements (see the module)."""
    started = process_start()
    results = Results()
    results.imported_s = now() - started  # Python, Qt and the app's modules imported
    kept: list[Any] = []  # what Qt holds only weakly: the start-up's watch and deadline

    def browse(window: MainWindow) -> None:
        try:
            Browse(window, queries, results, opens=opens, searches=searches, pin=staff).run()
            results.rss_mb = rss_mb()
        except BaseException as exc:  # the app's excepthook would make it a notice
            results.error = exc
        finally:
            window.close()
            QApplication.quit()

    def too_late(window: MainWindow) -> None:
        if results.startup_s is None:
            results.error = ProbeFailed(f"start-up: the sign-in screen was not ready after "
                                        f"{STEP_TIMEOUT_MS / 1000:.0f} s")
            window.close()
            QApplication.quit()

    def ready(window: MainWindow) -> None:
        kept.clear()
        QTimer.singleShot(0, lambda: browse(window))

    def shown(window: MainWindow) -> None:
        deadline = QTimer()
        deadline.setSingleShot(True)
        deadline.timeout.connect(lambda: too_late(window))
        deadline.start(STEP_TIMEOUT_MS)
        kept.extend([deadline, _startup(window, started, results, lambda: ready(window))])

    code = app_module.run(database, on_shown=shown)
    if results.error is not None:
        raise results.error
    if code != 0:
        raise ProbeFailed(f"the app exited with {code}")
    if results.startup_s is None or not results.opens:
        raise ProbeFailed("the app closed before the probe was done")
    return summary(results)


def summary(results: Results) -> dict[str, Any]:
    times = [o.seconds for o in results.opens]
    gui_cpu = [o.gui_cpu_seconds for o in results.opens]
    paint = [o.paint_seconds for o in results.opens]
    return {
        "startup_s": round(results.startup_s or 0.0, 3),
        "rss_mb": results.rss_mb,
        "open_profile_ui_p95_ms": ms(percentile(times, 95)),
        "open_profile_ui_p50_ms": ms(percentile(times, 50)),
        "open_profile_ui_max_ms": ms(max(times)),
        "open_profile_ui_gui_cpu_p95_ms": ms(percentile(gui_cpu, 95)),
        "open_profile_ui_gui_cpu_p50_ms": ms(percentile(gui_cpu, 50)),
        "open_profile_ui_paint_p50_ms": ms(percentile(paint, 50)),
        "open_profile_ui_paint_p95_ms": ms(percentile(paint, 95)),
        "opens": len(times),
        "distinct_profiles": len({o.profile_id for o in results.opens}),
        "searches": results.searches,
        "pages_scrolled": results.pages_scrolled,
        "startup_cpu_s": round(results.startup_cpu_s or 0.0, 3),
        "imports_s": round(results.imported_s or 0.0, 3),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clienteling.bench.desktop_probe")
    parser.add_argument("--db", required=True, help="the till database (a path or a URL)")
    parser.add_argument("--queries", required=True, type=Path,
                        help="a JSON file: the list of search texts to type, in order")
    parser.add_argument("--opens", type=int, default=OPENS)
    parser.add_argument("--searches", type=int, default=SEARCHES)
    args = parser.parse_args(argv)
    queries = json.loads(args.queries.read_text())
    try:
        measured = probe(args.db, queries, opens=args.opens, searches=args.searches)
    except ProbeFailed as exc:
        print(f"desktop probe: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(measured))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
