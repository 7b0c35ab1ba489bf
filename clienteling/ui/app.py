"""Starting the desktop app: the QApplication, the look, the log file, the database
(default: the user data folder, or ``CLIENTELING_DB``), the first-run choice — connect to a
hub, or demo data — and the sign-in screen."""

from __future__ import annotations

import gc
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QLabel

from clienteling import __version__
from clienteling.engine.db import normalise_url
from clienteling.logfile import enable_fault_log
from clienteling.ui.about import database_location
from clienteling.ui.common import theme
from clienteling.ui.common.errors import describe, install_excepthook, setup_logging
from clienteling.ui.worker import EngineWorker

if TYPE_CHECKING:
    from clienteling.ui.main_window import MainWindow

log = logging.getLogger(__name__)

DEMO_PROFILES = 2000
#: The application icon, one of the icon set (resources/icons/clienteling.svg).
APP_ICON = "clienteling"


def default_database() -> str:
    """``CLIENTELING_DB``, else ``<user data dir>/clienteling.db``."""
    configured = os.environ.get("CLIENTELING_DB")
    if configured:
        return configured
    folder = Path(platformdirs.user_data_dir("Clienteling", appauthor=False))
    return str(folder / "clienteling.db")


def ensure_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, created and styled once."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("Clienteling")
        app.setOrganizationName("Clienteling")
        app.setApplicationDisplayName("Clienteling")
        app.setApplicationVersion(__version__)
        # Matches packaging/clienteling.desktop, so a Wayland shell shows the entry's icon.
        app.setDesktopFileName("clienteling")
    assert isinstance(app, QApplication)
    if not app.property("clientelingStyled"):
        theme.apply(app)
        app.setWindowIcon(QIcon(theme.icon_pixmap(APP_ICON, size=256)))
        app.setProperty("clientelingStyled", True)
    return app


def _has_staff(url: str) -> bool:
    from clienteling.engine.services import Clienteling

    cl = Clienteling.open(url)
    try:
        return bool(cl.staff.list_staff(active_only=False))
    finally:
        cl.close()


def _first_run(url: str) -> bool:
    """On the worker: migrate; True when the till is new — no staff and no hub yet (a first
    sync that was cancelled or cut off carries on instead of asking again)."""
    from clienteling.engine.services import Clienteling
    from clienteling.sync.state import hub_url

    cl = Clienteling.open(url)
    try:
        return not cl.staff.list_staff(active_only=False) and hub_url(cl) is None
    finally:
        cl.close()


def prepare_database(url: str) -> bool:
    """On the worker: migrate, and create the demo store on a database without staff.
    Returns True when demo data was created."""
    if _has_staff(url):
        return False
    try:
        from clienteling.demo import create_demo
    except ImportError:
        log.warning("no demo module: starting on an empty database")
        return False
    create_demo(url, profiles=DEMO_PROFILES)
    return True


def wait_on_worker(worker: EngineWorker, fn: Any, *args: Any) -> Any:
    """Run ``fn`` on the worker while the event loop keeps the splash painted."""
    loop = QEventLoop()
    outcome: dict[str, Any] = {}

    def done(result: Any) -> None:
        outcome["result"] = result
        loop.quit()

    def failed(exc: BaseException) -> None:
        outcome["error"] = exc
        loop.quit()

    worker.submit(fn, *args).then(done, failed)
    loop.exec()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


def run(database: str | None = None, *,
        on_shown: Callable[[MainWindow], None] | None = None) -> int:
    """Open the app at the sign-in screen on ``database`` (a URL or a path).

    ``on_shown`` is called with the main window as soon as it is shown, before the event
    loop starts: ``clienteling bench`` times the real start-up path with it (SPEC §8)."""
    app = ensure_application()
    raw = database or default_database()
    url = normalise_url(raw)
    setup_logging(raw if "://" not in raw else None)
    enable_fault_log()
    # Until the window can show a notice, a failure in a slot is logged and said in one line.
    install_excepthook(lambda text: print(f"Clienteling: {text}", file=sys.stderr))
    log.info("Clienteling %s starting on %s", __version__, database_location(url))
    splash = QLabel("Opening Clienteling…")
    splash.setObjectName("splash")
    splash.setAlignment(Qt.AlignmentFlag.AlignCenter)
    splash.setWindowFlag(Qt.WindowType.SplashScreen)
    splash.setMinimumSize(420, 140)
    splash.show()
    app.processEvents()

    from clienteling.ui.main_window import MainWindow, open_engine
    from clienteling.ui.sync.first_run import CONNECT, DEMO, FirstRunDialog
    from clienteling.ui.worker import guard_gui_thread

    worker = EngineWorker()
    first_run: FirstRunDialog | None = None
    try:
        splash.setText("Opening the database…")
        if wait_on_worker(worker, _first_run, url):
            splash.hide()
            first_run = FirstRunDialog()
            if first_run.exec() != FirstRunDialog.DialogCode.Accepted:
                worker.stop()
                return 0
            splash.show()
            if first_run.choice == DEMO:
                splash.setText("Setting up a demo store…")
                wait_on_worker(worker, prepare_database, url)
        engine, store_name = wait_on_worker(worker, open_engine, url)
    except BaseException as exc:
        worker.stop()
        splash.close()
        message = describe(exc)
        print(f"Clienteling cannot start: {message.text}", file=sys.stderr)
        return 1
    guard = guard_gui_thread(engine, threading.get_ident())
    window = MainWindow(worker, engine, store_name=store_name, guard=guard)
    install_excepthook(window.show_notice)
    # What start-up made (modules, classes, Qt's wrappers, the engine's mappings: hundreds of
    # thousands of objects) lives as long as the app. Out of the collector's reach, a full
    # collection walks only what came later: it took ~50 ms, and fell in the middle of one
    # profile open in twenty (SPEC §8). Freezing is a constant-time move, not a collection.
    gc.freeze()
    splash.close()
    window.show()
    if on_shown is not None:
        on_shown(window)
    if first_run is not None and first_run.choice == CONNECT:
        window.connect_first_run(first_run.url, first_run.token, first_run.connection)
    return app.exec()
