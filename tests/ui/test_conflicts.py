"""The Conflicts list (SPEC §5 sync status): what the hub refused, when, for which customer,
by whom, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import update

from clienteling.engine.models import OutboxEntry
from clienteling.engine.services import Clienteling
from clienteling.ui.common import formatting as fmt
from clienteling.ui.conflicts.dialog import EMPTY, ConflictsDialog
from clienteling.ui.main_window import MainWindow
from clienteling.ui.operations.conflict_rows import Names, describe_entry
from clienteling.ui.operations.conflicts import load_conflicts
from tests.internals import database_of
from tests.ui.conftest import T0
from tests.ui.support import TIMEOUT, open_jane, wait_dialog, wait_message

Open = Callable[..., MainWindow]

REASON = "exhausted: another till redeemed the last use first"


def _refuse(cl: Clienteling, path_ends: str, reason: str = REASON, code: str = "exhausted") -> None:
    """What the pusher does when the hub rejects an entry (test only: a direct UPDATE)."""
    with database_of(cl).write() as s:
        s.execute(update(OutboxEntry).where(OutboxEntry.path.endswith(path_ends))
                  .values(status="conflict", last_error=reason, last_code=code))


def _open_conflicts(qtbot: Any, w: MainWindow, count: int) -> ConflictsDialog:
    w.sync_status.refresh()
    qtbot.waitUntil(lambda: w.sync_status.conflicts.text() == f"Conflicts ({count})", timeout=TIMEOUT)
    qtbot.mouseClick(w.sync_status.conflicts, Qt.MouseButton.LeftButton)
    dialog = wait_dialog(qtbot, w, "conflictsDialog")
    assert isinstance(dialog, ConflictsDialog)
    return dialog


def test_a_refused_redemption_is_listed_with_customer_staff_and_reason(open_window: Open, qtbot: Any,
                                                                      qtmodeltester: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    assert w.profile.select_benefit("Free Alterations")
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_Return)
    wait_message(qtbot, w, "1 of 3 left")
    w.worker.run_sync(_refuse, w.engine, "/redeem")

    dialog = _open_conflicts(qtbot, w, 1)
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=TIMEOUT)
    assert dialog.pages.currentWidget() is dialog.view
    row = dialog.model.rows[0]
    assert row.what == "Redeem benefit · Free Alterations"
    assert row.request.startswith("POST /profiles/") and row.request.endswith("/redeem")
    assert (row.customer, row.staff, row.reason) == ("Jane Citizen", "Ava Nguyen", REASON)
    model = dialog.model
    texts = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    headline = "Not redeemed at the hub: Free Alterations was already used up at another till"
    assert texts == [fmt.day_time(T0, "Australia/Melbourne"), "Redeem benefit · Free Alterations",
                     "Jane Citizen", "Ava Nguyen", headline,
                     "the till's copy was corrected from the hub"]
    assert texts[0].endswith("11:00")  # midnight UTC is 11:00 in Melbourne (daylight time)
    assert REASON in dialog.detail.text() and "for Jane Citizen by Ava Nguyen" in dialog.detail.text()
    qtmodeltester.check(model)
    dialog.close_button.click()
    qtbot.waitUntil(lambda: w.active_dialog is None, timeout=TIMEOUT)


def test_no_conflicts_says_so(open_window: Open, qtbot: Any, qtmodeltester: Any) -> None:
    w = open_window("max")
    dialog = _open_conflicts(qtbot, w, 0)
    with qtbot.waitSignal(dialog.loaded, timeout=TIMEOUT) as loaded:
        dialog.reload()
    assert loaded.args == [0]
    assert dialog.empty_label.text() == EMPTY
    assert dialog.pages.currentWidget() is dialog.empty_label
    qtmodeltester.check(dialog.model)


def test_a_conflict_without_a_customer_shows_a_dash(demo_url: str) -> None:
    cl = Clienteling.open(demo_url)
    try:
        ada = cl.staff.sign_in("ada", "905238")
        d = next(d for d in cl.definitions.benefit_definitions() if d.name == "Free Alterations")
        cl.definitions.update_benefit_definition(ada, d.id, {"short_description": "Hemming and more"})
        _refuse(cl, d.id, "version: the hub has a newer version of this definition")
        (row,) = load_conflicts(cl)
    finally:
        cl.close()
    assert row.what == "Edit benefit definition · Free Alterations"
    assert (row.customer, row.staff) == ("—", "Ada Okafor")


@dataclass(frozen=True)
class _Entry:
    """An outbox entry as the list reads it (``OutboxItem``'s fields that matter)."""

    action: str | None
    body: Any = None
    entity_type: str = "profile"
    entity_id: str = "p1"
    entities: tuple[tuple[str, str, str], ...] = ()
    method: str = "POST"


@pytest.mark.parametrize(("entry", "words"), [
    (_Entry("profile.create", {}), "Create customer"),
    (_Entry("profile.update", {"email": "x@example.com"}), "Edit customer details"),
    (_Entry("benefit.redeem", {}, "redemption", "r1",
            (("benefit", "b1", "changed"), ("profile", "p1", "ref"))),
     "Redeem benefit · Free Alterations"),
    (_Entry("benefit.claim", {"definition": "coffee"}, "benefit", "b2"), "Claim benefit · Coffee"),
    (_Entry("benefit.claim+benefit.redeem", {}, "redemption", "r1"), "Claim and redeem benefit"),
    (_Entry("reward.redeem", {"amount": "30.00"}, "redemption", "r1"),
     "Redeem reward dollars · $30.00"),
    (_Entry("reward.issue", {"value_initial": "20"}, "reward", "w1"), "Issue reward · $20.00"),
    (_Entry("reward.extend", {"ids": ["w1"]}, "reward", "w1"), "Extend reward"),
    (_Entry("benefit.issue", {"benefit_definition_id": "coffee"}, "benefit", "b2"),
     "Issue benefit · Coffee"),
    (_Entry("benefit.reassign", {"profile_id": "p2"}, "benefit", "b1"),
     "Move benefit to another customer · Free Alterations"),
    (_Entry("benefit.update", {"expires_at": "2026-04-01"}, "benefit", "b1"),
     "Change benefit expiry · Free Alterations"),
    (_Entry("benefit.extend", {"ids": ["b1"]}, "benefit", "b1"),
     "Extend benefit · Free Alterations"),
    (_Entry("benefit.delete", None, "benefit", "b9", method="DELETE"), "Delete benefit"),
    (_Entry("redemption.void", {}, "redemption", "v1"), "Void redemption"),
    (_Entry("reward_definition.create", {"name": "Birthday"}, "reward_definition", "d1"),
     "Create reward definition · Birthday"),
    (_Entry("benefit_definition.update", {}, "benefit_definition", "coffee", method="PUT"),
     "Edit benefit definition · Coffee"),
    (_Entry("reaction.create", {}, "reaction", "x1"), "Create reaction"),
    (_Entry(None, {}, "widget", "w1", method="PATCH"), "Change widget"),
])
def test_entries_in_words(entry: _Entry, words: str) -> None:
    names = Names(benefit={"b1": "Free Alterations"}.get, benefit_definition={"coffee": "Coffee"}.get)
    assert describe_entry(entry, names) == words


def test_what_a_conflict_did_is_its_recorded_action_not_its_url(demo_url: str) -> None:
    """Issue 15: the list reads the entry's action; its request's path says nothing to it."""
    cl = Clienteling.open(demo_url)
    try:
        ada = cl.staff.sign_in("ada", "905238")
        d = next(d for d in cl.definitions.benefit_definitions() if d.name == "Free Alterations")
        cl.definitions.update_benefit_definition(ada, d.id, {"short_description": "Hemming"})
        (entry,) = cl.outbox.pending()
        assert entry.action == "benefit_definition.update"
        with database_of(cl).write() as s:
            s.execute(update(OutboxEntry).where(OutboxEntry.seq == entry.seq)
                      .values(path="/somewhere/else", status="conflict", last_error="Changed",
                              last_code="version_conflict"))
        (row,) = load_conflicts(cl)
    finally:
        cl.close()
    assert row.what == "Edit benefit definition · Free Alterations"
    assert row.definition == ("benefit", d.id)
    assert row.request == "PUT /somewhere/else"
