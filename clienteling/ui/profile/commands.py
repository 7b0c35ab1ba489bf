"""What the profile panel's buttons and keys do (SPEC §5 "Profile panel", §3.7): redeem, claim,
expire, delete, extend, move, issue, redeem reward dollars, checkout, void, edit the customer's
details — each through the engine worker, answered in place ("Redeemed · 1 of 3 left · Undo")
or in words when the engine refuses.

The panel owns one :class:`ProfileCommands` and its buttons call it; the commands work on
what the panel shows through the narrow :class:`ProfileView` it satisfies, so this module never
imports the panel (nor do the tab pages import the commands: they see them as
:class:`clienteling.ui.profile.tabs.TabCommands`). The engine calls themselves
are in :mod:`clienteling.ui.operations`; the dialogs beside this module.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QTabWidget, QWidget

from clienteling.engine.money import format_money
from clienteling.engine.permissions import Action, Actor
from clienteling.engine.records import BenefitRow, ClaimRow, RewardRow, TimelineRow
from clienteling.ui.checkout.earned import confirmed_words
from clienteling.ui.common.action_message import ActionMessage
from clienteling.ui.common.confirm import ask
from clienteling.ui.common.errors import describe
from clienteling.ui.operations.benefits import (
    Redeemed,
    claim,
    delete_benefit,
    expire_benefit,
    redeem_benefit,
)
from clienteling.ui.operations.checkout import load_checkout
from clienteling.ui.operations.profile import ContactDetails, ProfileData, load_contact_details
from clienteling.ui.operations.rewards import extend_reward, void_redemption
from clienteling.ui.profile.delete_benefit_dialog import EXPIRE, DeleteBenefitDialog
from clienteling.ui.profile.details_dialog import ProfileDetailsDialog
from clienteling.ui.profile.extend_benefit_dialog import ExtendBenefitDialog
from clienteling.ui.profile.issue_benefit_dialog import IssueBenefitDialog
from clienteling.ui.profile.issue_reward_dialog import IssueRewardDialog
from clienteling.ui.profile.reassign_benefit_dialog import ReassignBenefitDialog
from clienteling.ui.profile.redeem_rewards_dialog import RedeemRewardsDialog
from clienteling.ui.profile.tabs import BENEFITS, REWARDS
from clienteling.ui.signin.manager_override import ManagerOverrideDialog
from clienteling.ui.state import AppState


class ProfileView(Protocol):
    """What the commands need of the panel (:class:`clienteling.ui.profile.panel.ProfilePanel`):
    the customer it shows, its selection, its in-place message, its tabs and its dialogs."""

    state: AppState
    data: ProfileData | None
    message: ActionMessage
    tabs: QTabWidget
    active_dialog: QDialog | None

    @property
    def profile_id(self) -> str | None: ...
    @property
    def customer(self) -> str: ...
    def selected_benefit(self) -> BenefitRow | None: ...
    def selected_claim(self) -> ClaimRow | None: ...
    def selected_reward(self) -> RewardRow | None: ...
    def selected_history(self) -> TimelineRow | None: ...
    def show_benefit(self, benefit_id: str) -> None: ...
    def open_dialog(self, dialog: QDialog) -> QDialog: ...


class ProfileCommands(QObject):
    """The panel's commands, owned by the panel and working on what it shows (``view``; its
    dialogs belong to ``parent``, the panel's widget). One engine action runs at a time
    (``acting``), so a double key press cannot redeem twice; dialogs open through the view's
    ``open_dialog``."""

    #: an action started (True) or finished (False): the panel enables its buttons accordingly
    acting_changed = Signal(bool)

    def __init__(self, view: ProfileView, parent: QWidget) -> None:
        super().__init__(parent)  # deleted with the panel, so late answers are dropped
        self.panel = view
        self.widget = parent
        self.state: AppState = view.state
        self.acting = False

    # -- plumbing --------------------------------------------------------------------------------
    def _act(self, fn: Any, *args: Any, done: Any, failed_prefix: str = "") -> None:
        """Run one action; one at a time, so a double key press cannot redeem twice."""
        actor = self.state.actor
        if actor is None or self.acting or self.panel.data is None:
            return
        self._set_acting(True)

        def on_done(result: Any) -> None:
            self._set_acting(False)
            done(result)

        def on_error(exc: BaseException) -> None:
            self._set_acting(False)
            text = describe(exc).text
            self.panel.message.show_error(f"{failed_prefix}{text}" if failed_prefix else text)

        self.state.submit(fn, actor, *args).then(on_done, on_error, owner=self)

    def _set_acting(self, acting: bool) -> None:
        self.acting = acting
        self.acting_changed.emit(acting)

    # -- benefits --------------------------------------------------------------------------------
    def redeem_selected(self) -> None:
        row = self.panel.selected_benefit()
        if row is None or self.panel.data is None:
            return
        if not self.state.may(Action.REDEEM):
            return
        pid = self.panel.data.header.profile_id
        self._act(redeem_benefit, pid, row.id, done=self._redeemed, failed_prefix="Not redeemed: ")

    def _redeemed(self, result: Redeemed) -> None:
        undo = None
        if self.state.may(Action.VOID):
            rid = result.redemption_id
            undo = lambda: self._act(void_redemption, rid, done=lambda _: self.panel.message.show_done(  # noqa: E731
                "Redemption voided"))
        self.panel.message.show_done(f"Redeemed {result.name} · {result.left}", undo)

    def claim_selected(self, *, redeem: bool = False) -> None:
        row = self.panel.selected_claim()
        if row is None or self.panel.data is None:
            return
        pid = self.panel.data.header.profile_id
        name = row.name

        def done(benefit_id: str) -> None:
            self.panel.message.show_done(f"{'Claimed and redeemed' if redeem else 'Claimed'} {name}")
            self.panel.show_benefit(benefit_id)

        self._act(claim, pid, row.handle, redeem, done=done, failed_prefix="Not claimed: ")

    def expire_selected(self) -> None:
        row = self.panel.selected_benefit()
        if row is None or not self.state.may(Action.MANAGE_INSTANCE):
            return
        self.panel.active_dialog = ask(
            self.widget, f"Expire {row.name}?",
            f"It stops working now. The record and its history stay on {self.panel.customer}'s profile.",
            "Expire now",
            lambda: self._act(expire_benefit, row.id, done=lambda _: self.panel.message.show_done(
                f"Expired {row.name}")))

    def delete_selected(self) -> None:
        row = self.panel.selected_benefit()
        if row is None or not self.state.may(Action.DELETE_BENEFIT):
            return
        dialog = DeleteBenefitDialog(row, self.panel.customer, self.widget)

        def chosen() -> None:
            if dialog.choice == EXPIRE:
                self._act(expire_benefit, row.id,
                          done=lambda _: self.panel.message.show_done(f"Expired {row.name}"))
            else:
                self._act(delete_benefit, row.id,
                          done=lambda _: self.panel.message.show_done(f"Deleted {row.name}"))

        dialog.accepted.connect(chosen)
        self.panel.open_dialog(dialog)

    def extend_selected(self) -> None:
        row = self.panel.selected_benefit()
        if row is None or self.panel.data is None or not self.state.may(Action.MANAGE_INSTANCE):
            return
        dialog = ExtendBenefitDialog(self.state, row, self.panel.data.now, self.widget)
        dialog.accepted.connect(lambda: self.panel.message.show_done(
            f"Extended {row.name}" + (f" until {dialog.result_label.text()[6:]}"
                                       if dialog.result_label.text() else "")))
        self.panel.open_dialog(dialog)

    def reassign_selected(self) -> None:
        row = self.panel.selected_benefit()
        if row is None or self.panel.data is None or not self.state.may(Action.MANAGE_INSTANCE):
            return
        dialog = ReassignBenefitDialog(self.state, row, self.panel.data.header.profile_id, self.widget)
        dialog.accepted.connect(lambda: self.panel.message.show_done(f"Moved {row.name} to {dialog.to_name}"))
        self.panel.open_dialog(dialog)

    def issue_benefit(self) -> None:
        panel = self.panel
        if panel.data is None or not self.state.may(Action.ISSUE_BENEFIT):
            return
        dialog = IssueBenefitDialog(self.state, panel.data.header.profile_id, panel.customer,
                                     self.widget)

        def done() -> None:
            if dialog.issued_id:
                self.panel.show_benefit(dialog.issued_id)
            else:
                self.panel.tabs.setCurrentIndex(BENEFITS)
            self.panel.message.show_done(f"Issued {dialog.issued_name}")

        dialog.accepted.connect(done)
        self.panel.open_dialog(dialog)

    # -- rewards and checkout ------------------------------------------------------------------
    def open_redeem_rewards(self) -> None:
        if self.panel.data is None or not self.state.may(Action.REDEEM_REWARD):
            return
        if self.panel.data.header.balance <= 0:
            self.panel.message.show_error(f"{self.panel.customer} has no reward balance to redeem.")
            return
        dialog = RedeemRewardsDialog(self.state, self.panel.data.header.profile_id, self.panel.customer,
                                     self.panel.data.header.balance, self.panel.data.rewards, self.widget)
        dialog.accepted.connect(lambda: self.panel.message.show_done(
            f"Redeemed {format_money(dialog.redeemed or Decimal(0))} in reward dollars"))
        self.panel.tabs.setCurrentIndex(REWARDS)
        self.panel.open_dialog(dialog)

    def open_checkout(self) -> None:
        """Ctrl+K: the counter checkout (SPEC §3.6) for this customer."""
        if self.panel.data is None or self.state.actor is None or not self.state.may(Action.REDEEM):
            return
        from clienteling.ui.checkout.dialog import CheckoutDialog

        pid = self.panel.data.header.profile_id
        actor = self.state.actor

        def show(result: tuple[tuple[BenefitRow, ...], Decimal]) -> None:
            benefits, balance = result
            if self.panel.profile_id != pid:
                return
            dialog = CheckoutDialog(self.state.worker, self.state.engine, actor, pid, benefits, balance,
                                    self.widget)
            dialog.accepted.connect(lambda: self.panel.message.show_done(
                confirmed_words(dialog.result_, self.state.timezone)))
            self.panel.open_dialog(dialog)

        self.state.submit(load_checkout, pid).then(show, owner=self)

    def open_issue_reward(self) -> None:
        """Ctrl+I: managers and admins issue; an associate first asks a manager for their PIN."""
        if self.panel.data is None or self.state.actor is None:
            return
        self.panel.tabs.setCurrentIndex(REWARDS)
        if self.state.may(Action.ISSUE_REWARD):
            self._issue_reward_dialog(None)
            return
        override = ManagerOverrideDialog(self.state, f"issue a reward to {self.panel.customer}", self.widget)
        override.accepted.connect(lambda: self._issue_reward_dialog(override.manager))
        self.panel.open_dialog(override)

    def _issue_reward_dialog(self, manager: Actor | None) -> None:
        if self.panel.data is None:
            return
        dialog = IssueRewardDialog(self.state, self.panel.data.header.profile_id, self.panel.customer,
                                   override=manager, parent=self.widget)
        dialog.accepted.connect(lambda: self.panel.message.show_done(
            f"Issued {format_money(dialog.issued or Decimal(0))} reward to {self.panel.customer}"
            + (f" (authorised by {dialog.manager.display_name})" if dialog.manager else "")))
        self.panel.open_dialog(dialog)

    def extend_reward_selected(self) -> None:
        row = self.panel.selected_reward()
        if row is None or not self.state.may(Action.MANAGE_INSTANCE):
            return
        self._act(extend_reward, row.id, done=lambda _: self.panel.message.show_done(f"Extended {row.name}"))

    # -- history -----------------------------------------------------------------------------------
    def void_selected(self) -> None:
        row = self.panel.selected_history()
        if row is None or row.redemption_id is None or not self.state.may(Action.VOID):
            return
        rid = row.redemption_id
        self.panel.active_dialog = ask(
            self.widget, "Void this redemption?",
            f"{row.text} {row.amount_text}".strip() + ". Everything it used is put back.",
            "Void redemption",
            lambda: self._act(void_redemption, rid,
                              done=lambda _: self.panel.message.show_done("Redemption voided")),
            danger=True)

    # -- the customer's details ------------------------------------------------------------------
    def edit_details(self) -> None:
        """Ctrl+E: the customer's contact details, read fresh and prefilled (any role, SPEC §3.7).
        The header and the search list follow the engine's change notification."""
        if self.panel.data is None or not self.state.may(Action.EDIT_PROFILE):
            return
        if self.panel.active_dialog is not None and self.panel.active_dialog.isVisible():
            return
        pid = self.panel.data.header.profile_id

        def show(details: ContactDetails) -> None:
            if self.panel.profile_id != pid or self.state.actor is None:
                return  # another customer was opened, or the till locked, meanwhile
            if self.panel.active_dialog is not None and self.panel.active_dialog.isVisible():
                return  # a second Ctrl+E while the first was loading
            dialog = ProfileDetailsDialog(self.state, details, self.widget)
            dialog.accepted.connect(lambda: self.panel.message.show_done(
                f"Saved {dialog.saved_name}'s details" if dialog.changed else "Nothing changed"))
            self.panel.open_dialog(dialog)

        self.state.submit(load_contact_details, pid).then(show, owner=self)
