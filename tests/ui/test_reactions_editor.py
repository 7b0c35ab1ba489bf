"""The admin's reactions editor (SPEC 3.9 RX1, RX2, RX6, §5, §4): the trigger as a form, the
effect picked from the definitions, bad input named under its field with nothing saved, the dry
run labelled when it counted only this till's data, and no way in for associates or managers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from clienteling.engine.errors import PermissionDenied
from clienteling.engine.services import Clienteling
from clienteling.ui.main_window import MainWindow
from clienteling.ui.operations.reactions import save_reaction
from clienteling.ui.reactions.editor import NOT_CONNECTED, ReactionsEditor
from tests.ui.support import TIMEOUT

Open = Callable[..., MainWindow]

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _editor(qtbot: Any, w: MainWindow) -> ReactionsEditor:
    qtbot.keyClick(w.search.box, Qt.Key.Key_E, CTRL_SHIFT)
    qtbot.waitUntil(lambda: w.reactions_window is not None, timeout=TIMEOUT)
    editor = w.reactions_window
    assert isinstance(editor, ReactionsEditor)
    qtbot.waitUntil(lambda: editor.current is not None and len(editor.form.effect.choices) > 0,
                    timeout=TIMEOUT)
    return editor


def _show(qtbot: Any, editor: ReactionsEditor, ident: str) -> None:
    """The reaction ``ident`` in the form (the first one listed is shown as the editor opens)."""
    qtbot.waitUntil(lambda: editor.model.row_of(ident) >= 0 and editor.current is not None,
                    timeout=TIMEOUT)
    if editor.current is not None and editor.current.get("id") != ident:
        with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT):
            assert editor.select(ident)
    qtbot.waitUntil(lambda: (editor.current or {}).get("id") == ident, timeout=TIMEOUT)


def _new(qtbot: Any, editor: ReactionsEditor) -> None:
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT):
        qtbot.mouseClick(editor.new_button, Qt.MouseButton.LeftButton)


def _pick_effect(editor: ReactionsEditor, text: str) -> None:
    combo = editor.form.effect.combo
    index = next(i for i in range(combo.count())
                 if combo.itemText(i).startswith(text) and "(archived)" not in combo.itemText(i))
    combo.setCurrentIndex(index)


def _reaction(cl: Clienteling, handle: str) -> Any:
    return next((r for r in cl.reactions.list() if r.handle == handle), None)


def _fill(qtbot: Any, editor: ReactionsEditor, handle: str, name: str) -> None:
    form = editor.form
    qtbot.keyClicks(form.fields["name"].widget, name)
    qtbot.keyClicks(form.fields["handle"].widget, handle)


def test_an_admin_creates_a_reaction_through_the_form(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    editor = _editor(qtbot, w)
    _new(qtbot, editor)
    form = editor.form
    _fill(qtbot, editor, "big-spender", "Spend $500, get $10")
    # The trigger is a form: the type's own field appears, the others stay hidden.
    form.trigger.set_kind("spend_milestone")
    assert form.trigger.edits["threshold"].isVisibleTo(form)
    assert not form.trigger.edits["days"].isVisibleTo(form)
    qtbot.keyClicks(form.trigger.edits["threshold"], "500.00")
    # The effect is picked from the definitions; a reward asks for its value.
    _pick_effect(editor, "Reward: ")
    chosen = form.effect.chosen()
    assert chosen is not None and chosen.kind == "reward"
    assert form.effect.value.isVisibleTo(form)
    form.effect.value.setText("10.00")
    form.limit.setCurrentIndex(form.limit.findData("once_per_year"))
    form.fields["enabled"].widget.setChecked(True)  # type: ignore[attr-defined]

    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)

    saved = w.worker.run_sync(_reaction, w.engine, "big-spender")
    assert saved is not None
    assert saved.trigger == {"type": "spend_milestone", "threshold": "500.00"}
    assert saved.effect == {"reward_definition_id": chosen.id, "value": "10.00"}
    assert (saved.limit, saved.enabled, saved.version) == ("once_per_year", True, 1)
    assert editor.heading.text() == "Spend $500, get $10"
    # Shown again as saved: the same definition picked, the value beside it.
    assert form.effect.combo.currentText() == f"Reward: {chosen.name}"
    assert form.effect.value.text() == "10.00"
    assert "Saved Spend $500, get $10 (version 1)" in editor.message.text()
    # The list says it in words.
    qtbot.waitUntil(lambda: editor.model.row_of(saved.id) >= 0, timeout=TIMEOUT)
    row = editor.model.row_of(saved.id)
    assert editor.model.display_text(row, 1) == "When lifetime spend reaches $500.00"
    assert editor.model.display_text(row, 2) == "On"

    # Editing it again sends the change with the version it was based on.
    form.trigger.edits["threshold"].setText("750")
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    again = w.worker.run_sync(_reaction, w.engine, "big-spender")
    assert again.trigger == {"type": "spend_milestone", "threshold": "750.00"}
    assert again.version == 2


def test_bad_input_is_named_under_its_field_and_nothing_is_saved(open_window: Open,
                                                                 qtbot: Any) -> None:
    w = open_window("ada")
    editor = _editor(qtbot, w)
    before = len(w.worker.run_sync(lambda cl: cl.reactions.list(), w.engine))
    _new(qtbot, editor)
    form = editor.form
    _fill(qtbot, editor, "lapsed-bad", "Come back")
    form.trigger.set_kind("spend_milestone")
    form.trigger.edits["threshold"].setText("-5")  # SPEC §4: a negative threshold
    _pick_effect(editor, "Benefit: ")

    with qtbot.waitSignal(editor.state.worker.busy_changed, timeout=TIMEOUT,
                          check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.message.text().startswith("Not saved"), timeout=TIMEOUT)
    threshold_error = form.trigger.errors["threshold"]
    assert threshold_error.isVisibleTo(form) and threshold_error.text()
    assert w.worker.run_sync(_reaction, w.engine, "lapsed-bad") is None

    # JSON that cannot even be read never reaches the engine: named under the condition.
    form.trigger.edits["threshold"].setText("500")
    form.fields["condition"].widget.set_text('{"==": [')  # type: ignore[attr-defined]
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert "not valid JSON" in form.field_error("condition")
    assert editor.message.text() == "Please fix the fields marked in red."
    assert len(w.worker.run_sync(lambda cl: cl.reactions.list(), w.engine)) == before

    # An active window that ends before it starts: named under "Active until".
    form.fields["condition"].widget.set_text("")  # type: ignore[attr-defined]
    form.fields["active_from"].widget.setText("2026-06-01")  # type: ignore[attr-defined]
    form.fields["active_to"].widget.setText("2026-05-01")  # type: ignore[attr-defined]
    with qtbot.waitSignal(editor.state.worker.busy_changed, timeout=TIMEOUT,
                          check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(form.field_error("active_to")), timeout=TIMEOUT)
    assert "after" in form.field_error("active_to")
    assert not form.field_error("trigger")  # the threshold is fine now: its message is gone
    assert len(w.worker.run_sync(lambda cl: cl.reactions.list(), w.engine)) == before
    form.fields["active_from"].widget.setText("")  # type: ignore[attr-defined]
    form.fields["active_to"].widget.setText("")  # type: ignore[attr-defined]

    # No effect picked: named under the effect.
    form.fields["condition"].widget.set_text("")  # type: ignore[attr-defined]
    form.effect.combo.setCurrentIndex(0)
    with qtbot.waitSignal(editor.state.worker.busy_changed, timeout=TIMEOUT,
                          check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(form.field_error("effect")), timeout=TIMEOUT)
    assert len(w.worker.run_sync(lambda cl: cl.reactions.list(), w.engine)) == before


def _save_refused(qtbot: Any, editor: ReactionsEditor) -> None:
    with qtbot.waitSignal(editor.state.worker.busy_changed, timeout=TIMEOUT,
                          check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.message.text().startswith("Not saved"), timeout=TIMEOUT)


def test_over_precise_threshold_value_over_the_maximum_and_archived_definition_are_named(
        open_window: Open, qtbot: Any) -> None:
    """SPEC §4 / RX2 in the editor, the cases the engine judges: a threshold with more than two
    decimals (under the trigger), a reward value over its definition's maximum and a definition
    archived since (under the effect); each time nothing is saved."""
    w = open_window("ada")
    actor = w.actor
    assert actor is not None

    def make(cl: Clienteling) -> None:
        cl.definitions.create_reward_definition(actor, {
            "name": "Capped", "handle": "capped", "type": "spend", "value": "10.00",
            "max_value": "20.00", "period": 30})
        old = cl.definitions.create_benefit_definition(actor, {
            "name": "Old gift", "handle": "old-gift", "is_published": True})
        cl.definitions.archive_benefit_definition(actor, old.id)

    w.worker.run_sync(make, w.engine)
    editor = _editor(qtbot, w)
    before = len(w.worker.run_sync(lambda cl: cl.reactions.list(), w.engine))
    _new(qtbot, editor)
    form = editor.form
    _fill(qtbot, editor, "precise", "Precise")

    form.trigger.set_kind("spend_milestone")
    form.trigger.edits["threshold"].setText("500.001")
    _pick_effect(editor, "Reward: Capped")
    form.effect.value.setText("10.00")
    _save_refused(qtbot, editor)
    assert form.field_error("trigger") and "threshold" not in form.field_error("effect")
    assert form.trigger.errors["threshold"].isVisibleTo(form)

    form.trigger.edits["threshold"].setText("500.00")
    form.effect.value.setText("20.01")
    _save_refused(qtbot, editor)
    assert form.field_error("effect").startswith("Value: "), form.field_error("effect")
    assert not form.field_error("trigger")

    archived = form.effect.combo.findText("Benefit: Old gift (archived)")
    assert archived >= 0  # still listed, marked, so an old reaction can show it
    form.effect.combo.setCurrentIndex(archived)
    _save_refused(qtbot, editor)
    assert "archived" in form.field_error("effect"), form.field_error("effect")
    assert len(w.worker.run_sync(lambda cl: cl.reactions.list(), w.engine)) == before
    assert w.worker.run_sync(_reaction, w.engine, "precise") is None


def test_the_condition_is_validated_live_and_tried_on_the_open_profile(open_window: Open,
                                                                      qtbot: Any) -> None:
    from tests.ui.support import open_jane

    w = open_window("ada")
    open_jane(qtbot, w)
    editor = _editor(qtbot, w)
    _new(qtbot, editor)
    field = editor.form.fields["condition"]
    json_field = field.widget
    json_field.edit.setPlainText('{"bogus_op": [1, 2]}')  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "unknown operator 'bogus_op'" in json_field.live.text(),  # type: ignore[attr-defined]
                    timeout=TIMEOUT)
    json_field.edit.setPlainText('{"==": [{"var": "first_name"}, "Jane"]}')  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "Valid condition" in json_field.live.text(), timeout=TIMEOUT)  # type: ignore[attr-defined]
    assert field.try_button is not None and field.try_result is not None
    assert field.try_button.text() == "Try against Jane Citizen"
    field.try_button.click()
    assert field.try_result.text() == "✓ True for Jane Citizen"


def test_a_dry_run_on_a_till_without_a_hub_says_so(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    editor = _editor(qtbot, w)
    _new(qtbot, editor)
    form = editor.form
    form.trigger.set_kind("joined")  # the unsaved body: nothing needs saving first
    _pick_effect(editor, "Benefit: ")
    with qtbot.waitSignal(editor.dry_run_done, timeout=TIMEOUT) as done:
        qtbot.mouseClick(editor.dry_button, Qt.MouseButton.LeftButton)
    text: str = done.args[0]
    assert NOT_CONNECTED in text and "Nothing was issued" in text
    assert editor.last_dry_run is not None and not editor.last_dry_run.at_hub
    assert text.startswith(f"Would fire for {editor.last_dry_run.count:,} customer")
    assert editor.dry_result.isVisibleTo(editor)
    # Nothing was saved or issued by it.
    assert w.worker.run_sync(lambda cl: [r.handle for r in cl.reactions.list()], w.engine) \
        == [r.handle for r in editor.model.rows]


@pytest.mark.parametrize("username", ["ava", "max"])
def test_associates_and_managers_have_no_reactions_editor(open_window: Open, qtbot: Any,
                                                         username: str) -> None:
    w = open_window(username)
    assert not w.reactions_action.isEnabled()
    qtbot.keyClick(w.search.box, Qt.Key.Key_E, CTRL_SHIFT)
    w.open_reactions_editor()
    assert w.reactions_window is None
    qtbot.waitUntil(lambda: "may not" in w.status_message.text(), timeout=TIMEOUT)
    # And the engine refuses the write itself, whatever the screen allows.
    actor = w.actor
    assert actor is not None
    with pytest.raises(PermissionDenied):
        w.worker.run_sync(save_reaction, w.engine, actor, None, {
            "handle": "sneaky", "name": "Sneaky", "trigger": {"type": "joined"},
            "effect": {}, "limit": "once", "enabled": True}, None)


def test_a_reaction_whose_definition_was_archived_says_why_it_does_not_fire(
        open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    actor = w.actor
    assert actor is not None

    def make(cl: Clienteling) -> Any:
        free = cl.definitions.create_benefit_definition(actor, {
            "name": "Free Coffee", "handle": "free-coffee", "is_published": True})
        cl.reactions.create(actor, {
            "handle": "welcome-coffee", "name": "Welcome coffee", "trigger": {"type": "joined"},
            "effect": {"benefit_definition_id": free.id}, "limit": "once", "enabled": True})
        return free

    free = w.worker.run_sync(make, w.engine)
    editor = _editor(qtbot, w)
    coffee = w.worker.run_sync(_reaction, w.engine, "welcome-coffee")
    _show(qtbot, editor, coffee.id)
    assert editor.list_view.isColumnHidden(3)  # no problem, no Problem column
    w.worker.run_sync(lambda cl: cl.definitions.update_benefit_definition(
        actor, free.id, {"is_archived": True}), w.engine)
    # The engine's change notice refreshes the list: the problem in words, in its column.
    qtbot.waitUntil(lambda: any(r.handle == "welcome-coffee" and r.problem
                                for r in editor.model.rows), timeout=TIMEOUT)
    row = editor.model.row_of(next(r.id for r in editor.model.rows if r.handle == "welcome-coffee"))
    assert "Free Coffee" in editor.model.display_text(row, 3)
    assert "archived" in editor.model.display_text(row, 3)
    assert not editor.list_view.isColumnHidden(3)
    assert editor.current is not None and editor.current["handle"] == "welcome-coffee"
    assert editor.problem.isVisibleTo(editor)
    assert editor.problem.text().startswith("⚠ Not firing: ") and "Free Coffee" in editor.problem.text()
    # Loaded again, the archived definition is still named in the form, marked so.
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT):
        editor.reload_current()
    assert editor.problem.isVisibleTo(editor)
    qtbot.waitUntil(lambda: editor.form.effect.combo.currentText()
                    == "Benefit: Free Coffee (archived)", timeout=TIMEOUT)


def test_a_change_made_elsewhere_is_shown_side_by_side(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    actor = w.actor
    assert actor is not None

    def make(cl: Clienteling) -> Any:
        reward = next(d for d in cl.definitions.reward_definitions()
                      if d.is_published and not d.is_archived)
        return cl.reactions.create(actor, {
            "handle": "lapsed", "name": "Come back", "trigger": {"type": "lapsed", "days": 180},
            "effect": {"reward_definition_id": reward.id, "value": "5.00"}, "limit": "once_per_year"})

    made = w.worker.run_sync(make, w.engine)
    editor = _editor(qtbot, w)
    _show(qtbot, editor, made.id)
    # Another admin (here: the same engine, as a sync would) moves it to 90 days first.
    w.worker.run_sync(lambda cl: cl.reactions.update(
        actor, made.id, {"trigger": {"type": "lapsed", "days": 90}}, expected_version=1), w.engine)
    editor.form.limit.setCurrentIndex(editor.form.limit.findData("once"))
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Theirs (version 2)" in editor.conflict_text.text(), timeout=TIMEOUT)
    shown = editor.conflict_text.text()
    # Mine: the limit; theirs: the trigger — each in words, side by side.
    assert "<td>Once per customer</td><td>Once a year per customer</td>" in shown
    assert "<td>(unchanged)</td><td>After 90 days without a purchase</td>" in shown
    assert "Not saved" in editor.message.text()
    qtbot.mouseClick(editor.keep_mine, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.message.text().startswith(("Saved", "Not")), timeout=TIMEOUT)
    assert editor.message.text().startswith("Saved"), editor.message.text()
    after = w.worker.run_sync(_reaction, w.engine, "lapsed")
    assert (after.version, after.limit, after.trigger["days"]) == (3, "once", 90)


def test_archiving_asks_first_and_then_it_never_fires(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    actor = w.actor
    assert actor is not None

    def make(cl: Clienteling) -> Any:
        benefit = next(d for d in cl.definitions.benefit_definitions()
                       if d.is_published and not d.is_archived and d.is_assignable)
        return cl.reactions.create(actor, {
            "handle": "hello", "name": "Hello", "trigger": {"type": "joined"},
            "effect": {"benefit_definition_id": benefit.id}, "limit": "once", "enabled": True})

    made = w.worker.run_sync(make, w.engine)
    ava = w.worker.run_sync(lambda cl: cl.staff.sign_in("ava", "4821"), w.engine)

    def sources_of_a_new_customer(cl: Clienteling) -> list[str]:
        p = cl.profiles.create(ava, {"first_name": "New", "last_name": "Person"})
        return [item.benefit.source for item in cl.benefits.for_profile(p.id)]

    assert "reaction:hello" in w.worker.run_sync(sources_of_a_new_customer, w.engine)
    editor = _editor(qtbot, w)
    _show(qtbot, editor, made.id)
    assert editor.archive_button.isVisibleTo(editor)
    dialog = editor.ask_archive()
    assert dialog is not None and "Hello will never issue anything again" in \
        dialog.findChildren(type(editor.message))[1].text()
    with qtbot.waitSignal(editor.saved, timeout=TIMEOUT):
        dialog.accept()
    after = w.worker.run_sync(_reaction, w.engine, "hello")
    assert after.archived and after.version == 2
    qtbot.waitUntil(lambda: editor.model.display_text(editor.model.row_of(made.id), 2)
                    == "Archived", timeout=TIMEOUT)
    assert not editor.archive_button.isVisibleTo(editor)
    # A customer who joins now gets nothing from it.
    assert "reaction:hello" not in w.worker.run_sync(sources_of_a_new_customer, w.engine)


def test_the_definitions_editor_leads_to_the_reactions_editor(open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    w.open_definitions_editor()
    definitions = w.definitions_window
    assert definitions is not None and w.reactions_window is None
    button = definitions.findChild(QPushButton, "openReactionsButton")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert isinstance(w.reactions_window, ReactionsEditor) and w.reactions_window.isVisible()


def test_a_reaction_loaded_is_not_an_edit_and_new_asks_before_dropping_one(
        open_window: Open, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The effect's choices arrive after the form is shown: that is not an edit. A name typed
    and then New reaction asks first (the editors share the question: see
    ``test_edits_not_saved_are_never_dropped_without_asking``)."""
    asked: list[str] = []
    monkeypatch.setattr(ReactionsEditor, "ask_discard",
                        lambda self, question: asked.append(question) or False)
    w = open_window("ada")
    editor = _editor(qtbot, w)
    assert editor.current is not None and not editor.unsaved()
    name = editor.form.fields["name"].widget
    qtbot.keyClicks(name, " again")
    qtbot.mouseClick(editor.new_button, Qt.MouseButton.LeftButton)
    assert asked == [f"Discard your changes to {editor.current['name']}?"]
    assert name.text().endswith(" again")  # type: ignore[attr-defined]
