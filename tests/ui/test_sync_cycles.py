"""Sync cycles with a real hub on loopback (issue 8, must-show 9): a redemption the hub refuses
shows in Conflicts with customer, staff and reason in words, and a manager dismisses it; a
change made at the hub appears in the open profile and the search list in place, without
losing the selected row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import select

from clienteling.engine.models import AuditEvent
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.sync.cycle import CycleReport
from clienteling.ui.conflicts.dialog import ConflictsDialog
from clienteling.ui.main_window import MainWindow
from clienteling.ui.sync.network import Outcome
from tests.internals import database_of
from tests.ui.hub_support import HubWorld, connect
from tests.ui.support import (
    TIMEOUT,
    benefit_row,
    open_jane,
    result_names,
    search,
    wait_dialog,
    wait_message,
)

Open = Callable[..., MainWindow]
SYNC_TIMEOUT = 30_000


def _online(outcome: Outcome) -> bool:
    return outcome.report is not None and outcome.report.online and outcome.report.error is None


def _sync(qtbot: Any, w: MainWindow) -> CycleReport:
    """"Sync now" (F5's action: the key only reaches an active window, and the definitions
    editor may be the active one), and wait for the cycle it starts to end."""
    assert w.sync_action.shortcut().toString() == "F5"
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT) as finished:
        w.sync_action.trigger()
    outcome: Outcome = finished.args[0]
    assert outcome.report is not None
    return outcome.report


def _connected(qtbot: Any, w: MainWindow, hub: HubWorld) -> None:
    def run(cl: Clienteling) -> None:
        connect(cl, cl.staff.sign_in("ada", "905238"), hub)

    w.worker.run_sync(run, w.engine)
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT, check_params_cb=_online):
        w.sync.sync_now()


def _at_hub(hub: HubWorld, username: str, pin: str) -> Actor:
    return hub.cl.staff.sign_in(username, pin)


def test_a_refused_redemption_shows_in_conflicts_in_words(open_window: Open, qtbot: Any,
                                                          demo_hub: HubWorld) -> None:
    w = open_window("ava")
    _connected(qtbot, w, demo_hub)
    open_jane(qtbot, w)
    jane = w.profile.profile_id
    vip = benefit_row(w, "VIP Lounge")
    assert jane is not None and vip.remaining == 3

    # Another till (here: the hub itself) uses up Jane's VIP Lounge while this till is not
    # looking; this till then redeems it too, offline as far as it knows.
    max_at_hub = _at_hub(demo_hub, "max", "731405")
    for _ in range(3):
        demo_hub.cl.benefits.redeem(max_at_hub, jane, vip.id)
    assert w.profile.select_benefit("VIP Lounge")
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_Return)
    wait_message(qtbot, w, "2 of 3 left")
    qtbot.waitUntil(lambda: w.sync_status.text.endswith("· 1 waiting"), timeout=TIMEOUT)

    report = _sync(qtbot, w)
    assert (report.online, report.pushed, report.conflicts, report.waiting) == (True, 0, 1, 0)
    qtbot.waitUntil(lambda: w.sync_status.conflicts.text() == "Conflicts (1)", timeout=TIMEOUT)
    assert w.sync_status.text == "Online · synced 11:00"
    # The till's copy was corrected from the hub: no uses left, as at the hub.
    qtbot.waitUntil(lambda: benefit_row(w, "VIP Lounge").remaining == 0, timeout=TIMEOUT)
    assert w.profile.selected_benefit() is not None
    assert w.profile.selected_benefit().name == "VIP Lounge"  # type: ignore[union-attr]

    qtbot.mouseClick(w.sync_status.conflicts, Qt.MouseButton.LeftButton)
    dialog = wait_dialog(qtbot, w, "conflictsDialog")
    assert isinstance(dialog, ConflictsDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=TIMEOUT)
    row = dialog.model.rows[0]
    assert (row.customer, row.staff, row.what) == ("Jane Citizen", "Ava Nguyen",
                                                   "Redeem benefit · VIP Lounge")
    assert row.code == "exhausted"
    assert row.headline == "Not redeemed at the hub: VIP Lounge was already used up at another till"
    assert row.outcome == "the till's copy was corrected from the hub"
    model = dialog.model
    shown = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert shown[1:] == ["Redeem benefit · VIP Lounge", "Jane Citizen", "Ava Nguyen", row.headline,
                         row.outcome]
    assert row.headline in dialog.detail.text()
    # An associate cannot dismiss it; the engine would refuse too.
    assert not dialog.dismiss_button.isEnabled()
    dialog.close_button.click()
    qtbot.waitUntil(lambda: w.active_dialog is None, timeout=TIMEOUT)


def test_a_manager_dismisses_a_conflict_and_it_is_audited(open_window: Open, qtbot: Any,
                                                          demo_hub: HubWorld) -> None:
    w = open_window("max")
    _connected(qtbot, w, demo_hub)
    open_jane(qtbot, w)
    jane, vip = w.profile.profile_id, benefit_row(w, "VIP Lounge")
    assert jane is not None
    ada_at_hub = _at_hub(demo_hub, "ada", "905238")
    for _ in range(3):
        demo_hub.cl.benefits.redeem(ada_at_hub, jane, vip.id)
    assert w.profile.select_benefit("VIP Lounge")
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_Return)
    wait_message(qtbot, w, "2 of 3 left")
    assert _sync(qtbot, w).conflicts == 1

    qtbot.waitUntil(lambda: w.sync_status.conflicts.text() == "Conflicts (1)", timeout=TIMEOUT)
    qtbot.mouseClick(w.sync_status.conflicts, Qt.MouseButton.LeftButton)
    dialog = wait_dialog(qtbot, w, "conflictsDialog")
    assert isinstance(dialog, ConflictsDialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1 and dialog.dismiss_button.isEnabled(),
                    timeout=TIMEOUT)
    seq = dialog.model.rows[0].seq
    with qtbot.waitSignal(dialog.dismissed, timeout=TIMEOUT):
        qtbot.mouseClick(dialog.dismiss_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.is_empty, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: w.sync_status.conflicts.text() == "Conflicts (0)", timeout=TIMEOUT)

    def dismissals(cl: Clienteling) -> list[tuple[str | None, Any]]:
        with database_of(cl).read() as s:
            return [(e.staff_id, e.meta) for e in s.scalars(
                select(AuditEvent).where(AuditEvent.action == "outbox.dismiss"))]

    events = w.worker.run_sync(dismissals, w.engine)
    assert len(events) == 1 and events[0][1]["seq"] == seq
    dialog.close_button.click()


def test_a_change_at_the_hub_appears_in_place_keeping_the_selection(open_window: Open, qtbot: Any,
                                                                    demo_hub: HubWorld) -> None:
    w = open_window("ava")
    _connected(qtbot, w, demo_hub)
    assert search(qtbot, w, "Citizen") >= 1
    assert "Jane Citizen" in result_names(w)
    open_jane(qtbot, w)
    jane = w.profile.profile_id
    assert jane is not None
    assert w.profile.select_benefit("Free Alterations")
    vip = benefit_row(w, "VIP Lounge")
    search_row = result_names(w).index("Jane Citizen")

    # Another till, through the hub: Jane's VIP Lounge is used once and her name corrected.
    max_at_hub = _at_hub(demo_hub, "max", "731405")
    demo_hub.cl.benefits.redeem(max_at_hub, jane, vip.id)
    demo_hub.cl.profiles.update(max_at_hub, jane, {"first_name": "Janet"})

    report = _sync(qtbot, w)
    assert report.online and report.pulled >= 2
    qtbot.waitUntil(lambda: benefit_row(w, "VIP Lounge").remaining == 2, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: w.profile.customer == "Janet Citizen", timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "Janet Citizen" in result_names(w), timeout=TIMEOUT)
    # In place: the same benefit is still selected, the search row kept its place.
    selected = w.profile.selected_benefit()
    assert selected is not None and selected.name == "Free Alterations"
    assert result_names(w).index("Janet Citizen") == search_row
    assert w.search.view.currentIndex().row() in (-1, search_row)


def test_a_revoked_token_stops_sync_and_says_so(open_window: Open, qtbot: Any,
                                                demo_hub: HubWorld) -> None:
    w = open_window("ava")
    _connected(qtbot, w, demo_hub)
    assert w.sync.timer.isActive()
    devices = demo_hub.live.hub.devices  # the hub's own: revoking clears its cache of tokens
    for token in devices.tokens():
        devices.revoke(None, token.id)

    report = _sync(qtbot, w)
    assert report.token_rejected
    assert w.sync_status.text == ("Sync stopped: token revoked — a manager can reconnect "
                                  "(Hub connection…)")
    # No retry storm: the 30-second timer is off until someone reconnects the till (or F5).
    assert w.sync.stopped and not w.sync.timer.isActive()
