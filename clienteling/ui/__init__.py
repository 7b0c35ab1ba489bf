"""The desktop application (PySide6): the panels of SPEC §5 on the local engine.

``build_main_window`` opens a signed-in window (tests, scripts); ``clienteling.ui.app.run``
starts the app at the sign-in screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clienteling.engine.clock import Clock
    from clienteling.ui.main_window import MainWindow

__all__ = ["build_main_window"]


def build_main_window(database_url: str, username: str, pin: str, *, clock: Clock | None = None,
                      idle_lock_ms: int | None = None) -> MainWindow:
    """The main window on ``database_url``, signed in as ``username``.

    Creates the QApplication if there is none. Raises the engine's ``AuthenticationFailed``
    (with its message in words) for a wrong PIN or a locked account, and ``DatabaseError``
    when the database cannot be opened.
    """
    from clienteling.ui.app import ensure_application
    from clienteling.ui.main_window import MainWindow

    ensure_application()
    window = MainWindow.create(database_url, clock=clock, idle_lock_ms=idle_lock_ms)
    try:
        window.sign_in(username, pin)
    except BaseException:
        window.shutdown()
        window.deleteLater()
        raise
    return window
