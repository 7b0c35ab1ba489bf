"""Every item model passes Qt's model tester (GUIDE principle 8), with real data in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clienteling.ui.definitions.model import DefinitionsModel
from clienteling.ui.definitions.timeframe_model import DayRow, TimeframeModel
from clienteling.ui.main_window import MainWindow
from clienteling.ui.operations.definitions import DefinitionRow
from clienteling.ui.operations.signin import StaffRow
from clienteling.ui.profile.issue_reward_dialog import IssueRewardDialog
from clienteling.ui.profile.models import HistoryModel
from clienteling.ui.profile.panel import HISTORY
from clienteling.ui.profile.redeem_rewards_dialog import RedeemRewardsDialog
from clienteling.ui.signin.staff_model import StaffModel
from tests.ui.support import TIMEOUT, open_jane, search, wait_dialog

Open = Callable[..., MainWindow]


def test_search_results_model(open_window: Open, qtbot: Any, qtmodeltester: Any) -> None:
    w = open_window("ava")
    assert search(qtbot, w, "a") > 10
    qtmodeltester.check(w.search.model)  # paging is checked on 100,000 profiles (test_large)


def test_profile_models(open_window: Open, qtbot: Any, qtmodeltester: Any) -> None:
    w = open_window("max")
    open_jane(qtbot, w)
    p = w.profile
    for model in (p.benefits_model, p.claimable_model, p.rewards_model):
        assert model.rowCount() > 0
        qtmodeltester.check(model)
    p.select_benefit("VIP Lounge")
    p.commands.redeem_selected()
    qtbot.waitUntil(lambda: "Redeemed" in p.message.label.text(), timeout=TIMEOUT)
    with qtbot.waitSignal(p.history_loaded, timeout=TIMEOUT):
        p.tabs.setCurrentIndex(HISTORY)
    assert p.history_model.rowCount() > 0
    qtmodeltester.check(p.history_model)
    qtmodeltester.check(HistoryModel())


def test_dialog_models(open_window: Open, qtbot: Any, qtmodeltester: Any) -> None:
    w = open_window("max")
    open_jane(qtbot, w)
    w.profile.commands.open_redeem_rewards()
    redeem = wait_dialog(qtbot, w, "redeemRewardsDialog")
    assert isinstance(redeem, RedeemRewardsDialog)
    redeem.amount.setText("25.00")
    qtbot.waitUntil(lambda: redeem.ready, timeout=TIMEOUT)
    qtmodeltester.check(redeem.preview_model)
    redeem.reject()
    w.profile.commands.open_issue_reward()
    issue = wait_dialog(qtbot, w, "issueRewardDialog")
    assert isinstance(issue, IssueRewardDialog)
    qtbot.waitUntil(lambda: issue.definitions.rowCount() > 0, timeout=TIMEOUT)
    qtmodeltester.check(issue.definitions)
    issue.reject()


def test_small_models(qtmodeltester: Any) -> None:
    staff = StaffModel()
    staff.set_rows([StaffRow("1", "ava", "Ava", "associate"), StaffRow("2", "max", "Max", "manager")])
    qtmodeltester.check(staff)
    definitions = DefinitionsModel()
    definitions.set_rows([DefinitionRow("1", "VIP", "vip", "benefit", 1, True, False),
                          DefinitionRow("2", "Old", "old", "benefit", 3, True, True, "bad")])
    qtmodeltester.check(definitions)
    timeframe = TimeframeModel()
    timeframe.set_days([DayRow("Monday", "10:00–15:00"), DayRow("Staturday", "10:00–15:00")])
    assert timeframe.rowCount() == 9
    qtmodeltester.check(timeframe)
    assert timeframe.setData(timeframe.index(2, 1), "09:00-12:00, 13:00 to 17:00")
    assert timeframe.windows_for("Tuesday") == "09:00–12:00, 13:00–17:00"
    assert not timeframe.setData(timeframe.index(2, 0), "Staturday")  # day names are fixed
    qtmodeltester.check(timeframe)


def test_sign_in_and_editor_models(open_window: Open, qtbot: Any, qtmodeltester: Any) -> None:
    w = open_window("ada")
    assert w.signin.model.rowCount() == 3
    qtmodeltester.check(w.signin.model)
    w.open_definitions_editor()
    editor = w.definitions_window
    assert editor is not None
    qtbot.waitUntil(lambda: editor.model.rowCount() > 0, timeout=TIMEOUT)  # type: ignore[attr-defined]
    qtmodeltester.check(editor.model)  # type: ignore[attr-defined]
    frame = editor.field("claim_timeframe").widget  # type: ignore[attr-defined]
    qtmodeltester.check(frame.model)


def test_the_weekly_table_and_the_json_block_agree() -> None:
    from clienteling.ui.definitions.timeframe_model import (
        EVERY_DAY,
        TimeframeForm,
        block_from_form,
        form_from_block,
        standard_rows,
    )

    seed = {"disable": False, "timezone": "Europe/Copenhagen", "timeframe": {"custom": {
        "Monday": [{"start": "10:00", "end": "15:00"}, {"start": "16:00", "end": "20:00"}],
        "Staturday": [{"start": "10:00", "end": "15:00"}]}}}
    form = form_from_block(seed, "Australia/Melbourne")
    assert form is not None and form.enabled and form.timezone == "Europe/Copenhagen"
    assert block_from_form(form) == {"timezone": "Europe/Copenhagen", "timeframe": {"custom": {
        "Monday": [{"start": "10:00", "end": "15:00"}, {"start": "16:00", "end": "20:00"}],
        "Staturday": [{"start": "10:00", "end": "15:00"}]}}}
    daily = TimeframeForm(True, True, "UTC", tuple(standard_rows([DayRow(EVERY_DAY, "9:00–17")])))
    assert block_from_form(daily) == {"disable": True, "timezone": "UTC",
                                      "timeframe": {"repeat": [{"start": "9:00", "end": "17"}]}}
    assert form_from_block(None, "UTC") == TimeframeForm(False, False, "UTC", tuple(standard_rows()))
    assert form_from_block({"timezone": "UTC", "timeframe": {"weekly": []}}, "UTC") is None
    assert block_from_form(TimeframeForm(False, False, "UTC", ())) is None
