"""A database that fails under the till (read-only, full disk) is said in words at the counter,
where the action was, and nothing is half-saved: the engine's transaction rolled back as a
whole (GUIDE: bad input anywhere gets a message and changes nothing; SPEC §5 errors in words)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from clienteling.ui.main_window import MainWindow
from tests.db_faults import read_only
from tests.internals import database_of
from tests.ui.support import TIMEOUT, benefit_row, open_jane, wait_message

Open = Callable[..., MainWindow]


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, read with a connection of the test's own (not the app's)."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def test_a_redeem_on_a_read_only_database_says_so_and_saves_nothing(open_window: Open, qtbot: Any,
                                                                    demo_url: str) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    assert w.profile.select_benefit("Free Alterations")
    assert benefit_row(w, "Free Alterations").left_text == "2 of 3 left"
    before = _rows(demo_url)
    with read_only(database_of(w.engine)):
        qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_Return)
        text = wait_message(qtbot, w, "read-only")
    assert "Not redeemed" in text
    assert "The database is read-only" in text and "nothing was saved" in text
    assert "Traceback" not in text and "OperationalError" not in text
    assert _rows(demo_url) == before
    assert benefit_row(w, "Free Alterations").left_text == "2 of 3 left"

    # Writable again: the same Enter redeems.
    w.profile.select_benefit("Free Alterations")
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_Return)
    wait_message(qtbot, w, "1 of 3 left")
    qtbot.waitUntil(lambda: benefit_row(w, "Free Alterations").remaining == 1, timeout=TIMEOUT)
