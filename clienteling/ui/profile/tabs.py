"""The profile panel's four tab pages (SPEC §5 "Profile panel"): Benefits, Claimable, Rewards and
History. Each is a table over its model with the buttons for the selected row.

What the buttons do is in :mod:`clienteling.ui.profile.commands`, seen here only as
:class:`TabCommands`; which of them are enabled for the signed-in role, and the keys on the
tables, are the panel's (:mod:`clienteling.ui.profile.panel`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from clienteling.engine.records import BenefitRow, ClaimRow
from clienteling.ui.common import qr
from clienteling.ui.common.buttons import action_button
from clienteling.ui.common.tables import make_table
from clienteling.ui.profile.models import BenefitsModel, ClaimableModel, HistoryModel, RewardsModel

#: the tabs' indexes, in order
BENEFITS, CLAIMABLE, REWARDS, HISTORY = range(4)


class TabCommands(Protocol):
    """What the tab pages' buttons call (:class:`clienteling.ui.profile.commands.ProfileCommands`)."""

    def redeem_selected(self) -> None: ...
    def extend_selected(self) -> None: ...
    def expire_selected(self) -> None: ...
    def reassign_selected(self) -> None: ...
    def delete_selected(self) -> None: ...
    def issue_benefit(self) -> None: ...
    def claim_selected(self, *, redeem: bool = False) -> None: ...
    def open_redeem_rewards(self) -> None: ...
    def open_issue_reward(self) -> None: ...
    def extend_reward_selected(self) -> None: ...
    def void_selected(self) -> None: ...


def _page_layout(page: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(page)
    layout.setContentsMargins(8, 8, 8, 10)
    return layout


class BenefitsTab(QWidget):
    """Issued benefits; the selected one's in-store code as a QR; redeem, extend, expire, move,
    delete and issue."""

    def __init__(self, commands: TabCommands, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = BenefitsModel(self)
        self.view = make_table("benefitsView", self.model, self)
        self.view.doubleClicked.connect(lambda *_: commands.redeem_selected())
        self.redeem_button = action_button(self, "redeemButton", "Redeem  (Enter)",
                                           commands.redeem_selected, primary=True, icon="check")
        self.extend_button = action_button(self, "extendButton", "Extend…", commands.extend_selected)
        self.expire_button = action_button(self, "expireButton", "Expire…", commands.expire_selected)
        self.reassign_button = action_button(self, "reassignButton", "Move…",
                                             commands.reassign_selected)
        self.delete_button = action_button(self, "deleteBenefitButton", "Delete…",
                                           commands.delete_selected, danger=True)
        self.issue_benefit_button = action_button(self, "issueBenefitButton", "Issue benefit…",
                                                  commands.issue_benefit, icon="plus")
        self._qr_cache: dict[str, QPixmap] = {}

        self.qr_frame = QFrame(self)
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
        table_row.addWidget(self.view, 1)
        table_row.addWidget(self.qr_frame)
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        for b in (self.redeem_button, self.extend_button, self.expire_button, self.reassign_button,
                  self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.issue_benefit_button)
        layout = _page_layout(self)
        layout.addLayout(table_row, 1)
        layout.addLayout(buttons)

    def show_code(self, row: BenefitRow | None) -> None:
        """The selected benefit's in-store redeem code as a QR (greyed when it cannot be used)."""
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


class ClaimableTab(QWidget):
    """Definitions this customer can claim now, and — unless hidden — the ones they cannot, with
    the reason; claim, or claim and redeem in one step."""

    def __init__(self, commands: TabCommands, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: tuple[ClaimRow, ...] = ()
        self.model = ClaimableModel(self)
        self.view = make_table("claimableView", self.model, self, stretch=2)
        self.view.doubleClicked.connect(lambda *_: commands.claim_selected())
        self.claim_button = action_button(self, "claimButton", "Claim  (Enter)",
                                          commands.claim_selected, primary=True, icon="gift")
        self.claim_redeem_button = action_button(self, "claimRedeemButton", "Claim and redeem",
                                                 lambda: commands.claim_selected(redeem=True))
        self.show_unavailable = QCheckBox("Show the ones not available now", self)
        self.show_unavailable.setObjectName("showUnavailable")
        self.show_unavailable.setChecked(True)
        self.show_unavailable.toggled.connect(lambda *_: self._show())
        buttons = QHBoxLayout()
        buttons.addWidget(self.claim_button)
        buttons.addWidget(self.claim_redeem_button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_unavailable)
        layout = _page_layout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def show_rows(self, rows: Sequence[ClaimRow]) -> None:
        """All claim options of the customer; the list hides the unavailable ones on request."""
        self._rows = tuple(rows)
        self._show()

    def _show(self) -> None:
        rows = self._rows
        if not self.show_unavailable.isChecked():
            rows = tuple(r for r in rows if r.claimable)
        self.model.set_rows(rows)


class RewardsTab(QWidget):
    """Each reward's remaining value and expiry; redeem dollars, extend, issue (or ask a manager)."""

    def __init__(self, commands: TabCommands, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RewardsModel(self)
        self.view = make_table("rewardsView", self.model, self)
        self.redeem_rewards_button = action_button(
            self, "redeemRewardsButton", "Redeem dollars  (Ctrl+R)", commands.open_redeem_rewards,
            primary=True, icon="dollar")
        self.issue_reward_button = action_button(self, "issueRewardButton", "Issue reward  (Ctrl+I)",
                                                 commands.open_issue_reward, icon="plus")
        self.ask_manager_button = action_button(self, "rewardsAskManagerButton", "Ask a manager…",
                                                commands.open_issue_reward, icon="key")
        self.ask_manager_button.setToolTip("A manager enters their PIN to issue a reward (Ctrl+I)")
        self.extend_reward_button = action_button(self, "extendRewardButton", "Extend…",
                                                  commands.extend_reward_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.redeem_rewards_button)
        buttons.addWidget(self.extend_reward_button)
        buttons.addStretch(1)
        buttons.addWidget(self.ask_manager_button)
        buttons.addWidget(self.issue_reward_button)
        layout = _page_layout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)


class HistoryTab(QWidget):
    """Redemptions and audit events for this customer, newest first; void a redemption. The
    selected line is spelt out in full under the table: a line's "why" (which reaction issued
    a benefit, and for what) is often longer than its column, and a counter has no time to
    hover for a tooltip."""

    def __init__(self, commands: TabCommands, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = HistoryModel(self)
        self.view = make_table("historyView", self.model, self, stretch=1)
        self.detail = QLabel(self)
        self.detail.setObjectName("historyDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)  # the words staff typed, as typed
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.hide()
        self.void_button = action_button(self, "voidButton", "Void redemption…", commands.void_selected,
                                         icon="undo")
        selection = self.view.selectionModel()
        selection.currentRowChanged.connect(self._show_detail)
        self.model.modelReset.connect(self._show_detail)
        self.model.dataChanged.connect(self._show_detail)
        buttons = QHBoxLayout()
        buttons.addWidget(self.void_button)
        buttons.addStretch(1)
        layout = _page_layout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)

    def _show_detail(self, *_: object) -> None:
        current = self.view.selectionModel().currentIndex()
        row = self.model.row_at(current.row()) if current.isValid() else None
        self.detail.setText(row.text if row is not None else "")
        self.detail.setVisible(row is not None)
