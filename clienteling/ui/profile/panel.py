"""The open profile (SPEC §5 "Profile panel"): the header, and the tabs Benefits, Claimable,
Rewards and History. The engine enforces the roles (§3.7); buttons are disabled per role only
for clarity.

This module holds the panel itself: its layout, loading and refreshing the customer, the
selection, which buttons the role may use, and the keys on the lists. The tab pages are in
:mod:`clienteling.ui.profile.tabs`, what the buttons do in :mod:`clienteling.ui.profile.commands`.

All reads and writes go through the worker; the panel refreshes only the parts the engine's
change notifications name (GUIDE principle 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.permissions import Action
from clienteling.engine.records import BenefitRow, ClaimRow, RewardRow, TimelineRow
from clienteling.engine.services import Changes
from clienteling.ui.common import theme
from clienteling.ui.common.action_message import ActionMessage
from clienteling.ui.common.buttons import action_button
from clienteling.ui.common.errors import describe
from clienteling.ui.common.rows_model import RowsModel
from clienteling.ui.operations.profile import ProfileData, load_history, load_profile, refresh_profile
from clienteling.ui.profile.commands import ProfileCommands
from clienteling.ui.profile.header import ProfileHeader
from clienteling.ui.profile.tabs import (
    BENEFITS,
    CLAIMABLE,
    HISTORY,
    REWARDS,
    BenefitsTab,
    ClaimableTab,
    HistoryTab,
    RewardsTab,
)
from clienteling.ui.state import AppState, role_hint

__all__ = ["BENEFITS", "CLAIMABLE", "HISTORY", "REWARDS", "ProfilePanel"]


class ProfilePanel(QWidget):
    """Right side of the main window."""

    #: a profile finished loading (profile id)
    loaded = Signal(str)
    #: the history tab finished loading
    history_loaded = Signal()
    #: a dialog was opened (the dialog)
    dialog_opened = Signal(object)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profilePanel")
        self.state = state
        self.data: ProfileData | None = None
        self.active_dialog: QDialog | None = None
        self._generation = 0
        self._select_benefit = ""
        self._refreshing = False
        self._pending_areas: set[str] = set()
        self._history_stale = True
        #: set while a load fills the lists: their selection changes then wait for the one
        #: update of the buttons and the QR code at its end
        self._filling = False
        #: what the buttons and keys do (composed, not mixed in)
        self.commands = ProfileCommands(self, self)
        self.commands.acting_changed.connect(lambda _acting: self._update_buttons())

        # -- empty state ----------------------------------------------------------------
        empty = QWidget(self)
        empty_icon = QLabel(empty)
        empty_icon.setPixmap(theme.icon_pixmap("scan", theme.palette()["border_strong"], 64))
        empty_icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label = QLabel("Scan a card or search for a customer", empty)
        self.empty_label.setObjectName("emptyState")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_hint = QLabel("F2 search  ·  Ctrl+N new customer", empty)
        empty_hint.setObjectName("emptyHint")
        empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_layout = QVBoxLayout(empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(empty_icon)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(empty_hint)
        empty_layout.addStretch(2)

        # -- content ------------------------------------------------------------------
        content = QWidget(self)
        self.header = ProfileHeader(content)
        self.edit_details_button = action_button(self, "editDetailsButton", "Edit details  (Ctrl+E)",
                                                 self.commands.edit_details, link=True, icon="edit")
        self.header.add_title_action(self.edit_details_button)
        self.checkout_button = action_button(self, "checkoutButton", "Checkout  (Ctrl+K)",
                                             self.commands.open_checkout, icon="dollar")
        self.checkout_button.setToolTip("Counter checkout: basket, benefits, then reward dollars")
        self.header.add_action(self.checkout_button)
        self.tabs = QTabWidget(content)
        self.tabs.setObjectName("profileTabs")
        self.tabs.setDocumentMode(False)
        self.message = ActionMessage(content)

        self.benefits_tab = BenefitsTab(self.commands, self)
        self.claimable_tab = ClaimableTab(self.commands, self)
        self.rewards_tab = RewardsTab(self.commands, self)
        self.history_tab = HistoryTab(self.commands, self)
        self.tabs.addTab(self.benefits_tab, "Benefits")
        self.tabs.addTab(self.claimable_tab, "Claimable")
        self.tabs.addTab(self.rewards_tab, "Rewards")
        self.tabs.addTab(self.history_tab, "History")
        self.tabs.currentChanged.connect(self._tab_changed)
        self._name_tab_parts()
        for view in (self.benefits_view, self.claimable_view, self.rewards_view, self.history_view):
            view.installEventFilter(self)
            view.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())

        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(16, 14, 16, 12)
        content_layout.setSpacing(10)
        content_layout.addWidget(self.header)
        content_layout.addWidget(self.message)
        content_layout.addWidget(self.tabs, 1)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(empty)
        self.pages.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

        state.actor_changed.connect(lambda _actor: self._update_buttons())
        state.worker.changed.connect(self.on_changes)
        self._update_buttons()

    def _name_tab_parts(self) -> None:
        """The tabs' models, tables and buttons under the panel's own names (used throughout the
        app and its tests)."""
        benefits, claimable = self.benefits_tab, self.claimable_tab
        rewards, history = self.rewards_tab, self.history_tab
        self.benefits_model = benefits.model
        self.benefits_view: QTableView = benefits.view
        self.redeem_button = benefits.redeem_button
        self.extend_button = benefits.extend_button
        self.expire_button = benefits.expire_button
        self.reassign_button = benefits.reassign_button
        self.delete_button = benefits.delete_button
        self.issue_benefit_button = benefits.issue_benefit_button
        self.qr_frame, self.qr_label = benefits.qr_frame, benefits.qr_label
        self.code_label = benefits.code_label
        self.claimable_model = claimable.model
        self.claimable_view: QTableView = claimable.view
        self.claim_button = claimable.claim_button
        self.claim_redeem_button = claimable.claim_redeem_button
        self.show_unavailable = claimable.show_unavailable
        self.rewards_model = rewards.model
        self.rewards_view: QTableView = rewards.view
        self.redeem_rewards_button = rewards.redeem_rewards_button
        self.issue_reward_button = rewards.issue_reward_button
        self.ask_manager_button = rewards.ask_manager_button
        self.extend_reward_button = rewards.extend_reward_button
        self.history_model = history.model
        self.history_view: QTableView = history.view
        self.void_button = history.void_button

    # -- dialogs ------------------------------------------------------------------------------
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

    # -- opening and refreshing ---------------------------------------------------------------
    @property
    def profile_id(self) -> str | None:
        return self.data.header.profile_id if self.data else None

    @property
    def customer(self) -> str:
        return self.data.header.name if self.data else ""

    def open_profile(self, profile_id: str, benefit_id: str = "") -> None:
        """Show a profile; with ``benefit_id``, that benefit is selected (a scanned code)."""
        self._generation += 1
        generation = self._generation
        self._select_benefit = benefit_id
        self._history_stale = True
        self._pending_areas.clear()
        self.message.hide()
        self.state.submit(load_profile, profile_id, self.state.timezone).then(
            lambda data: self._loaded(generation, data, fresh=True), self._load_failed, owner=self)

    def close_profile(self) -> None:
        self._generation += 1
        self.data = None
        for model in (self.benefits_model, self.rewards_model, self.history_model):
            model.set_rows([])
        self.claimable_tab.show_rows(())
        self.pages.setCurrentIndex(0)
        self._update_buttons()

    def _load_failed(self, exc: BaseException) -> None:
        self.state.notice.emit(describe(exc).text)

    @contextmanager
    def _filling_lists(self) -> Iterator[None]:
        """Resetting a list's rows and reselecting moves its current row two or three times;
        each move would update every button and tooltip. Inside this block they do not: the
        caller updates them once, from the final selection."""
        filling, self._filling = self._filling, True
        try:
            yield
        finally:
            self._filling = filling

    def _loaded(self, generation: int, data: ProfileData, *, fresh: bool) -> None:
        if generation != self._generation:
            return
        with self._filling_lists():
            self._fill(data, fresh=fresh)
        self._update_buttons()
        self._show_qr()
        if fresh:
            self.loaded.emit(data.header.profile_id)

    def _fill(self, data: ProfileData, *, fresh: bool) -> None:
        previous = self.data
        self.data = data
        tz = self.state.timezone
        for model in (self.benefits_model, self.rewards_model, self.history_model):
            model.set_context(data.now, tz)
        # A standalone (demo) till waits for no hub: no "pending sync" on what it did.
        standalone = self.state.standalone
        for shown in (self.benefits_model, self.rewards_model, self.history_model):
            shown.badges_shown = not standalone
        self.header.show_header(replace(data.header, pending=False) if standalone else data.header)
        selected_benefit = self._select_benefit or (self._current_key(self.benefits_view) or "")
        selected_claim = self._current_key(self.claimable_view) or ""
        selected_reward = self._current_key(self.rewards_view) or ""
        if fresh or previous is None or previous.benefits != data.benefits:
            self.benefits_model.set_rows(data.benefits)
            self._reselect(self.benefits_view, self.benefits_model, selected_benefit)
        if fresh or previous is None or previous.claimable != data.claimable:
            self.claimable_tab.show_rows(data.claimable)
            self._reselect(self.claimable_view, self.claimable_model, selected_claim)
        if fresh or previous is None or previous.rewards != data.rewards:
            self.rewards_model.set_rows(data.rewards)
            self._reselect(self.rewards_view, self.rewards_model, selected_reward)
        self._update_tab_titles()
        self.pages.setCurrentIndex(1)
        if fresh:
            self.history_model.set_rows([])
            if self._select_benefit or self.tabs.currentIndex() == HISTORY:
                self.tabs.setCurrentIndex(BENEFITS)
            self.benefits_view.setFocus(Qt.FocusReason.OtherFocusReason)
        if self._select_benefit and self.benefits_model.row_of(self._select_benefit) >= 0:
            self.tabs.setCurrentIndex(BENEFITS)
            self._select_benefit = ""
        if self.tabs.currentIndex() == HISTORY and self._history_stale:
            self.load_history()

    def _update_tab_titles(self) -> None:
        if self.data is None:
            return
        usable = sum(1 for b in self.data.benefits if b.redeemable)
        claimable = sum(1 for c in self.data.claimable if c.claimable)
        live = sum(1 for r in self.data.rewards if r.live)
        titles = {BENEFITS: f"Benefits  {usable}", CLAIMABLE: f"Claimable  {claimable}",
                  REWARDS: f"Rewards  {live}", HISTORY: "History"}
        for index, title in titles.items():
            # A new title lays the tab bar out again and repaints it: only when it changed.
            if self.tabs.tabText(index) != title:
                self.tabs.setTabText(index, title)

    def on_changes(self, changes: Changes) -> None:
        """The engine committed a change (local, or remote from a sync): reload only the areas
        it names, and only if it is about this profile. A change to another profile's rewards
        or benefits does nothing here; a definitions change reaches every profile, so it
        reloads what definitions show (benefits, claimable) even when it names none."""
        if self.data is None:
            return
        if self.data.header.profile_id in changes.profile_ids:
            areas = set(changes.areas)
        else:
            areas = {area for area in changes.areas if area == "definitions"}
        if not areas:
            return
        self._history_stale = True  # its lines name definitions too
        self._pending_areas.update(areas)
        self._refresh()

    def _refresh(self) -> None:
        if self._refreshing or not self._pending_areas or self.data is None:
            return
        areas = frozenset(self._pending_areas)
        self._pending_areas.clear()
        self._refreshing = True
        generation = self._generation

        def done(data: ProfileData) -> None:
            self._refreshing = False
            self._loaded(generation, data, fresh=False)
            self._refresh()

        def failed(exc: BaseException) -> None:
            self._refreshing = False
            self._load_failed(exc)

        self.state.submit(refresh_profile, self.data, areas, self.state.timezone).then(
            done, failed, owner=self)

    def load_history(self) -> None:
        if self.data is None:
            return
        self._history_stale = False
        generation = self._generation
        self.state.submit(load_history, self.data.header.profile_id, self.state.timezone).then(
            lambda rows: self._history_arrived(generation, rows), owner=self)

    def _history_arrived(self, generation: int, rows: tuple[TimelineRow, ...]) -> None:
        if generation != self._generation:
            return
        selected = self._current_key(self.history_view)
        with self._filling_lists():
            self.history_model.set_rows(rows)
            self._reselect(self.history_view, self.history_model, selected or "")
        self._update_buttons()
        self.history_loaded.emit()

    def _tab_changed(self, index: int) -> None:
        if index == HISTORY and self._history_stale:
            self.load_history()
        if not self._filling:
            self._update_buttons()

    # -- selection ------------------------------------------------------------------------
    @staticmethod
    def _current_key(view: QTableView) -> str | None:
        index = view.currentIndex()
        if not index.isValid():
            return None
        model = view.model()
        if not isinstance(model, RowsModel):
            return None
        row = model.row_at(index.row())
        return model.key_of(row) if row is not None else None

    @staticmethod
    def _reselect(view: QTableView, model: Any, key: str) -> None:
        row = model.row_of(key) if key else -1
        if row < 0 and model.rowCount() > 0:
            row = 0
        if row >= 0:
            view.selectionModel().setCurrentIndex(
                model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def selected_benefit(self) -> BenefitRow | None:
        index = self.benefits_view.currentIndex()
        return self.benefits_model.row_at(index.row()) if index.isValid() else None

    def selected_claim(self) -> ClaimRow | None:
        index = self.claimable_view.currentIndex()
        return self.claimable_model.row_at(index.row()) if index.isValid() else None

    def selected_reward(self) -> RewardRow | None:
        index = self.rewards_view.currentIndex()
        return self.rewards_model.row_at(index.row()) if index.isValid() else None

    def selected_history(self) -> TimelineRow | None:
        index = self.history_view.currentIndex()
        return self.history_model.row_at(index.row()) if index.isValid() else None

    def show_benefit(self, benefit_id: str) -> None:
        """Select a benefit now if it is listed, else as soon as the refresh that brings it lands
        (after a claim or an issue)."""
        if self.benefits_model.row_of(benefit_id) >= 0:
            self._select_benefit = ""
            self.select_benefit(benefit_id)
        else:
            self._select_benefit = benefit_id
            self.tabs.setCurrentIndex(BENEFITS)

    def select_benefit(self, name_or_id: str) -> bool:
        for i, r in enumerate(self.benefits_model.rows):
            if name_or_id in (r.id, r.name):
                self.tabs.setCurrentIndex(BENEFITS)
                self.benefits_view.selectRow(i)
                return True
        return False

    def _selection_changed(self) -> None:
        if self._filling:
            return
        self._update_buttons()
        self._show_qr()

    def _show_qr(self) -> None:
        self.benefits_tab.show_code(self.selected_benefit())

    # -- roles and buttons ---------------------------------------------------------------------
    def _gate(self, button: QPushButton, action: Action, usable: bool, why: str = "") -> None:
        allowed = self.state.may(action)
        button.setEnabled(allowed and usable and not self.commands.acting)
        tip = role_hint(action) if not allowed else ("" if usable else why)
        # Unlike setEnabled, setToolTip sends its change event to the button even when the
        # text is the same; the buttons are gated on every load and selection change.
        if button.toolTip() != tip:
            button.setToolTip(tip)

    def _update_buttons(self) -> None:
        b = self.selected_benefit()
        has_profile = self.data is not None
        self._gate(self.redeem_button, Action.REDEEM, b is not None and b.redeemable,
                   (b.reason_text or "") if b else "Pick a benefit")
        self._gate(self.extend_button, Action.MANAGE_INSTANCE, b is not None and b.extendable,
                   "This benefit cannot be extended" if b else "Pick a benefit")
        self._gate(self.expire_button, Action.MANAGE_INSTANCE,
                   b is not None and b.reason != "expired",
                   "Already expired" if b else "Pick a benefit")
        self._gate(self.reassign_button, Action.MANAGE_INSTANCE, b is not None and b.reassignable,
                   "This benefit cannot be moved to another customer" if b else "Pick a benefit")
        self._gate(self.delete_button, Action.DELETE_BENEFIT, b is not None, "Pick a benefit")
        self._gate(self.issue_benefit_button, Action.ISSUE_BENEFIT, has_profile)
        c = self.selected_claim()
        self._gate(self.claim_button, Action.REDEEM, c is not None and c.claimable,
                   (c.message or "") if c else "Pick a benefit to claim")
        self._gate(self.claim_redeem_button, Action.REDEEM, c is not None and c.claimable,
                   (c.message or "") if c else "Pick a benefit to claim")
        balance = self.data.header.balance if self.data else Decimal(0)
        self._gate(self.redeem_rewards_button, Action.REDEEM_REWARD, balance > 0,
                   "No reward balance")
        self._gate(self.issue_reward_button, Action.ISSUE_REWARD, has_profile)
        self._gate(self.checkout_button, Action.REDEEM, has_profile)
        self._gate(self.edit_details_button, Action.EDIT_PROFILE, has_profile)
        may_issue = self.state.may(Action.ISSUE_REWARD)
        self.ask_manager_button.setVisible(self.state.actor is not None and not may_issue)
        self.ask_manager_button.setEnabled(has_profile and not self.commands.acting)
        r = self.selected_reward()
        self._gate(self.extend_reward_button, Action.MANAGE_INSTANCE,
                   r is not None and r.extendable and r.live,
                   "This reward cannot be extended" if r else "Pick a reward")
        h = self.selected_history()
        self._gate(self.void_button, Action.VOID,
                   h is not None and h.redemption_id is not None and not h.voided,
                   "Pick a redemption that has not been voided")

    # -- keys on the lists ------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() == Qt.KeyboardModifier.NoModifier:
            if watched is self.benefits_view:
                self.commands.redeem_selected()
                return True
            if watched is self.claimable_view:
                self.commands.claim_selected()
                return True
            if watched is self.rewards_view:
                self.commands.open_redeem_rewards()
                return True
        return super().eventFilter(watched, event)
