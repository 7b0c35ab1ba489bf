"""Driving the main window the way staff do: type, scan, press Enter — and wait on signals;
and the records more than one UI test file puts in a database first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

from clienteling.engine.models import Profile, Reward, RewardDefinition, new_id
from clienteling.engine.services import Clienteling
from clienteling.ui.common.versioned_editor import VersionedEditor
from clienteling.ui.conflicts.dialog import ConflictsDialog
from clienteling.ui.main_window import MainWindow
from clienteling.ui.operations.conflict_rows import ConflictRow
from clienteling.ui.reports.window import ReportsWindow
from tests.internals import database_of

TIMEOUT = 5000
E = TypeVar("E", bound=VersionedEditor)


def search(qtbot: Any, window: MainWindow, text: str) -> int:
    """Type ``text`` into the search box and wait for the first page of results."""
    window.search.box.clear()
    with qtbot.waitSignal(window.search.model.first_page_loaded, timeout=TIMEOUT):
        qtbot.keyClicks(window.search.box, text)
    return window.search.model.rowCount()


def result_names(window: MainWindow) -> list[str]:
    model = window.search.model
    return [model.profile_at(i).name for i in range(model.rowCount())]  # type: ignore[union-attr]


def scan(qtbot: Any, window: MainWindow, code: str, *, into: QWidget | None = None) -> None:
    """A barcode scanner: the code typed fast, then Enter, into whatever has focus."""
    target = into or window.profile.benefits_view
    with qtbot.waitSignal(window.profile.loaded, timeout=TIMEOUT):
        qtbot.keyClicks(target, code)
        qtbot.keyClick(target, Qt.Key.Key_Return)


def open_jane(qtbot: Any, window: MainWindow) -> None:
    from tests.ui.conftest import JANE_CARD

    window.search.focus_search()
    scan(qtbot, window, JANE_CARD, into=window.search.box)
    assert window.profile.customer == "Jane Citizen"


def wait_message(qtbot: Any, window: MainWindow, contains: str) -> str:
    """Wait for the in-place confirmation (or error) to say something containing ``contains``."""
    label = window.profile.message.label
    qtbot.waitUntil(lambda: contains in label.text() and window.profile.message.isVisibleTo(
        window.profile), timeout=TIMEOUT)
    return label.text()


def wait_dialog(qtbot: Any, window: MainWindow, name: str) -> QDialog:
    qtbot.waitUntil(lambda: window.active_dialog is not None
                    and window.active_dialog.objectName() == name
                    and window.active_dialog.isVisible(), timeout=TIMEOUT)
    dialog = window.active_dialog
    assert dialog is not None
    return dialog


def benefit_row(window: MainWindow, name: str) -> Any:
    for row in window.profile.benefits_model.rows:
        if row.name == name:
            return row
    raise AssertionError(f"no benefit {name!r} on {window.profile.customer}")


# -- reports -------------------------------------------------------------------------------------

def customer_owed_elsewhere(cl: Clienteling, *, source: str = "issued") -> str:
    """A second store ("Sydney") whose customer, Far Away, holds 77.00 reward dollars (issued
    by ``source``) expiring in 10 days; returns the store's id."""
    other = cl.staff.create_store(None, {"name": "Sydney", "timezone": "Australia/Sydney"})
    now = cl.now()
    with database_of(cl).write() as s:
        pid, did = new_id(), new_id()
        s.add(Profile(id=pid, first_name="Far", last_name="Away", home_store_id=other.id,
                      name_key="far away", last_name_key="away", attributes={},
                      created_at=now, updated_at=now))
        s.add(RewardDefinition(id=did, name="Elsewhere", handle=f"elsewhere-{pid[:6]}",
                               type="campaign", created_at=now, updated_at=now))
        s.flush()
        s.add(Reward(id=new_id(), profile_id=pid, reward_definition_id=did,
                     value_initial=Decimal("77.00"), value_remaining=Decimal("77.00"),
                     issued_at=now, expires_at=now + timedelta(days=10),
                     timezone="Australia/Sydney", source=source,
                     created_at=now, updated_at=now))
        s.commit()
    return other.id


def open_reports(qtbot: Any, window: MainWindow, *, timeout: int = TIMEOUT) -> ReportsWindow:
    """Reports from the user menu, once every page has loaded."""
    window.reports_action.trigger()
    reports = window.reports_window
    assert isinstance(reports, ReportsWindow)
    with qtbot.waitSignals([page.loaded for page in reports.pages.values()], timeout=timeout):
        pass
    return reports


# -- an edit the hub refused at sync time (SPEC §6) ----------------------------------------------

def the_one_conflict(qtbot: Any, window: MainWindow) -> tuple[ConflictsDialog, ConflictRow]:
    """Click "Conflicts (1)" on the status bar: the Conflicts dialog and its one row."""
    qtbot.waitUntil(lambda: window.sync_status.conflicts.text() == "Conflicts (1)", timeout=TIMEOUT)
    qtbot.mouseClick(window.sync_status.conflicts, Qt.MouseButton.LeftButton)
    dialog = wait_dialog(qtbot, window, "conflictsDialog")
    assert isinstance(dialog, ConflictsDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=TIMEOUT)
    return dialog, dialog.model.rows[0]


def resolve_in_editor(qtbot: Any, dialog: ConflictsDialog, editor: Callable[[], QWidget | None],
                      kind: type[E]) -> E:
    """Click "Resolve…" in the Conflicts dialog; the ``kind`` of editor that ``editor()`` then
    gives, once it shows the two versions and offers "Keep mine"."""
    assert dialog.resolve_button.isVisibleTo(dialog) and dialog.resolve_button.isEnabled()
    qtbot.mouseClick(dialog.resolve_button, Qt.MouseButton.LeftButton)

    def showing() -> bool:
        shown = editor()
        return (isinstance(shown, kind) and shown.conflict.isVisibleTo(shown)
                and shown.keep_mine.text() == "Keep mine")

    qtbot.waitUntil(showing, timeout=TIMEOUT)
    shown = editor()
    assert isinstance(shown, kind)
    return shown


def keep_version(qtbot: Any, window: MainWindow, editor: VersionedEditor,
                 choice: str) -> None:
    """Click "Keep mine" or "Take theirs" in the editor's conflict banner; it says which was
    kept, and the status bar's count of conflicts goes to 0."""
    with qtbot.waitSignal(editor.resolved, timeout=TIMEOUT) as resolved:
        if choice == "mine":
            qtbot.mouseClick(editor.keep_mine, Qt.MouseButton.LeftButton)
        else:
            qtbot.mouseClick(editor.load_theirs, Qt.MouseButton.LeftButton)
    assert resolved.args[1] == choice
    qtbot.waitUntil(lambda: window.sync_status.conflicts.text() == "Conflicts (0)", timeout=TIMEOUT)
