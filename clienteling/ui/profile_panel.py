"""The open profile: header, and the tabs Benefits, Claimable, Rewards and History, with the
actions each role may take (SPEC §5 "Profile panel", §3.7). The engine enforces the roles;
buttons are disabled per role only for clarity.

All reads and writes go through the worker; the panel refreshes only the parts the engine's
change notifications name (GUIDE principle 2).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.money import format_money
from clienteling.engine.permissions import Action, Actor
from clienteling.engine.services import Changes, Clienteling
from clienteling.ui import qr, theme
from clienteling.ui.dialogs.confirm import ask
from clienteling.ui.dialogs.delete_benefit import EXPIRE, DeleteBenefitDialog
from clienteling.ui.dialogs.extend_benefit import ExtendBenefitDialog
from clienteling.ui.dialogs.issue_benefit import IssueBenefitDialog
from clienteling.ui.dialogs.issue_reward import IssueRewardDialog
from clienteling.ui.dialogs.manager_override import ManagerOverrideDialog
from clienteling.ui.dialogs.reassign_benefit import ReassignBenefitDialog
from clienteling.ui.dialogs.redeem_rewards import RedeemRewardsDialog
from clienteling.ui.errors import describe
from clienteling.ui.models.base import RowsModel
from clienteling.ui.models.profile import BenefitsModel, ClaimableModel, HistoryModel, RewardsModel
from clienteling.ui.profile_actions import (
    Redeemed,
    claim,
    delete_benefit,
    expire_benefit,
    extend_reward,
    redeem_benefit,
    void_redemption,
)
from clienteling.ui.profile_data import (
    BenefitRow,
    ClaimRow,
    HistoryRow,
    ProfileData,
    RewardRow,
    load_history,
    load_profile,
    refresh_profile,
)
from clienteling.ui.profile_header import ProfileHeader
from clienteling.ui.state import ROLE_HINTS, AppState
from clienteling.ui.widgets.action_message import ActionMessage
from clienteling.ui.widgets.tables import make_table

BENEFITS, CLAIMABLE, REWARDS, HISTORY = range(4)


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
        self._acting = False
        self._qr_cache: dict[str, QPixmap] = {}

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
        self.checkout_button = self._button("checkoutButton", "Checkout  (Ctrl+K)", self.open_checkout,
                                            icon="dollar")
        self.checkout_button.setToolTip("Counter checkout: basket, benefits, then reward dollars")
        self.header.add_action(self.checkout_button)
        self.tabs = QTabWidget(content)
        self.tabs.setObjectName("profileTabs")
        self.tabs.setDocumentMode(False)
        self.message = ActionMessage(content)

        self.benefits_model = BenefitsModel(self)
        self.claimable_model = ClaimableModel(self)
        self.rewards_model = RewardsModel(self)
        self.history_model = HistoryModel(self)
        self.tabs.addTab(self._benefits_tab(), "Benefits")
        self.tabs.addTab(self._claimable_tab(), "Claimable")
        self.tabs.addTab(self._rewards_tab(), "Rewards")
        self.tabs.addTab(self._history_tab(), "History")
        self.tabs.currentChanged.connect(self._tab_changed)

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

    # -- building the tabs ------------------------------------------------------------------
    def _button(self, name: str, text: str, slot: Any, *, primary: bool = False,
                danger: bool = False, icon: str | None = None) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAutoDefault(False)
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        if primary:
            button.setProperty("primary", True)
        if danger:
            button.setProperty("danger", True)
        if icon:
            colour = theme.palette()["on_accent" if primary else "muted"]
            button.setIcon(theme.icon(icon, colour, 18))
        button.clicked.connect(slot)
        return button

    def _view(self, name: str, model: Any, stretch: int = 0) -> QTableView:
        view = make_table(name, model, self, stretch=stretch)
        view.installEventFilter(self)
        view.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        return view

    def _benefits_tab(self) -> QWidget:
        tab = QWidget(self)
        self.benefits_view = self._view("benefitsView", self.benefits_model)
        self.benefits_view.doubleClicked.connect(lambda *_: self.redeem_selected())
        self.redeem_button = self._button("redeemButton", "Redeem  (Enter)", self.redeem_selected,
                                          primary=True, icon="check")
        self.extend_button = self._button("extendButton", "Extend…", self.extend_selected)
        self.expire_button = self._button("expireButton", "Expire…", self.expire_selected)
        self.reassign_button = self._button("reassignButton", "Move…", self.reassign_selected)
        self.delete_button = self._button("deleteBenefitButton", "Delete…", self.delete_selected,
                                          danger=True)
        self.issue_benefit_button = self._button("issueBenefitButton", "Issue benefit…",
                                                 self.issue_benefit, icon="plus")

        self.qr_frame = QFrame(tab)
        self.qr_frame.setObjectName("qrFrame")
        self.qr_label = QLabel(self.qr_frame)
        self.qr_label.setObjectName("qrCode")
        self.qr_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr_label.setFixedSize(172, 172)
        self.code_label = QLabel("", self.qr_frame)
        self.code_label.setObjectName("redeemCode")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        code_caption = QLabel("In-store redeem code", self.qr_frame)
        code_caption.setObjectName("fieldHint")
        code_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        qr_layout = QVBoxLayout(self.qr_frame)
        qr_layout.setContentsMargins(8, 8, 8, 8)
        qr_layout.addWidget(self.qr_label, 0, Qt.AlignmentFlag.AlignHCenter)
        qr_layout.addWidget(self.code_label)
        qr_layout.addWidget(code_caption)
        qr_layout.addStretch(1)

        table_row = QHBoxLayout()
        table_row.setSpacing(8)
        table_row.addWidget(self.benefits_view, 1)
        table_row.addWidget(self.qr_frame)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for b in (self.redeem_button, self.extend_button, self.expire_button, self.reassign_button,
                  self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.issue_benefit_button)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(8, 8, 8, 10)
        layout.addLayout(table_row, 1)
        layout.addLayout(buttons)
        return tab

    def _claimable_tab(self) -> QWidget:
        tab = QWidget(self)
        self.claimable_view = self._view("claimableView", self.claimable_model, stretch=2)
        self.claimable_view.doubleClicked.connect(lambda *_: self.claim_selected())
        self.claim_button = self._button("claimButton", "Claim  (Enter)", self.claim_selected,
                                         primary=True, icon="gift")
        self.claim_redeem_button = self._button("claimRedeemButton", "Claim and redeem",
                                                lambda: self.claim_selected(redeem=True))
        self.show_unavailable = QCheckBox("Show the ones not available now", tab)
        self.show_unavailable.setObjectName("showUnavailable")
        self.show_unavailable.setChecked(True)
        self.show_unavailable.toggled.connect(lambda *_: self._show_claimable())
        buttons = QHBoxLayout()
        buttons.addWidget(self.claim_button)
        buttons.addWidget(self.claim_redeem_button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_unavailable)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(8, 8, 8, 10)
        layout.addWidget(self.claimable_view, 1)
        layout.addLayout(buttons)
        return tab

    def _rewards_tab(self) -> QWidget:
        tab = QWidget(self)
        self.rewards_view = self._view("rewardsView", self.rewards_model)
        self.redeem_rewards_button = self._button(
            "redeemRewardsButton", "Redeem dollars  (Ctrl+R)", self.open_redeem_rewards,
            primary=True, icon="dollar")
        self.issue_reward_button = self._button("issueRewardButton", "Issue reward  (Ctrl+I)",
                                                self.open_issue_reward, icon="plus")
        self.ask_manager_button = self._button("rewardsAskManagerButton", "Ask a manager…",
                                               self.open_issue_reward, icon="key")
        self.ask_manager_button.setToolTip("A manager enters their PIN to issue a reward (Ctrl+I)")
        self.extend_reward_button = self._button("extendRewardButton", "Extend…",
                                                 self.extend_reward_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.redeem_rewards_button)
        buttons.addWidget(self.extend_reward_button)
        buttons.addStretch(1)
        buttons.addWidget(self.ask_manager_button)
        buttons.addWidget(self.issue_reward_button)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(8, 8, 8, 10)
        layout.addWidget(self.rewards_view, 1)
        layout.addLayout(buttons)
        return tab

    def _history_tab(self) -> QWidget:
        tab = QWidget(self)
        self.history_view = self._view("historyView", self.history_model, stretch=1)
        self.void_button = self._button("voidButton", "Void redemption…", self.void_selected,
                                        icon="undo")
        buttons = QHBoxLayout()
        buttons.addWidget(self.void_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(tab)
        layout.setContentsMargins(8, 8, 8, 10)
        layout.addWidget(self.history_view, 1)
        layout.addLayout(buttons)
        return tab

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
        self.state.submit(load_profile, profile_id, self.state.timezone,
                          on_done=lambda data: self._loaded(generation, data, fresh=True),
                          on_error=self._load_failed, owner=self)

    def close_profile(self) -> None:
        self._generation += 1
        self.data = None
        for model in (self.benefits_model, self.claimable_model, self.rewards_model,
                      self.history_model):
            model.set_rows([])
        self.pages.setCurrentIndex(0)
        self._update_buttons()

    def _load_failed(self, exc: BaseException) -> None:
        self.state.notice.emit(describe(exc).text)

    def _loaded(self, generation: int, data: ProfileData, *, fresh: bool) -> None:
        if generation != self._generation:
            return
        previous = self.data
        self.data = data
        tz = self.state.timezone
        for model in (self.benefits_model, self.rewards_model, self.history_model):
            model.set_context(data.now, tz)
        self.header.show_header(data.header)
        selected_benefit = self._select_benefit or (self._current_key(self.benefits_view) or "")
        selected_claim = self._current_key(self.claimable_view)
        selected_reward = self._current_key(self.rewards_view)
        if fresh or previous is None or previous.benefits != data.benefits:
            self.benefits_model.set_rows(data.benefits)
            self._reselect(self.benefits_view, self.benefits_model, selected_benefit)
        if fresh or previous is None or previous.claimable != data.claimable:
            self._show_claimable()
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
        self._update_buttons()
        self._show_qr()
        if fresh:
            self.loaded.emit(data.header.profile_id)

    def _show_claimable(self) -> None:
        if self.data is None:
            return
        rows = self.data.claimable
        if not self.show_unavailable.isChecked():
            rows = tuple(r for r in rows if r.claimable)
        self.claimable_model.set_rows(rows)

    def _update_tab_titles(self) -> None:
        if self.data is None:
            return
        usable = sum(1 for b in self.data.benefits if b.redeemable)
        claimable = sum(1 for c in self.data.claimable if c.claimable)
        live = sum(1 for r in self.data.rewards if r.live)
        self.tabs.setTabText(BENEFITS, f"Benefits  {usable}")
        self.tabs.setTabText(CLAIMABLE, f"Claimable  {claimable}")
        self.tabs.setTabText(REWARDS, f"Rewards  {live}")
        self.tabs.setTabText(HISTORY, "History")

    def on_changes(self, changes: Changes) -> None:
        """The engine committed a change: reload only the areas it names, for this profile."""
        if self.data is None:
            return
        if self.data.header.profile_id not in changes.profile_ids and \
                "definitions" not in changes.areas:
            return
        self._history_stale = True
        self._pending_areas.update(changes.areas)
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

        self.state.submit(refresh_profile, self.data, areas, self.state.timezone,
                          on_done=done, on_error=failed, owner=self)

    def load_history(self) -> None:
        if self.data is None:
            return
        self._history_stale = False
        generation = self._generation
        self.state.submit(load_history, self.data.header.profile_id, self.state.timezone,
                          on_done=lambda rows: self._history_arrived(generation, rows), owner=self)

    def _history_arrived(self, generation: int, rows: tuple[HistoryRow, ...]) -> None:
        if generation != self._generation:
            return
        selected = self._current_key(self.history_view)
        self.history_model.set_rows(rows)
        self._reselect(self.history_view, self.history_model, selected or "")
        self._update_buttons()
        self.history_loaded.emit()

    def _tab_changed(self, index: int) -> None:
        if index == HISTORY and self._history_stale:
            self.load_history()
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

    def selected_history(self) -> HistoryRow | None:
        index = self.history_view.currentIndex()
        return self.history_model.row_at(index.row()) if index.isValid() else None

    def select_benefit(self, name_or_id: str) -> bool:
        for i, r in enumerate(self.benefits_model.rows):
            if name_or_id in (r.id, r.name):
                self.tabs.setCurrentIndex(BENEFITS)
                self.benefits_view.selectRow(i)
                return True
        return False

    def _selection_changed(self) -> None:
        self._update_buttons()
        self._show_qr()

    def _show_qr(self) -> None:
        row = self.selected_benefit()
        code = row.code_pos if row else None
        if not code:
            self.qr_frame.setVisible(False)
            return
        pixmap = self._qr_cache.get(code)
        if pixmap is None:
            pixmap = qr.qr_pixmap(code, size=164)
            self._qr_cache[code] = pixmap
        self.qr_label.setPixmap(pixmap)
        self.code_label.setText(code)
        self.qr_frame.setVisible(True)
        self.qr_label.setEnabled(row is not None and row.redeemable)

    # -- roles and buttons ---------------------------------------------------------------------
    def _gate(self, button: QPushButton, action: Action, usable: bool, why: str = "") -> None:
        allowed = self.state.may(action)
        button.setEnabled(allowed and usable and not self._acting)
        if not allowed:
            button.setToolTip(ROLE_HINTS.get(action, "Not allowed for your role"))
        else:
            button.setToolTip(why if not usable else "")

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
        may_issue = self.state.may(Action.ISSUE_REWARD)
        self.ask_manager_button.setVisible(self.state.actor is not None and not may_issue)
        self.ask_manager_button.setEnabled(has_profile and not self._acting)
        r = self.selected_reward()
        self._gate(self.extend_reward_button, Action.MANAGE_INSTANCE,
                   r is not None and r.extendable and r.live,
                   "This reward cannot be extended" if r else "Pick a reward")
        h = self.selected_history()
        self._gate(self.void_button, Action.VOID,
                   h is not None and h.redemption_id is not None and not h.voided,
                   "Pick a redemption that has not been voided")

    # -- doing things ---------------------------------------------------------------------------
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

        self.state.submit(fn, actor, *args, on_done=on_done, on_error=on_error, owner=self)

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
        from clienteling.ui.checkout import CheckoutDialog

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

        self.state.submit(load, on_done=show, owner=self)

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

    # -- keys on the lists ------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and \
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and \
                event.modifiers() == Qt.KeyboardModifier.NoModifier:
            if watched is self.benefits_view:
                self.redeem_selected()
                return True
            if watched is self.claimable_view:
                self.claim_selected()
                return True
            if watched is self.rewards_view:
                self.open_redeem_rewards()
                return True
        return super().eventFilter(watched, event)
