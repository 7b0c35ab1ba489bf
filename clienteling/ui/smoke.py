"""The smoke test's Qt half (``clienteling.smoke`` checks the system first): the app's own
start-up path — QApplication and theme, the demo database a first run makes, the main window —
then signing in, opening Jane Citizen by her card and the About dialog, each step checked.

This is what a packaged build most often gets wrong: a style sheet, an icon, an image plugin,
a migration script or the time zone data left out of the bundle. Each shows here as a named
step that failed, not as a window that looks wrong.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtGui import QPixmap

import clienteling
from clienteling import __version__
from clienteling.demo import JANE_CARD, STAFF
from clienteling.logfile import close_logging, log_file, setup_logging
from clienteling.ui import app as app_module
from clienteling.ui.about import AboutDialog
from clienteling.ui.common import theme
from clienteling.ui.main_window import MainWindow, open_engine
from clienteling.ui.worker import EngineWorker, guard_gui_thread

log = logging.getLogger(__name__)

#: How long one step may take before the smoke test gives up on it (a first start of a
#: packaged app on a slow disk unpacks nothing, but does open ~100 shared libraries).
STEP_TIMEOUT_MS = 60_000
JANE = "Jane Citizen"


class SmokeFailed(Exception):
    """A step of the smoke test failed; the message names the step and the reason."""


@contextmanager
def _step(name: str) -> Iterator[None]:
    try:
        yield
    except SmokeFailed:
        raise
    except BaseException as exc:
        log.error("smoke test: %s failed", name, exc_info=True)
        raise SmokeFailed(f"{name}: {exc.__class__.__name__}: {exc}") from exc


def _check(ok: bool, problem: str) -> None:
    if not ok:
        raise SmokeFailed(problem)


def wait_until(condition: Callable[[], bool], what: str, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """Run the event loop until ``condition()`` holds; SmokeFailed naming ``what`` after
    ``timeout_ms``. The condition is polled from a timer, so the loop keeps serving the
    window and the worker's results in between."""
    if condition():
        return
    loop = QEventLoop()
    timed_out: list[bool] = []

    def poll_once() -> None:
        if condition():
            loop.quit()

    def give_up() -> None:
        timed_out.append(True)
        loop.quit()

    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(poll_once)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(give_up)
    poll.start()
    deadline.start(timeout_ms)
    loop.exec()
    poll.stop()
    deadline.stop()
    if timed_out and not condition():
        raise SmokeFailed(f"{what}: not done after {timeout_ms / 1000:.0f} s")


def exercise(database: Path) -> Iterator[str]:
    """The steps, on a new SQLite file at ``database``; yields a line per step passed and
    raises SmokeFailed at the first that fails."""
    with _step("starting Qt"):
        app = app_module.ensure_application(["clienteling"])
        _check(app.platformName() == "offscreen",
               f"starting Qt: platform {app.platformName()!r}, not offscreen")
        _check(not app.windowIcon().isNull(), "starting Qt: the application icon did not load")
        where = Path(clienteling.__file__).resolve().parent
        bundle = getattr(sys, "_MEIPASS", None)
        # A packaged app must run its own copy, never a checkout or an installed wheel.
        _check(bundle is None or where.is_relative_to(Path(bundle).resolve()),
               f"starting Qt: the package was imported from {where}, outside the bundle {bundle}")
    yield f"Qt {app.platformName()} started, clienteling from {where}"

    with _step("style sheet and icons"):
        sheet = app.styleSheet()
        _check(bool(sheet.strip()) and theme.palette()["accent"] in sheet,
               "style sheet: empty, or its colours not filled in")
        folder = theme.icon_folder()
        _check(folder.as_posix() in sheet, f"style sheet: its icons are not at {folder}")
        names = sorted(p.stem for p in folder.glob("*.svg"))
        _check(len(names) > 0, f"icons: none in {folder}")
        broken = [name for name in names if theme.icon_pixmap(name).isNull()]
        _check(not broken, f"icons: {broken} did not render")
        # The style sheet's url(...) icons are read by Qt's SVG image plugin, not by our code.
        _check(not QPixmap(str(folder / "check-white.svg")).isNull(),
               "icons: Qt cannot read SVG files (its svg image format plugin is missing)")
    yield f"style sheet and {len(names)} icons loaded"

    url = f"sqlite:///{database}"
    worker = EngineWorker()
    window: MainWindow | None = None
    try:
        with _step("demo database"):
            setup_logging(str(database))
            created = app_module.wait_on_worker(worker, app_module.prepare_database, url)
            _check(bool(created), "demo database: a fresh database got no demo data")
            engine, store_name = app_module.wait_on_worker(worker, open_engine, url)
        yield f"demo database created at {database}"

        with _step("main window"):
            guard = guard_gui_thread(engine, threading.get_ident())
            window = MainWindow(worker, engine, store_name=store_name, guard=guard)
            window.show()
            shown = window
            wait_until(lambda: shown.isVisible() and shown.windowHandle() is not None
                       and shown.windowHandle().isExposed(), "main window: shown")
            _check(not window.grab().isNull(), "main window: it could not be painted")
        yield f"main window shown ({store_name or 'no store'})"

        with _step("signing in"):
            username, _name, _role, pin = STAFF[0]
            actor = window.sign_in(username, pin)
            _check(window.is_signed_in, "signing in: the window is still at the sign-in screen")
        yield f"signed in as {actor.display_name}"

        with _step(f"opening {JANE}"):
            window.search.box.setText(JANE_CARD)
            window.search.submit()
            profile = window.profile
            wait_until(lambda: profile.data is not None, f"opening {JANE} by card {JANE_CARD}")
            assert profile.data is not None
            _check(profile.data.header.name == JANE,
                   f"opening {JANE}: card {JANE_CARD} opened {profile.data.header.name!r}")
            benefits = len(profile.data.benefits)
        yield f"opened {JANE} by her card ({benefits} benefits)"

        with _step("About dialog"):
            about = window.show_about()
            _check(isinstance(about, AboutDialog), f"About: {about!r} is not the About dialog")
            assert isinstance(about, AboutDialog)
            values = about.values
            _check(values["Version"] == __version__, f"About: version {values['Version']!r}")
            _check(values["Database"] == str(database), f"About: database {values['Database']!r}")
            logged = log_file()
            _check(logged is not None and values["Log file"] == str(logged) and logged.exists(),
                   f"About: log file {values['Log file']!r} (expected {logged})")
            about.close()
        yield f"About: version {__version__}, log file {values['Log file']}"

        violations = list(guard.violations)
        _check(not violations, f"threads: SQL ran on the GUI thread: {violations[:2]}")
    finally:
        if window is not None:
            window.close()  # stops the workers and closes the database
        else:
            worker.stop()
        close_logging()
