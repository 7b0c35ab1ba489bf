"""The profile panel at the counter: redeem, claim, redeem reward dollars, and what staff see
(SPEC §5 "Profile panel", UX "States people must see at a glance")."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from clienteling.ui.common.rows_model import MUTED_ROLE
from clienteling.ui.main_window import MainWindow
from clienteling.ui.profile.panel import BENEFITS, CLAIMABLE, HISTORY
from clienteling.ui.profile.redeem_rewards_dialog import RedeemRewardsDialog
from tests.ui.support import TIMEOUT, benefit_row, open_jane, wait_dialog, wait_message

Open = Callable[..., MainWindow]


def _press_enter_on_benefits(qtbot: Any, w: MainWindow) -> None:
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_Return)


def test_the_header_says_what_the_associate_says_out_loud(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    header = w.profile.header
    assert header.name.text() == "Jane Citizen"
    assert header.name.font().pointSizeF() >= 14  # names and balances 14pt+ (UX "Looks")
    assert header.balance.font().pointSizeF() >= 14
    assert header.tier.text() == "GOLD"
    assert "jane@example.com" in header.contact.text()
    assert w.findChild(QLabel, "rewardBalance").text() == "$45.00"
    assert "$20.00 expires in 3 days" in header.expiring.text()
    assert w.sync_status.text == "Demo · not connected"


def test_redeem_a_benefit_with_enter_until_it_is_used_up(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    assert w.profile.select_benefit("Free Alterations")
    assert benefit_row(w, "Free Alterations").left_text == "2 of 3 left"

    _press_enter_on_benefits(qtbot, w)
    assert "Redeemed Free Alterations · 1 of 3 left" in wait_message(qtbot, w, "1 of 3 left")
    qtbot.waitUntil(lambda: benefit_row(w, "Free Alterations").remaining == 1, timeout=TIMEOUT)
    assert benefit_row(w, "Free Alterations").pending  # not yet confirmed by the hub

    w.profile.select_benefit("Free Alterations")
    _press_enter_on_benefits(qtbot, w)
    wait_message(qtbot, w, "0 of 3 left")
    qtbot.waitUntil(lambda: not benefit_row(w, "Free Alterations").redeemable, timeout=TIMEOUT)

    # Used up: greyed, sorted last, the reason in its tooltip, and Redeem is disabled.
    model = w.profile.benefits_model
    last = model.rowCount() - 1
    assert model.row_at(last).name == "Free Alterations"
    assert model.data(model.index(last, 0), MUTED_ROLE) is True
    assert "no redemptions left" in model.data(model.index(last, 0), Qt.ItemDataRole.ToolTipRole)
    assert "Used up" in model.data(model.index(last, 3))
    w.profile.select_benefit("Free Alterations")
    assert not w.profile.redeem_button.isEnabled()

    # Enter on it anyway: the engine refuses, in words.
    _press_enter_on_benefits(qtbot, w)
    assert "no redemptions left" in wait_message(qtbot, w, "Not redeemed")
    qtbot.waitUntil(lambda: w.sync_status.counts.pending == 2, timeout=TIMEOUT)
    assert w.sync_status.text == "Demo · not connected"  # standalone: nothing waits for a hub


def test_a_manager_can_undo_a_redemption_in_place(open_window: Open, qtbot: Any) -> None:
    w = open_window("max")
    open_jane(qtbot, w)
    w.profile.select_benefit("VIP Lounge")
    _press_enter_on_benefits(qtbot, w)
    wait_message(qtbot, w, "2 of 3 left")
    assert w.profile.message.undo.isVisible()
    w.profile.message.undo.click()
    wait_message(qtbot, w, "Redemption voided")
    qtbot.waitUntil(lambda: benefit_row(w, "VIP Lounge").remaining == 3, timeout=TIMEOUT)


def test_an_associate_gets_no_undo_they_may_not_void(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    w.profile.select_benefit("VIP Lounge")
    _press_enter_on_benefits(qtbot, w)
    wait_message(qtbot, w, "2 of 3 left")
    assert not w.profile.message.undo.isVisible()


def test_claim_a_claimable_and_see_why_others_are_not_available(open_window: Open,
                                                                qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    w.profile.tabs.setCurrentIndex(CLAIMABLE)
    model = w.profile.claimable_model
    names = [r.name for r in model.rows]
    assert "10% off your next purchase" in names
    row = names.index("10% off your next purchase")
    assert model.row_at(row).claimable
    w.profile.claimable_view.selectRow(row)
    qtbot.keyClick(w.profile.claimable_view, Qt.Key.Key_Return)
    wait_message(qtbot, w, "Claimed 10% off your next purchase")
    qtbot.waitUntil(lambda: any(r.name == "10% off your next purchase"
                                for r in w.profile.benefits_model.rows), timeout=TIMEOUT)
    assert w.profile.tabs.currentIndex() == BENEFITS
    # Now it is held, so it is listed as not available, with the reason in words.
    qtbot.waitUntil(lambda: not next(r for r in model.rows
                                     if r.name == "10% off your next purchase").claimable,
                    timeout=TIMEOUT)
    held = next(i for i, r in enumerate(model.rows) if r.name == "10% off your next purchase")
    assert model.data(model.index(held, 1)) == "Not available"
    assert "already holds" in model.data(model.index(held, 2))
    assert model.row_at(model.rowCount() - 1).claimable is False  # not available sorts last


def test_claim_and_redeem_in_one_step(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    w.profile.tabs.setCurrentIndex(CLAIMABLE)
    row = next(i for i, r in enumerate(w.profile.claimable_model.rows)
               if r.name == "Gold Members' Coffee")
    w.profile.claimable_view.selectRow(row)
    w.profile.claim_redeem_button.click()
    wait_message(qtbot, w, "Claimed and redeemed Gold Members' Coffee")
    qtbot.waitUntil(lambda: any(r.name == "Gold Members' Coffee" and not r.redeemable
                                for r in w.profile.benefits_model.rows), timeout=TIMEOUT)


def test_a_new_customer_sees_why_benefits_are_not_available(open_window: Open,
                                                            qtbot: Any) -> None:
    w = open_window("ava")
    qtbot.keyClick(w.search.box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_dialog(qtbot, w, "newProfileDialog")
    dialog.fields["first_name"].setText("Sam")
    dialog.fields["last_name"].setText("Walker")
    dialog.fields["email"].setText("not-an-email")
    dialog.gender.setCurrentText("male")
    dialog.fields["card"].setText("4999000000001")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: "not an email address" in dialog.field_error("email"), timeout=TIMEOUT)
    dialog.fields["email"].setText("sam.walker@example.com")
    with qtbot.waitSignal(w.profile.loaded, timeout=TIMEOUT):
        dialog.ok_button.click()
    assert w.profile.customer == "Sam Walker"
    rows = {r.name: r for r in w.profile.claimable_model.rows}
    assert rows["Gold Members' Coffee"].claimable is False
    assert rows["Gold Members' Coffee"].message == "Gold members only"
    assert rows["10% off your next purchase"].claimable is False
    assert rows["Weekday Denim 15% off"].claimable is True
    w.profile.show_unavailable.setChecked(False)
    assert [r.name for r in w.profile.claimable_model.rows] == ["Weekday Denim 15% off"]
    # The engine knows the new profile has not reached a hub, but a demo till waits for none:
    # no "pending sync" badge (issue 16).
    assert w.profile.data is not None and w.profile.data.header.pending
    assert not w.profile.header.pending.isVisibleTo(w.profile.header)
    assert not w.profile.benefits_model.badges_shown


def test_redeem_reward_dollars_shows_the_draws_first(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_dialog(qtbot, w, "redeemRewardsDialog")
    assert isinstance(dialog, RedeemRewardsDialog)
    assert dialog.balance_label.text() == "of $45.00 available"
    dialog.amount.setText("99.00")
    qtbot.waitUntil(lambda: "more than the balance" in dialog.field_error("amount"), timeout=TIMEOUT)
    assert not dialog.ok_button.isEnabled()
    dialog.amount.setText("30.00")
    qtbot.waitUntil(lambda: dialog.ready, timeout=TIMEOUT)
    draws = [(r.name, r.takes) for r in dialog.preview_model.rows]
    # Nearest expiry first: the birthday reward (3 days) in full, then customer service.
    assert draws == [("Birthday Reward", Decimal("20.00")), ("Customer Service", Decimal("10.00"))]
    assert dialog.ok_button.text() == "Redeem $30.00"
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.ok_button.click()
    wait_message(qtbot, w, "Redeemed $30.00 in reward dollars")
    qtbot.waitUntil(lambda: w.profile.header.balance.text() == "$15.00", timeout=TIMEOUT)
    w.profile.tabs.setCurrentIndex(HISTORY)
    qtbot.waitUntil(lambda: any("Redeemed reward dollars" in r.text
                                for r in w.profile.history_model.rows), timeout=TIMEOUT)


def test_a_bad_amount_is_refused_in_words(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    w.profile.commands.open_redeem_rewards()
    dialog = wait_dialog(qtbot, w, "redeemRewardsDialog")
    assert isinstance(dialog, RedeemRewardsDialog)
    dialog.amount.setText("1.005")
    qtbot.waitUntil(lambda: "decimal place" in dialog.field_error("amount"), timeout=TIMEOUT)
    dialog.amount.setText("abc")
    qtbot.waitUntil(lambda: "not a number" in dialog.field_error("amount"), timeout=TIMEOUT)
    dialog.reject()


def test_history_lists_redemptions_and_a_manager_can_void_one(open_window: Open,
                                                              qtbot: Any) -> None:
    w = open_window("max")
    open_jane(qtbot, w)
    w.profile.select_benefit("VIP Lounge")
    _press_enter_on_benefits(qtbot, w)
    wait_message(qtbot, w, "2 of 3 left")
    w.profile.tabs.setCurrentIndex(HISTORY)
    qtbot.waitUntil(lambda: any(r.redemption_id for r in w.profile.history_model.rows),
                    timeout=TIMEOUT)
    row = next(i for i, r in enumerate(w.profile.history_model.rows) if r.redemption_id)
    assert w.profile.history_model.row_at(row).staff.startswith("Max")
    w.profile.history_view.selectRow(row)
    assert w.profile.void_button.isEnabled()
    w.profile.void_button.click()
    dialog = wait_dialog(qtbot, w, "confirmDialog")
    dialog.accept()
    wait_message(qtbot, w, "Redemption voided")
    qtbot.waitUntil(lambda: benefit_row(w, "VIP Lounge").remaining == 3, timeout=TIMEOUT)


def test_an_admin_deleting_a_benefit_is_offered_expire_instead(open_window: Open,
                                                               qtbot: Any) -> None:
    w = open_window("ada")
    open_jane(qtbot, w)
    w.profile.select_benefit("VIP Lounge")
    assert w.profile.delete_button.isEnabled()
    w.profile.delete_button.click()
    dialog = wait_dialog(qtbot, w, "deleteBenefitDialog")
    expire_instead = dialog.findChild(type(w.profile.delete_button), "expireInsteadButton")
    assert expire_instead is not None and expire_instead.isDefault()
    expire_instead.click()
    wait_message(qtbot, w, "Expired VIP Lounge")
    qtbot.waitUntil(lambda: benefit_row(w, "VIP Lounge").status == "Expired", timeout=TIMEOUT)


def test_role_gates_on_the_benefit_buttons(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    w.profile.select_benefit("VIP Lounge")
    p = w.profile
    assert p.redeem_button.isEnabled()
    for button in (p.extend_button, p.expire_button, p.delete_button, p.issue_benefit_button):
        assert not button.isEnabled()
        assert "only" in button.toolTip()


def test_a_manager_issues_and_extends_a_benefit(open_window: Open, qtbot: Any) -> None:
    w = open_window("max")
    open_jane(qtbot, w)
    w.profile.issue_benefit_button.click()
    dialog = wait_dialog(qtbot, w, "issueBenefitDialog")
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0, timeout=TIMEOUT)
    dialog.select("Early Access to Sale")
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.ok_button.click()
    wait_message(qtbot, w, "Issued Early Access to Sale")
    qtbot.waitUntil(lambda: any(r.name == "Early Access to Sale"
                                for r in w.profile.benefits_model.rows), timeout=TIMEOUT)
    w.profile.select_benefit("VIP Lounge")
    before = benefit_row(w, "VIP Lounge").expires_at
    w.profile.extend_button.click()
    dialog = wait_dialog(qtbot, w, "extendBenefitDialog")
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.ok_button.click()
    qtbot.waitUntil(lambda: benefit_row(w, "VIP Lounge").expires_at > before, timeout=TIMEOUT)


def test_ctrl_k_opens_the_counter_checkout_for_the_customer(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_dialog(qtbot, w, "checkoutDialog")
    assert dialog.choices.rowCount() == 2  # type: ignore[attr-defined]  # Jane's usable benefits
    dialog.reject()


def test_f5_syncs_now_and_says_so_without_a_hub(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    with qtbot.waitSignal(w.sync.finished, timeout=TIMEOUT) as finished:
        qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_F5)
        assert "Syncing" in w.status_message.text()
    assert w.status_message.text() == ""  # cleared when the cycle finished
    assert finished.args[0].report is None  # no hub set up on the demo till
    assert w.sync_status.text == "Demo · not connected"
    assert "not connected to a hub" in w.sync_status.label.toolTip()


def test_a_manager_moves_a_reassignable_benefit_to_another_customer(open_window: Open,
                                                                    qtbot: Any) -> None:
    w = open_window("max")

    def make_reassignable() -> None:
        admin = w.engine.staff.sign_in("ada", "905238")
        vip = w.engine.definitions.benefit_definition("vip-lounge")
        w.engine.definitions.update_benefit_definition(admin, vip.id, {"is_reassignable": True})

    w.worker.run_sync(make_reassignable)
    open_jane(qtbot, w)
    w.profile.select_benefit("VIP Lounge")
    assert w.profile.reassign_button.isEnabled()
    w.profile.reassign_button.click()
    dialog = wait_dialog(qtbot, w, "reassignBenefitDialog")
    with qtbot.waitSignal(dialog.model.first_page_loaded, timeout=TIMEOUT):  # type: ignore[attr-defined]
        qtbot.keyClicks(dialog.search, "Olivia")  # type: ignore[attr-defined]
    dialog.results.selectRow(0)  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.accepted, timeout=TIMEOUT):
        dialog.ok_button.click()  # type: ignore[attr-defined]
    wait_message(qtbot, w, "Moved VIP Lounge to Olivia")
    qtbot.waitUntil(lambda: all(r.name != "VIP Lounge" for r in w.profile.benefits_model.rows),
                    timeout=TIMEOUT)


def test_a_manager_extends_an_extendable_reward(open_window: Open, qtbot: Any) -> None:
    w = open_window("max")
    open_jane(qtbot, w)
    w.profile.tabs.setCurrentIndex(2)
    rows = w.profile.rewards_model.rows
    service = next(i for i, r in enumerate(rows) if r.name == "Customer Service")
    before = rows[service].expires_at
    w.profile.rewards_view.selectRow(service)
    assert w.profile.extend_reward_button.isEnabled()
    birthday = next(i for i, r in enumerate(rows) if r.name == "Birthday Reward")
    w.profile.rewards_view.selectRow(birthday)
    assert not w.profile.extend_reward_button.isEnabled()  # its definition is not extendable
    w.profile.rewards_view.selectRow(service)
    w.profile.extend_reward_button.click()
    wait_message(qtbot, w, "Extended Customer Service")
    qtbot.waitUntil(lambda: next(r for r in w.profile.rewards_model.rows
                                 if r.name == "Customer Service").expires_at > before,
                    timeout=TIMEOUT)
