"""About Clienteling (F1): the version, the database path and the log file's path (issue 11)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from clienteling import __version__
from clienteling.logfile import close_logging, log_file, setup_logging
from clienteling.ui.about import AboutDialog, database_location
from clienteling.ui.main_window import MainWindow

Open = Callable[..., MainWindow]


def test_f1_shows_the_version_the_database_and_the_log_file(open_window: Open, qtbot: Any) -> None:
    close_logging()
    setup_logging()  # the test's log folder (conftest's CLIENTELING_LOG_DIR)
    try:
        w = open_window("ava")
        database = w.engine.database_url.removeprefix("sqlite:///")
        qtbot.keyClick(w, Qt.Key.Key_F1)
        qtbot.waitUntil(lambda: w.findChild(AboutDialog) is not None, timeout=5000)
        about = w.findChild(AboutDialog)
        assert about is not None and about.isVisible()
        shown = {label.text() for label in about.findChildren(QLabel)}
        assert f"Clienteling {__version__}" in shown
        assert database in shown and str(log_file()) in shown
        about.reject()
        qtbot.waitUntil(lambda: w.findChild(AboutDialog) is None, timeout=5000)  # deleted on close
    finally:
        close_logging()


def test_about_is_in_the_menu_and_works_while_locked(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    assert w.about_action in w.user_menu.actions()
    w.lock()
    w.about_action.trigger()
    about = w.findChild(AboutDialog)
    assert about is not None and about.isVisible()
    assert about.values["Version"] == __version__
    about.reject()


def test_a_server_database_is_shown_without_its_password() -> None:
    assert database_location("sqlite:////srv/till/clienteling.db") == "/srv/till/clienteling.db"
    assert (database_location("postgresql+psycopg://till:s3cret@db.example:5432/clienteling")
            == "postgresql+psycopg://till:***@db.example:5432/clienteling")
