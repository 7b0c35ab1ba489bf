"""The admin's definitions editor (SPEC §5, §3.3 C4, §3.4 T6, §6 versions)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent

from clienteling.engine import wire
from clienteling.ui.definitions.editor import DefinitionsEditor
from clienteling.ui.definitions.fields import BENEFIT_FIELDS, REWARD_FIELDS
from clienteling.ui.definitions.json_field import JsonField
from clienteling.ui.definitions.timeframe_editor import TimeframeEditor
from clienteling.ui.definitions.timeframe_model import EVERY_DAY, DayRow
from clienteling.ui.main_window import MainWindow
from tests.internals import database_of
from tests.ui.support import TIMEOUT, open_jane

Open = Callable[..., MainWindow]

SEED_003_TIMEFRAME = {
    "disable": False, "timezone": "Europe/Copenhagen",
    "timeframe": {"custom": {
        "Monday": [{"start": "10:00", "end": "15:00"}, {"start": "16:00", "end": "20:00"}],
        "Staturday": [{"start": "10:00", "end": "15:00"}],
    }},
}


def _editor(qtbot: Any, w: MainWindow, pick: str | None = None) -> DefinitionsEditor:
    qtbot.keyClick(w.search.box, Qt.Key.Key_D,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: w.definitions_window is not None, timeout=TIMEOUT)
    editor = w.definitions_window
    assert isinstance(editor, DefinitionsEditor)
    qtbot.waitUntil(lambda: editor.model.rowCount() > 0 and editor.current is not None,
                    timeout=TIMEOUT)
    if pick:
        with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT):
            assert editor.select(pick)
    return editor


def test_the_editor_has_every_field_of_the_definitions() -> None:
    names = {f.name for f in BENEFIT_FIELDS}
    wanted = (set(wire.BENEFIT_DEFINITION_TEXT) | set(wire.BENEFIT_DEFINITION_INTS)
              | set(wire.BENEFIT_DEFINITION_FLAGS) | set(wire.BENEFIT_DEFINITION_TIMES)
              | set(wire.BENEFIT_DEFINITION_JSON) | {"is_reclaimable"})
    assert wanted <= names
    assert {f.section for f in BENEFIT_FIELDS} == {"Basics", "Limits", "Claiming", "Visibility",
                                                   "Codes", "Copy"}
    assert {f.name for f in REWARD_FIELDS} >= {
        "name", "handle", "type", "description", "value", "max_value", "period", "is_extendable",
        "extend_days", "excluded_categories", "is_published", "is_archived"}


def test_only_an_admin_opens_the_editor(open_window: Open, qtbot: Any) -> None:
    w = open_window("max")
    assert not w.definitions_action.isEnabled()
    w.open_definitions_editor()
    assert w.definitions_window is None


def test_a_bad_rule_and_a_staturday_timeframe_are_both_named(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    editor = _editor(qtbot, w, "Weekday Denim 15% off")
    condition = editor.field("claim_condition").widget
    assert isinstance(condition, JsonField)
    condition.edit.setPlainText('{"bogus_op": [{"var": "tier"}, "gold"]}')
    # Live validation, as you type.
    qtbot.waitUntil(lambda: "unknown operator 'bogus_op'" in condition.live.text(), timeout=TIMEOUT)
    frame = editor.field("claim_timeframe").widget
    assert isinstance(frame, TimeframeEditor)
    frame.json.edit.setPlainText(json.dumps(SEED_003_TIMEFRAME))
    qtbot.waitUntil(lambda: "Staturday" in frame.json.live.text(), timeout=TIMEOUT)
    # The weekly table shows the windows, and the misspelt day as typed, in a row of its own.
    assert frame.model.windows_for("Monday") == "10:00–15:00, 16:00–20:00"
    assert DayRow("Staturday", "10:00–15:00") in frame.model.days
    assert frame.model.windows_for("Saturday") == ""

    with qtbot.waitSignal(editor.state.worker.busy_changed, timeout=TIMEOUT,
                          check_params_cb=lambda busy: not busy):
        editor.save_button.click()
    qtbot.waitUntil(lambda: editor.message.text().startswith("Not saved"), timeout=TIMEOUT)
    rule_error = editor.findChild(type(editor.message), "error_claim_condition")
    frame_error = editor.findChild(type(editor.message), "error_claim_timeframe")
    assert "invalid JsonLogic rule: unknown operator 'bogus_op'" in rule_error.text()
    assert "unknown day 'Staturday'" in frame_error.text()
    assert "did you mean 'Saturday'" in frame_error.text()
    assert not rule_error.isHidden() and not frame_error.isHidden()


def test_saving_through_the_engine_bumps_the_version(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    editor = _editor(qtbot, w, "Weekday Denim 15% off")
    assert editor.current is not None
    version = editor.current["version"]
    frame = editor.field("claim_timeframe").widget
    assert isinstance(frame, TimeframeEditor)
    assert frame.enabled.isChecked() and frame.zone.text() == "Australia/Melbourne"
    # Edit the weekly table: every day 09:00–17:00 instead of the weekday windows.
    assert frame.model.windows_for("Friday") == "10:00–15:00, 16:00–20:00"
    frame.model.clear()
    assert frame.model.set_windows_for(EVERY_DAY, "09:00-17:00")
    qtbot.waitUntil(lambda: "Only daily 09:00–17:00" in frame.json.live.text(), timeout=TIMEOUT)
    editor.field("max_redemptions").widget.setText("2")  # type: ignore[attr-defined]
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        editor.save_button.click()
    assert editor.current["version"] == version + 1
    assert editor.current["max_redemptions"] == 2
    assert editor.current["claim_timeframe"]["timeframe"] == {
        "repeat": [{"start": "09:00", "end": "17:00"}]}
    assert "Saved" in editor.message.text()


def test_a_field_error_from_the_engine_lands_under_the_field(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    editor = _editor(qtbot, w, "VIP Lounge")
    editor.field("handle").widget.setText("not a handle!")  # type: ignore[attr-defined]
    editor.field("period").widget.setText("soon")  # type: ignore[attr-defined]
    editor.save_button.click()
    qtbot.waitUntil(lambda: not editor.field("handle").error.isHidden(), timeout=TIMEOUT)
    assert "URL-safe" in editor.field("handle").error.text()
    assert "whole number" in editor.field("period").error.text()


def test_a_change_made_elsewhere_is_a_conflict_in_words(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    editor = _editor(qtbot, w, "VIP Lounge")
    assert editor.current is not None
    ident = editor.current["id"]
    # Someone else saves first (here: the same engine, as the sync would).
    actor = w.actor
    w.worker.run_sync(lambda: w.engine.definitions.update_benefit_definition(
        actor, ident, {"description": "Changed at head office"}))
    editor.field("period").widget.setText("120")  # type: ignore[attr-defined]
    editor.save_button.click()
    qtbot.waitUntil(lambda: not editor.conflict.isHidden(), timeout=TIMEOUT)
    assert "changed elsewhere" in editor.conflict_text.text()
    assert "version 1" in editor.conflict_text.text() and "version is 2" in editor.conflict_text.text()
    # Both versions side by side (SPEC §6): my period beside theirs, their description beside mine.
    qtbot.waitUntil(lambda: "Theirs (version 2)" in editor.conflict_text.text(), timeout=TIMEOUT)
    shown = editor.conflict_text.text()
    assert "<td>120</td><td>90</td>" in shown
    assert "<td>(unchanged)</td><td>Changed at head office</td>" in shown
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        editor.keep_mine.click()
    assert editor.current["version"] == 3
    assert editor.current["period"] == 120
    assert editor.current["description"] == "Changed at head office"


def test_try_a_condition_against_the_open_profile(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    open_jane(qtbot, w)
    editor = _editor(qtbot, w, "Gold Members' Coffee")
    field = editor.field("claim_condition")
    assert field.try_button is not None and field.try_result is not None
    field.try_button.click()
    assert field.try_result.text() == "✓ True for Jane Citizen"
    assert isinstance(field.widget, JsonField)
    field.widget.set_text('{"==": [{"var": "tier"}, "platinum"]}')
    field.try_button.click()
    assert field.try_result.text() == "✗ False for Jane Citizen"
    field.widget.set_text('{"==": [{"var": "attributes.favourite_category"}, "knitwear"]}')
    field.try_button.click()
    assert field.try_result.text() == "✓ True for Jane Citizen"


def test_p3_try_reads_the_purchase_variables(open_window: Open, qtbot: Any) -> None:
    """SPEC P3: lifetime_spend, days_since_last_purchase, days_since_joined and age reach the
    "try against the open profile" button like any field."""
    w = open_window("ada")
    open_jane(qtbot, w)
    editor = _editor(qtbot, w, "Gold Members' Coffee")
    field = editor.field("claim_condition")
    assert field.try_button is not None and field.try_result is not None
    assert isinstance(field.widget, JsonField)
    field.widget.set_text('{"and": [{"==": [{"var": "lifetime_spend"}, 0]}, '
                          '{"==": [{"var": "days_since_last_purchase"}, null]}, '
                          '{">=": [{"var": "days_since_joined"}, 0]}, '
                          '{"!==": [{"var": "age", "default": "x"}, "x"]}]}')
    field.try_button.click()
    assert field.try_result.text() == "✓ True for Jane Citizen"
    field.widget.set_text('{">": [{"var": "lifetime_spend"}, 0]}')
    field.try_button.click()
    assert field.try_result.text() == "✗ False for Jane Citizen"


def test_create_a_reward_definition(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    editor = _editor(qtbot, w)
    with qtbot.waitSignal(editor.listed, timeout=TIMEOUT):
        editor.kind_tabs.setCurrentIndex(1)
    editor.new_button.click()
    assert editor.heading.text() == "New reward definition"
    editor.field("name").widget.setText("Rain check")  # type: ignore[attr-defined]
    editor.field("handle").widget.setText("rain-check")  # type: ignore[attr-defined]
    editor.field("value").widget.setText("12.50")  # type: ignore[attr-defined]
    editor.field("max_value").widget.setText("10.00")  # type: ignore[attr-defined]
    editor.save_button.click()
    qtbot.waitUntil(lambda: "max_value" in editor.field("value").error.text(), timeout=TIMEOUT)
    editor.field("max_value").widget.setText("50.00")  # type: ignore[attr-defined]
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        editor.save_button.click()
    assert editor.current is not None and editor.current["value"] == "12.50"
    qtbot.waitUntil(lambda: any(r.name == "Rain check" for r in editor.model.rows), timeout=TIMEOUT)


def test_a_synced_bad_timeframe_is_flagged_invalid_in_the_list(open_window: Open,
                                                               qtbot: Any) -> None:
    from sqlalchemy import update

    from clienteling.engine.models import BenefitDefinition

    w = open_window("ada")

    def corrupt() -> None:  # as if a bad block arrived by sync (kept as received, T6)
        with database_of(w.engine).write() as s:
            s.execute(update(BenefitDefinition).where(BenefitDefinition.handle == "weekday-denim")
                      .values(claim_timeframe=SEED_003_TIMEFRAME))

    w.worker.run_sync(corrupt)
    editor = _editor(qtbot, w)
    row = next(r for r in editor.model.rows if r.handle == "weekday-denim")
    assert row.state == "Invalid" and "Staturday" in (row.invalid or "")


def test_edits_not_saved_are_never_dropped_without_asking(
        open_window: Open, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Picking another definition, New definition, the other kind's tab or the window's own
    close, with an edit not saved, asks "Discard your changes to …?"; "Keep editing" leaves
    the edit where it was, "Discard changes" goes on. Nothing edited: no question."""
    asked: list[str] = []
    answers: list[bool] = []

    def ask(self: DefinitionsEditor, question: str) -> bool:
        asked.append(question)
        return answers.pop(0)

    monkeypatch.setattr(DefinitionsEditor, "ask_discard", ask)
    w = open_window("ada")
    editor = _editor(qtbot, w, "Weekday Denim 15% off")
    others = [r.name for r in editor.model.rows if r.name != "Weekday Denim 15% off"]
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT):
        assert editor.select(others[0])  # nothing edited: no question
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT):
        assert editor.select("Weekday Denim 15% off")
    assert asked == []

    name = editor.field("name").widget
    name.setText("Weekday Denim 20% off")  # type: ignore[attr-defined]
    answers.append(False)
    assert editor.select(others[0])
    assert asked == ["Discard your changes to Weekday Denim 15% off?"]
    assert name.text() == "Weekday Denim 20% off"  # type: ignore[attr-defined]
    assert editor.model.row_at(editor.list_view.currentIndex().row()).name == (
        "Weekday Denim 15% off")
    answers.append(False)
    editor.new_button.click()
    answers.append(False)
    editor.kind_tabs.setCurrentIndex(1)
    assert editor.kind_tabs.currentIndex() == 0 and editor.kind == "benefit"
    answers.append(False)
    closing = _TitleBarClose()  # as the window system sends it: spontaneous
    editor.closeEvent(closing)
    assert not closing.isAccepted() and len(asked) == 4
    editor.close()  # a lock's or sign-out's close does not wait on a question
    assert not editor.isVisible() and len(asked) == 4
    editor.show()
    assert name.text() == "Weekday Denim 20% off"  # type: ignore[attr-defined]

    answers.append(True)
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT):
        assert editor.select(others[0])
    assert editor.current is not None and editor.current["name"] == others[0]
    assert not editor.unsaved() and len(asked) == 5
    # A typed value that does not read yet counts as an edit too.
    editor.field("period").widget.setText("soon")  # type: ignore[attr-defined]
    assert editor.unsaved()


class _TitleBarClose(QCloseEvent):
    def spontaneous(self) -> bool:
        return True
