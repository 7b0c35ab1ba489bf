"""What the profile panel's buttons and keys do (SPEC §5 "Profile panel", §3.7): redeem, claim,
expire, delete, extend, move, issue, redeem reward dollars, checkout, void, edit the customer's
details — each through the engine worker, answered in place ("Redeemed · 1 of 3 left · Undo")
or in words when the engine refuses.

:class:`ProfileCommands` is mixed into :class:`clienteling.ui.profile.panel.ProfilePanel`, which
provides the state it works on (declared below). The engine calls themselves are in
:mod:`clienteling.ui.operations.benefits`; the dialogs in :mod:`clienteling.ui.dialogs`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QDialog, QTabWidget

from clienteling.engine.money import format_money
from clienteling.engine.permissions import Action, Actor
from clienteling.engine.services import Clienteling
from clienteling.ui.common.action_message import ActionMessage
from clienteling.ui.common.confirm import ask
from clienteling.ui.common.errors import describe
from clienteling.ui.operations.benefits import (
    Redeemed,
    claim,
    delete_benefit,
    expire_benefit,
    extend_reward,
    redeem_benefit,
    void_redemption,
)
from clienteling.ui.operations.profile import ProfileData
from clienteling.ui.profile.delete_benefit_dialog import EXPIRE, DeleteBenefitDialog
from clienteling.ui.profile.details_dialog import (
    ContactDetails,
    ProfileDetailsDialog,
    load_contact_details,
)
from clienteling.ui.profile.extend_benefit_dialog import ExtendBenefitDialog
from clienteling.ui.profile.issue_benefit_dialog import IssueBenefitDialog
from clienteling.ui.profile.issue_reward_dialog import IssueRewardDialog
from clienteling.ui.profile.models import BenefitsModel
from clienteling.ui.profile.reassign_benefit_dialog import ReassignBenefitDialog
from clienteling.ui.profile.redeem_rewards_dialog import RedeemRewardsDialog
from clienteling.ui.profile.tabs import BENEFITS, REWARDS
from clienteling.ui.signin.manager_override import ManagerOverrideDialog
from clienteling.ui.state import AppState

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QWidget

    from clienteling.ui.operations.profile import BenefitRow, ClaimRow, HistoryRow, RewardRow

    _Host = QWidget  # to a type checker the mixin is the widget it is mixed into
else:
    _Host = object


class ProfileCommands(_Host):
    """The panel's commands. One engine action runs at a time (``_act``), so a double key press
    cannot redeem twice; dialogs open through :meth:`open_dialog`."""

    # -- provided by the panel ---------------------------------------------------------------
    state: AppState
    data: ProfileData | None
    message: ActionMessage
    tabs: QTabWidget
    benefits_model: BenefitsModel
    active_dialog: QDialog | None
    dialog_opened: SignalInstance
    _acting: bool
    _select_benefit: str

    if TYPE_CHECKING:
        @property
        def profile_id(self) -> str | None: ...
        @property
        def customer(self) -> str: ...
        def selected_benefit(self) -> BenefitRow | None: ...
        def selected_claim(self) -> ClaimRow | None: ...
        def selected_reward(self) -> RewardRow | None: ...
        def selected_history(self) -> HistoryRow | None: ...
        def select_benefit(self, name_or_id: str) -> bool: ...
        def _update_buttons(self) -> None: ...

    # -- plumbing --------------------------------------------------------------------------------
    def _act(self, fn: Any, *args: Any, done: Any, failed_prefix: str = "") -> None:
        """Run one action; one at a time, so a double key press cannot redeem twice."""
        actor = self.state.actor
        if actor is None or self._acting or self.data is None:
            return
        self._acting = True
        self._update_buttons()

        def on_done(result: Any) -> None:
            self._acting = False
            self._update_buttons()
            done(result)

        def on_error(exc: BaseException) -> None:
            self._acting = False
            self._update_buttons()
            text = describe(exc).text
            self.message.show_error(f"{failed_prefix}{text}" if failed_prefix else text)

        self.state.submit(fn, actor, *args).then(on_done, on_error, owner=self)

    def open_dialog(self, dialog: QDialog) -> QDialog:
        self.active_dialog = dialog
        dialog.finished.connect(lambda *_: self._dialog_closed(dialog))
        dialog.open()
        self.dialog_opened.emit(dialog)
        return dialog

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.active_dialog is dialog:
            self.active_dialog = None
        dialog.deleteLater()

    # -- benefits --------------------------------------------------------------------------------
    def redeem_selected(self) -> None:
        row = self.selected_benefit()
        if row is None or self.data is None:
            return
        if not self.state.may(Action.REDEEM):
            return
        pid = self.data.header.profile_id
        self._act(redeem_benefit, pid, row.id, done=self._redeemed, failed_prefix="Not redeemed: ")

    def _redeemed(self, result: Redeemed) -> None:
        undo = None
        if self.state.may(Action.VOID):
            rid = result.redemption_id
            undo = lambda: self._act(void_redemption, rid, done=lambda _: self.message.show_done(  # noqa: E731
                "Redemption voided"))
        self.message.show_done(f"Redeemed {result.name} · {result.left}", undo)

    def claim_selected(self, *, redeem: bool = False) -> None:
        row = self.selected_claim()
        if row is None or self.data is None:
            return
        pid = self.data.header.profile_id
        name = row.name

        def done(benefit_id: str) -> None:
            self._select_benefit = benefit_id
            self.message.show_done(f"{'Claimed and redeemed' if redeem else 'Claimed'} {name}")
            if self.benefits_model.row_of(benefit_id) >= 0:
                self.select_benefit(benefit_id)
                self._select_benefit = ""
            else:
                self.tabs.setCurrentIndex(BENEFITS)

        self._act(claim, pid, row.handle, redeem, done=done, failed_prefix="Not claimed: ")

    def expire_selected(self) -> None:
        row = self.selected_benefit()
        if row is None or not self.state.may(Action.MANAGE_INSTANCE):
            return
        self.active_dialog = ask(
            self, f"Expire {row.name}?",
            f"It stops working now. The record and its history stay on {self.customer}'s profile.",
            "Expire now",
            lambda: self._act(expire_benefit, row.id, done=lambda _: self.message.show_done(
                f"Expired {row.name}")))

    def delete_selected(self) -> None:
        row = self.selected_benefit()
        if row is None or not self.state.may(Action.DELETE_BENEFIT):
            return
        dialog = DeleteBenefitDialog(row, self.customer, self)

        def chosen() -> None:
            if dialog.choice == EXPIRE:
                self._act(expire_benefit, row.id,
                          done=lambda _: self.message.show_done(f"Expired {row.name}"))
            else:
                self._act(delete_benefit, row.id,
                          done=lambda _: self.message.show_done(f"Deleted {row.name}"))

        dialog.accepted.connect(chosen)
        self.open_dialog(dialog)

    def extend_selected(self) -> None:
        row = self.selected_benefit()
        if row is None or self.data is None or not self.state.may(Action.MANAGE_INSTANCE):
            return
        dialog = ExtendBenefitDialog(self.state, row, self.data.now, self)
        dialog.accepted.connect(lambda: self.message.show_done(
            f"Extended {row.name}" + (f" until {dialog.result_label.text()[6:]}"
                                       if dialog.result_label.text() else "")))
        self.open_dialog(dialog)

    def reassign_selected(self) -> None:
        row = self.selected_benefit()
        if row is None or self.data is None or not self.state.may(Action.MANAGE_INSTANCE):
            return
        dialog = ReassignBenefitDialog(self.state, row, self.data.header.profile_id, self)
        dialog.accepted.connect(lambda: self.message.show_done(f"Moved {row.name} to {dialog.to_name}"))
        self.open_dialog(dialog)

    def issue_benefit(self) -> None:
        if self.data is None or not self.state.may(Action.ISSUE_BENEFIT):
            return
        dialog = IssueBenefitDialog(self.state, self.data.header.profile_id, self.customer, self)

        def done() -> None:
            self._select_benefit = dialog.issued_id or ""
            self.tabs.setCurrentIndex(BENEFITS)
            self.message.show_done(f"Issued {dialog.issued_name}")

        dialog.accepted.connect(done)
        self.open_dialog(dialog)

    # -- rewards and checkout ------------------------------------------------------------------
    def open_redeem_rewards(self) -> None:
        if self.data is None or not self.state.may(Action.REDEEM_REWARD):
            return
        if self.data.header.balance <= 0:
            self.message.show_error(f"{self.customer} has no reward balance to redeem.")
            return
        dialog = RedeemRewardsDialog(self.state, self.data.header.profile_id, self.customer,
                                     self.data.header.balance, self.data.rewards, self)
        dialog.accepted.connect(lambda: self.message.show_done(
            f"Redeemed {format_money(dialog.redeemed or Decimal(0))} in reward dollars"))
        self.tabs.setCurrentIndex(REWARDS)
        self.open_dialog(dialog)

    def open_checkout(self) -> None:
        """Ctrl+K: the counter checkout (SPEC §3.6) for this customer."""
        if self.data is None or self.state.actor is None or not self.state.may(Action.REDEEM):
            return
        from clienteling.ui.checkout.dialog import CheckoutDialog

        pid = self.data.header.profile_id
        actor = self.state.actor

        def load(cl: Clienteling) -> tuple[list[Any], Decimal]:
            return cl.benefits.for_profile(pid), cl.rewards.balance(pid)

        def show(result: tuple[list[Any], Decimal]) -> None:
            benefits, balance = result
            if self.profile_id != pid:
                return
            dialog = CheckoutDialog(self.state.worker, self.state.engine, actor, pid,
                                    [b for b in benefits if b.state.is_redeemable], balance, self)
            dialog.accepted.connect(lambda: self.message.show_done("Checkout confirmed"))
            self.open_dialog(dialog)

        self.state.submit(load).then(show, owner=self)

    def open_issue_reward(self) -> None:
        """Ctrl+I: managers and admins issue; an associate first asks a manager for their PIN."""
        if self.data is None or self.state.actor is None:
            return
        self.tabs.setCurrentIndex(REWARDS)
        if self.state.may(Action.ISSUE_REWARD):
            self._issue_reward_dialog(None)
            return
        override = ManagerOverrideDialog(self.state, f"issue a reward to {self.customer}", self)
        override.accepted.connect(lambda: self._issue_reward_dialog(override.manager))
        self.open_dialog(override)

    def _issue_reward_dialog(self, manager: Actor | None) -> None:
        if self.data is None:
            return
        dialog = IssueRewardDialog(self.state, self.data.header.profile_id, self.customer,
                                   override=manager, parent=self)
        dialog.accepted.connect(lambda: self.message.show_done(
            f"Issued {format_money(dialog.issued or Decimal(0))} reward to {self.customer}"
            + (f" (authorised by {dialog.manager.display_name})" if dialog.manager else "")))
        self.open_dialog(dialog)

    def extend_reward_selected(self) -> None:
        row = self.selected_reward()
        if row is None or not self.state.may(Action.MANAGE_INSTANCE):
            return
        self._act(extend_reward, row.id, done=lambda _: self.message.show_done(f"Extended {row.name}"))

    # -- history -----------------------------------------------------------------------------------
    def void_selected(self) -> None:
        row = self.selected_history()
        if row is None or row.redemption_id is None or not self.state.may(Action.VOID):
            return
        rid = row.redemption_id
        self.active_dialog = ask(
            self, "Void this redemption?",
            f"{row.text} {row.amount}".strip() + ". Everything it used is put back.",
            "Void redemption",
            lambda: self._act(void_redemption, rid,
                              done=lambda _: self.message.show_done("Redemption voided")),
            danger=True)

    # -- the customer's details ------------------------------------------------------------------
    def edit_details(self) -> None:
        """Ctrl+E: the customer's contact details, read fresh and prefilled (any role, SPEC §3.7).
        The header and the search list follow the engine's change notification."""
        if self.data is None or not self.state.may(Action.EDIT_PROFILE):
            return
        if self.active_dialog is not None and self.active_dialog.isVisible():
            return
        pid = self.data.header.profile_id

        def show(details: ContactDetails) -> None:
            if self.profile_id != pid or self.state.actor is None:
                return  # another customer was opened, or the till locked, meanwhile
            if self.active_dialog is not None and self.active_dialog.isVisible():
                return  # a second Ctrl+E while the first was loading
            dialog = ProfileDetailsDialog(self.state, details, self)
            dialog.accepted.connect(lambda: self.message.show_done(
                f"Saved {dialog.saved_name}'s details" if dialog.changed else "Nothing changed"))
            self.open_dialog(dialog)

        self.state.submit(load_contact_details, pid).then(show, owner=self)
