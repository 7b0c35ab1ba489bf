"""Roles at the counter (SPEC §3.7): buttons follow the role for clarity, the engine enforces
it anyway, and a manager's PIN authorises what an associate may not do alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from clienteling.engine.errors import PermissionDenied
from clienteling.engine.permissions import Action
from clienteling.ui.main_window import MainWindow
from clienteling.ui.profile.issue_reward_dialog import IssueRewardDialog
from clienteling.ui.profile.panel import HISTORY
from clienteling.ui.signin.manager_override import ManagerOverrideDialog
from tests.ui.support import TIMEOUT, open_jane, wait_dialog, wait_message

Open = Callable[..., MainWindow]


def _issue_dialog(qtbot: Any, w: MainWindow) -> IssueRewardDialog:
    dialog = wait_dialog(qtbot, w, "issueRewardDialog")
    assert isinstance(dialog, IssueRewardDialog)
    qtbot.waitUntil(lambda: dialog.definitions.rowCount() > 0, timeout=TIMEOUT)
    return dialog


def test_a_manager_issues_a_customer_service_reward(open_window: Open, qtbot: Any) -> None:
    w = open_window("max")
    open_jane(qtbot, w)
    assert w.profile.issue_reward_button.isEnabled()
    assert w.profile.ask_manager_button.isHidden()
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    dialog = _issue_dialog(qtbot, w)
    # Customer service is preselected and the manager's cap is shown beside the amount.
    assert dialog.definition_field.currentText() == "Customer Service"
    assert dialog.cap_label.text().startswith("Your limit: $100.00")
    assert "$500.00" in dialog.cap_label.text()

    dialog.amount.setText("20.00")
    dialog.ok_button.click()  # no reason yet: the engine names the field
    qtbot.waitUntil(lambda: "must not be empty" in dialog.field_error("reason"), timeout=TIMEOUT)
    dialog.amount.setText("150.00")
    dialog.reason.setText("Parcel arrived damaged")
    dialog.ok_button.click()  # over the manager's cap
    qtbot.waitUntil(lambda: "at most $100.00" in dialog.message.text(), timeout=TIMEOUT)

    dialog.amount.setText("20.00")
    assert dialog.ok_button.text() == "Issue $20.00"
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.ok_button.click()
    wait_message(qtbot, w, "Issued $20.00 reward to Jane Citizen")
    qtbot.waitUntil(lambda: w.profile.header.balance.text() == "$65.00", timeout=TIMEOUT)
    assert any(r.reason == "Parcel arrived damaged" and r.pending for r in w.profile.rewards_model.rows)


def test_an_associate_cannot_issue_a_reward_and_the_engine_refuses_anyway(open_window: Open,
                                                                          qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    assert not w.profile.issue_reward_button.isEnabled()
    assert w.profile.issue_reward_button.toolTip() == "Managers and admins only"
    assert not w.profile.ask_manager_button.isHidden()
    assert w.actor is not None and w.profile.profile_id is not None
    # The button is only for clarity: the engine itself says no to an associate.
    with pytest.raises(PermissionDenied, match="associate"):
        w.engine.rewards.issue(w.actor, {"profile_id": w.profile.profile_id,
                                         "reward_definition_handle": "customer-service",
                                         "value_initial": "20.00", "reason": "trying"})
    with pytest.raises(PermissionDenied):
        w.engine.benefits.delete(w.actor, w.profile.benefits_model.rows[0].id)


def test_manager_override_lets_an_associate_issue_a_reward(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    override = wait_dialog(qtbot, w, "managerOverrideDialog")
    assert isinstance(override, ManagerOverrideDialog)
    qtbot.waitUntil(lambda: override.staff_model.rowCount() == 2, timeout=TIMEOUT)  # Max and Ada
    override.select_manager("max")
    override.pin.setText("0000")
    override.ok_button.click()
    qtbot.waitUntil(lambda: "Wrong PIN" in override.message.text(), timeout=TIMEOUT)
    override.pin.setText("731405")
    with qtbot.waitSignal(override.accepted, timeout=TIMEOUT):
        override.ok_button.click()

    dialog = _issue_dialog(qtbot, w)
    assert dialog.manager is not None and dialog.manager.username == "max"
    assert "Authorised by Max" in dialog.override_label.text()
    assert dialog.cap_label.text().startswith("Your limit: $100.00")
    dialog.amount.setText("15.00")
    dialog.reason.setText("Wrong size sent")
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.ok_button.click()
    wait_message(qtbot, w, "authorised by Max")
    # The audit names the associate and the manager who authorised it.
    w.profile.tabs.setCurrentIndex(HISTORY)
    qtbot.waitUntil(lambda: any(r.text.startswith("Issued Customer Service")
                                for r in w.profile.history_model.rows), timeout=TIMEOUT)
    row = next(r for r in w.profile.history_model.rows if r.text.startswith("Issued Customer Service"))
    assert row.staff == "Ava Nguyen (authorised by Max Romano)"


def test_an_admin_has_no_cap(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    open_jane(qtbot, w)
    w.profile.commands.open_issue_reward()
    dialog = _issue_dialog(qtbot, w)
    assert dialog.cap_label.text().startswith("No limit for admins")
    assert not dialog.ask_button.isVisible()
    dialog.reject()


def test_a_manager_finds_the_definitions_editor_disabled_and_is_refused_in_the_engines_words(
        open_window: Open, qtbot: Any) -> None:
    """One permission table (issue 15): the menu item, its handler and the engine ask the same
    Action, and the refusal is PermissionDenied's sentence, not a second story in the UI."""
    w = open_window("max")
    assert not w.definitions_action.isEnabled()
    w.open_definitions_editor()  # reached anyway
    qtbot.waitUntil(lambda: "may not" in w.status_message.text(), timeout=TIMEOUT)
    assert w.status_message.text() == (
        f"A staff member with role 'manager' may not {Action.EDIT_DEFINITIONS.value}")
    assert w.definitions_window is None
