"""Redeem reward dollars (SPEC §3.5 R4, UX "Dialogs"): the amount with the balance beside it,
and which rewards it will draw from (nearest expiry first) before confirming."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from clienteling.engine.money import MoneyError, format_money, parse_amount
from clienteling.engine.records import RewardRow
from clienteling.engine.services.rewards import Allocation
from clienteling.ui.common.errors import describe
from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.common.tables import make_table
from clienteling.ui.operations.rewards import preview, redeem_amount
from clienteling.ui.profile.preview_model import DrawPreviewModel, DrawRow
from clienteling.ui.state import AppState

PREVIEW_DELAY_MS = 150


class RedeemRewardsDialog(FormDialog):
    def __init__(self, state: AppState, profile_id: str, customer: str, balance: Decimal,
                 rewards: tuple[RewardRow, ...], parent: QWidget | None = None) -> None:
        super().__init__(state, "Redeem reward dollars",
                         f"Take reward dollars off {customer}'s purchase.", parent)
        self.setObjectName("redeemRewardsDialog")
        self.setMinimumWidth(620)
        self.profile_id = profile_id
        self.balance = balance
        self.redeemed: Decimal | None = None
        self._rewards = {r.id: r for r in rewards}
        self._generation = 0
        self._ready = False

        self.amount = QLineEdit(self)
        self.amount.setObjectName("amountField")
        self.amount.setPlaceholderText("0.00")
        self.amount.textChanged.connect(self._changed)
        self.amount.returnPressed.connect(self.submit)
        self.balance_label = QLabel(f"of {format_money(balance)} available", self)
        self.balance_label.setObjectName("balanceHint")
        self.add_field("amount", "Amount", self.amount, beside=self.balance_label)

        self.preview_model = DrawPreviewModel(state.timezone, self)
        self.preview_view = make_table("drawPreview", self.preview_model, self, row_height=38)
        self.preview_view.setMinimumHeight(170)
        self.preview_caption = QLabel("Drawn from, nearest expiry first:", self)
        self.preview_caption.setObjectName("fieldHint")
        self.extra.addWidget(self.preview_caption)
        self.extra.addWidget(self.preview_view)

        self.ok_button.setObjectName("confirmRedeemButton")
        self.ok_button.setText("Redeem")
        self.ok_button.setEnabled(False)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._preview)

    @property
    def ready(self) -> bool:
        """True once the preview for the typed amount is shown and it can be confirmed."""
        return self._ready

    def _changed(self, _text: str) -> None:
        self._ready = False
        self._generation += 1
        self.ok_button.setEnabled(False)
        self.ok_button.setText("Redeem")
        self.clear_errors()
        text = self.amount.text().strip()
        if not text:
            self.preview_model.set_rows([])
            return
        try:
            value = parse_amount(text)
        except MoneyError as exc:
            self.show_error(exc)
            self.preview_model.set_rows([])
            return
        if value > self.balance:
            self.set_field_error("amount", f"is more than the balance of {format_money(self.balance)}")
            self.preview_model.set_rows([])
            return
        self._timer.start()

    def _preview(self) -> None:
        generation = self._generation
        text = self.amount.text().strip()
        self.state.submit(preview, self.profile_id, text).then(
            lambda draws: self._previewed(generation, text, draws),
            lambda exc: self._preview_failed(generation, exc), owner=self)

    def _previewed(self, generation: int, text: str, draws: list[Allocation]) -> None:
        if generation != self._generation:
            return
        rows = []
        for d in draws:
            reward = self._rewards.get(d.reward_id)
            rows.append(DrawRow(d.reward_id, reward.name if reward else "Reward",
                                reward.expires_at if reward else None,
                                reward.remaining if reward else d.amount, d.amount))
        self.preview_model.set_rows(rows)
        self._ready = True
        self.ok_button.setEnabled(True)
        self.ok_button.setText(f"Redeem {format_money(parse_amount(text))}")

    def _preview_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        message = describe(exc)
        if not message.fields:
            self.set_field_error("amount", message.text)
        else:
            self.show_error(exc)

    def submit(self) -> None:
        if not self.amount.text().strip():
            # Enter on an empty amount: say what is missing rather than do nothing.
            self.set_field_error("amount", "Enter the amount to take off, e.g. 10.00")
            return
        if not self._ready or self.state.actor is None:
            return  # the preview of the typed amount is on its way: Enter again confirms
        self.run(self._redeemed, redeem_amount, self.state.actor, self.profile_id,
                 self.amount.text().strip())

    def _redeemed(self, total: Decimal) -> None:
        self.redeemed = total
        self.accept()
