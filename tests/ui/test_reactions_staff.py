"""What staff see of reactions (SPEC RX4, RX5, §5): the checkout says what the purchase earned,
History says what was issued automatically and by which reaction, and what a reaction issued
at this till before the hub has it is "pending sync" like any change. Also the admin's dry run
asked of a real hub on loopback (RX6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt

from clienteling.engine.frozen import EarnedRecord
from clienteling.engine.services import Clienteling
from clienteling.ui.checkout.earned import confirmed_words, earned_words
from clienteling.ui.common.rows_model import BADGE_ROLE
from clienteling.ui.main_window import MainWindow
from clienteling.ui.profile.tabs import BENEFITS, HISTORY
from clienteling.ui.reactions.editor import ReactionsEditor
from tests.ui.hub_support import HubWorld
from tests.ui.support import TIMEOUT, open_jane, wait_dialog
from tests.ui.test_sync_cycles import _connected

Open = Callable[..., MainWindow]


def _add_reaction(cl: Clienteling, kind: str, trigger: dict[str, Any], name: str,
                  value: str | None = None) -> Any:
    """An enabled reaction made by the demo's admin, issuing the first published definition of
    ``kind`` (a reward with ``value``)."""
    ada = cl.staff.sign_in("ada", "905238")
    if kind == "benefit":
        definition = next(d for d in cl.definitions.benefit_definitions()
                          if d.is_published and not d.is_archived and d.is_assignable)
        effect: dict[str, Any] = {"benefit_definition_id": definition.id}
    else:
        definition = next(d for d in cl.definitions.reward_definitions()
                          if d.is_published and not d.is_archived)
        effect = {"reward_definition_id": definition.id, "value": value}
    handle = name.lower().replace(" ", "-").replace("$", "")
    return cl.reactions.create(ada, {
        "handle": handle, "name": name, "trigger": trigger, "effect": effect,
        "limit": "every_time" if trigger["type"] == "purchase" else "once", "enabled": True})


def test_earned_in_words() -> None:
    spend = EarnedRecord("reward", "r1", "Spend reward", Decimal("10.00"),
                         datetime(2026, 3, 5, 14, 0, tzinfo=UTC), "Spend $100")
    coffee = EarnedRecord("benefit", "b1", "Free Coffee", None, None, "Welcome")
    # 5 Mar 14:00 UTC is 6 Mar in Melbourne: the customer's store's calendar.
    assert earned_words([spend], "Australia/Melbourne") == \
        "Earned: $10.00 Spend reward, expires 6 Mar"
    assert earned_words([spend, coffee], "UTC") == \
        "Earned: $10.00 Spend reward, expires 5 Mar · Free Coffee"
    assert earned_words([], "UTC") == ""
    assert confirmed_words(None, "UTC") == "Checkout confirmed"


def test_the_checkout_says_what_the_purchase_earned(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    reaction = w.worker.run_sync(_add_reaction, w.engine, "reward",
                                 {"type": "purchase", "min_spend": "100.00"}, "Spend 100 get 10",
                                 "10.00")
    open_jane(qtbot, w)
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_dialog(qtbot, w, "checkoutDialog")
    dialog.add_line("JEAN-1", "denim", 1, "150.00")  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: dialog.confirm.isEnabled(), timeout=TIMEOUT)  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.confirm.click()  # type: ignore[attr-defined]
    receipt = dialog.result_  # type: ignore[attr-defined]
    assert receipt is not None
    earned = next(e for e in receipt.earned if e.reaction == reaction.name)
    assert (earned.kind, earned.value) == ("reward", Decimal("10.00"))
    text = w.profile.message.label.text()
    assert text.startswith("Checkout confirmed · Earned: ")
    assert f"$10.00 {earned.name}" in text
    if earned.expires_at is not None:
        assert ", expires " in text


def test_what_a_reaction_issued_at_this_till_is_pending_sync(open_window: Open, qtbot: Any,
                                                             demo_hub: HubWorld) -> None:
    w = open_window("ada")
    _connected(qtbot, w, demo_hub)
    w.sync.stop()  # from here on the hub has not heard of anything this till does
    reaction = w.worker.run_sync(_add_reaction, w.engine, "benefit", {"type": "joined"},
                                 "Welcome gift")
    gift = w.worker.run_sync(lambda cl: cl.definitions.benefit_definition(
        reaction.effect["benefit_definition_id"]).name, w.engine)
    actor = w.actor
    assert actor is not None
    created = w.worker.run_sync(lambda cl: cl.profiles.create(actor, {
        "first_name": "Mia", "last_name": "Nguyen"}), w.engine)

    with qtbot.waitSignal(w.profile.loaded, timeout=TIMEOUT):
        w.open_profile(created.id)
    # The welcome benefits are there at once (RX4: the till runs "joined" itself: the demo's
    # Member Activation and this one), pending sync.
    model = w.profile.benefits_model
    qtbot.waitUntil(lambda: any(r.name == gift for r in model.rows), timeout=TIMEOUT)
    assert model.rows and all(r.pending for r in model.rows)
    assert [model.badge(r) for r in model.rows] == ["pending sync"] * len(model.rows)
    assert w.profile.tabs.currentIndex() == BENEFITS
    # Once the hub has them, they are not pending any more.
    w.sync.sync_now()
    qtbot.waitUntil(lambda: bool(model.rows) and not any(r.pending for r in model.rows),
                    timeout=TIMEOUT * 2)


def test_history_says_a_benefit_was_issued_automatically(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    reaction = w.worker.run_sync(_add_reaction, w.engine, "benefit", {"type": "joined"},
                                 "Welcome gift")
    actor = w.actor
    assert actor is not None
    created = w.worker.run_sync(lambda cl: cl.profiles.create(actor, {
        "first_name": "Mia", "last_name": "Nguyen"}), w.engine)
    with qtbot.waitSignal(w.profile.loaded, timeout=TIMEOUT):
        w.open_profile(created.id)
    with qtbot.waitSignal(w.profile.history_loaded, timeout=TIMEOUT):
        w.profile.tabs.setCurrentIndex(HISTORY)
    model = w.profile.history_model
    texts = [r.text for r in model.rows]
    assert any(t.endswith(f" automatically — {reaction.name} (when a customer joins)")
               for t in texts), texts
    # A demo till waits for no hub: no "pending sync" in History either.
    assert w.state.standalone and any(r.pending for r in model.rows)
    assert [model.data(model.index(i, model.badge_column), BADGE_ROLE)
            for i in range(model.rowCount())] == [None] * model.rowCount()
    # The selected line in full under the table: the "why" is longer than its column.
    detail = w.profile.history_tab.detail
    automatic = next(i for i, t in enumerate(texts) if "automatically" in t)
    w.profile.history_view.selectRow(automatic)
    qtbot.waitUntil(lambda: detail.isVisible(), timeout=TIMEOUT)
    assert detail.text() == texts[automatic]
    view = w.profile.history_view
    assert view.fontMetrics().horizontalAdvance(texts[automatic]) > view.columnWidth(1)


def test_a_dry_run_on_a_connected_till_asks_the_hub(open_window: Open, qtbot: Any,
                                                    demo_hub: HubWorld) -> None:
    w = open_window("ada")
    _connected(qtbot, w, demo_hub)
    qtbot.keyClick(w.search.box, Qt.Key.Key_E,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: isinstance(w.reactions_window, ReactionsEditor), timeout=TIMEOUT)
    editor = w.reactions_window
    assert isinstance(editor, ReactionsEditor)
    qtbot.waitUntil(lambda: editor.current is not None and bool(editor.form.effect.choices),
                    timeout=TIMEOUT)
    assert editor.hub_online()
    with qtbot.waitSignal(editor.loaded, timeout=TIMEOUT):
        editor.new_button.click()
    form = editor.form
    # A customer only the hub has (another store's till created her): the hub counts her,
    # this till's copy could not.
    hub = demo_hub.cl
    hub.profiles.create(hub.staff.sign_in("ada", "905238"), {"first_name": "Zed",
                                                            "last_name": "Hubonly"})
    form.trigger.set_kind("joined")
    form.fields["condition"].widget.set_text(  # type: ignore[attr-defined]
        '{"==": [{"var": "last_name"}, "Hubonly"]}')
    combo = form.effect.combo
    combo.setCurrentIndex(next(i for i in range(1, combo.count())
                               if "(archived)" not in combo.itemText(i)))
    with qtbot.waitSignal(editor.dry_run_done, timeout=TIMEOUT * 2) as done:
        editor.dry_button.click()
    assert editor.last_dry_run is not None and editor.last_dry_run.at_hub, done.args[0]
    assert "At the hub" in done.args[0]
    assert editor.last_dry_run.count == 1 and editor.last_dry_run.names == ("Zed Hubonly",)
    assert "Would fire for 1 customer now" in done.args[0] and "Zed Hubonly" in done.args[0]
    here = w.worker.run_sync(lambda cl: cl.reactions.dry_run(cl.staff.sign_in("ada", "905238"), {
        **{k: v for k, v in form.values()[0].items() if v not in (None, "", [])},
        "name": "Dry run", "handle": "dry-run"}), w.engine)
    assert here.count == 0
    # Bad input at the hub is named under its field, as a save's would be.
    form.trigger.set_kind("lapsed")
    form.trigger.edits["days"].setText("-3")
    with qtbot.waitSignal(editor.state.network.busy_changed, timeout=TIMEOUT,  # type: ignore[union-attr]
                          check_params_cb=lambda busy: not busy):
        editor.dry_button.click()
    qtbot.waitUntil(lambda: bool(form.trigger.errors["days"].text()), timeout=TIMEOUT)
    assert editor.message.text().startswith("Not counted")


def test_a_dry_run_the_hub_refuses_is_counted_here_and_says_why(
        open_window: Open, qtbot: Any, till_hub: HubWorld) -> None:
    """A store's till is not an admin device: the hub refuses an admin's dry run from it
    (403), so the till counts on its own data and says the hub could not be asked."""
    w = open_window("ada")
    _connected(qtbot, w, till_hub)
    w.open_reactions_editor()
    editor = w.reactions_window
    assert isinstance(editor, ReactionsEditor)
    qtbot.waitUntil(lambda: editor.current is not None and bool(editor.form.effect.choices),
                    timeout=TIMEOUT)
    assert editor.hub_online()
    with qtbot.waitSignal(editor.dry_run_done, timeout=TIMEOUT * 2) as done:
        editor.dry_button.click()
    text: str = done.args[0]
    assert editor.last_dry_run is not None and not editor.last_dry_run.at_hub
    assert "On this till's data — the hub could not be asked (" in text
    assert "403" in text and "Nothing was issued" in text
