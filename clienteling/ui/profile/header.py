"""The open profile's header: what the associate says out loud — name, tier, reward balance,
and anything expiring soon (UX "Main window")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from clienteling.engine.money import format_money
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common import theme
from clienteling.ui.operations.profile import Header


class ProfileHeader(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("profileHeader")
        self.name = QLabel("", self)
        self.name.setObjectName("profileName")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tier = QLabel("", self)
        self.tier.setObjectName("tierBadge")
        self.pending = QLabel("pending sync", self)
        self.pending.setObjectName("pendingBadge")
        self.pending.setToolTip("Changes to this profile are not yet confirmed by the hub")
        self.contact = QLabel("", self)
        self.contact.setObjectName("contactLabel")
        self.contact.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.expiring_icon = QLabel(self)
        self.expiring = QLabel("", self)
        self.expiring.setObjectName("expiringLabel")
        self.expiring.setWordWrap(True)
        self.balance = QLabel("", self)
        self.balance.setObjectName("rewardBalance")
        self.balance.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.balance.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        caption = QLabel("reward balance", self)
        caption.setObjectName("balanceCaption")
        caption.setAlignment(Qt.AlignmentFlag.AlignRight)

        title = QHBoxLayout()
        title.setSpacing(12)
        title.addWidget(self.name)
        title.addWidget(self.tier, 0, Qt.AlignmentFlag.AlignVCenter)
        title.addWidget(self.pending, 0, Qt.AlignmentFlag.AlignVCenter)
        title.addStretch(1)
        expiring = QHBoxLayout()
        expiring.setSpacing(6)
        expiring.addWidget(self.expiring_icon, 0, Qt.AlignmentFlag.AlignVCenter)
        expiring.addWidget(self.expiring, 1)
        self._title = title
        left = QVBoxLayout()
        left.setSpacing(4)
        left.addLayout(title)
        left.addWidget(self.contact)
        left.addLayout(expiring)
        right = QVBoxLayout()
        right.setSpacing(0)
        right.addWidget(self.balance)
        right.addWidget(caption)
        right.addStretch(1)
        self._right = right
        layout = QHBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addLayout(left, 1)
        layout.addLayout(right)

    def add_title_action(self, button: QWidget) -> None:
        """A small button at the end of the name line (e.g. edit the details)."""
        self._title.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)

    def add_action(self, button: QWidget) -> None:
        """A button under the balance (e.g. the counter checkout)."""
        self._right.addSpacing(6)
        self._right.addWidget(button, 0, Qt.AlignmentFlag.AlignRight)

    def show_header(self, header: Header) -> None:
        self.name.setText(header.name)
        tier = fmt.tier_name(header.tier)
        self.tier.setText(tier)
        self.tier.setVisible(bool(tier))
        self.pending.setVisible(header.pending)
        contact = [c for c in (header.email, header.phone,
                               f"Card {header.card}" if header.card else None) if c]
        self.contact.setText("  ·  ".join(contact) if contact else "No contact details")
        self.balance.setText(format_money(header.balance))
        if header.expiring:
            self.expiring.setText("   ·   ".join(header.expiring))
            self.expiring_icon.setPixmap(theme.icon_pixmap("alert", theme.palette()["warn"], 16))
            self.expiring.show()
            self.expiring_icon.show()
        else:
            self.expiring.hide()
            self.expiring_icon.hide()
