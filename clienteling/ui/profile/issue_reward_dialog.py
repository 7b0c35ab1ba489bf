"""Issue a customer-service reward (manager/admin; SPEC §3.5 R2, UX "Dialogs"): the definition
(customer-service preselected), the amount with the cap for your role beside it, a required
reason, and "Ask a manager" for an override."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from clienteling.engine.money import MoneyError, format_money, parse_amount
from clienteling.engine.permissions import Action, Actor
from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.common.rows_model import Column, RowsModel
from clienteling.ui.operations.rewards import RewardDefinitionRow, issue_reward, load_reward_definitions
from clienteling.ui.signin.manager_override import ManagerOverrideDialog
from clienteling.ui.state import AppState

CUSTOMER_SERVICE = "customer-service"


class IssueRewardDialog(FormDialog):
    def __init__(self, state: AppState, profile_id: str, customer: str, *,
                 override: Actor | None = None, parent: QWidget | None = None) -> None:
        super().__init__(state, "Issue reward", f"A reward for {customer}, with the reason why.",
                         parent)
        self.setObjectName("issueRewardDialog")
        self.setMinimumWidth(680)
        self.profile_id = profile_id
        self.customer = customer
        self.manager = override
        self.issued: Decimal | None = None
        self._cap = Decimal("100.00")

        self.definitions = RowsModel[RewardDefinitionRow](
            [Column[RewardDefinitionRow]("Reward", lambda r: r.name)], key=lambda r: r.id, parent=self)
        self.definition_field = QComboBox(self)
        self.definition_field.setObjectName("rewardDefinitionField")
        self.definition_field.setModel(self.definitions)
        self.definition_field.currentIndexChanged.connect(lambda *_: self._update())
        self.amount = QLineEdit(self)
        self.amount.setObjectName("amountField")
        self.amount.setPlaceholderText("0.00")
        self.amount.setFixedWidth(150)
        self.amount.textChanged.connect(lambda *_: self._update())
        self.cap_label = QLabel("", self)
        self.cap_label.setObjectName("capLabel")

        self.reason = QLineEdit(self)
        self.reason.setObjectName("reasonField")
        self.reason.setPlaceholderText("Required — e.g. parcel arrived damaged")
        self.reason.returnPressed.connect(self.submit)

        self.add_field("reward_definition_id", "Reward", self.definition_field,
                       aliases=("reward_definition_handle",))
        amount_row = QHBoxLayout()
        amount_row.setSpacing(12)
        amount_row.addWidget(self.amount)
        amount_row.addWidget(self.cap_label, 1)
        self.add_field("value_initial", "Amount", amount_row, aliases=("amount",))
        self.add_field("reason", "Reason", self.reason)

        self.ask_button = QPushButton("Ask a manager…", self)
        self.ask_button.setObjectName("askManagerButton")
        self.ask_button.setAutoDefault(False)
        self.ask_button.clicked.connect(self.ask_manager)
        self.override_label = QLabel("", self)
        self.override_label.setObjectName("overrideLabel")
        override_row = QHBoxLayout()
        override_row.addWidget(self.ask_button)
        override_row.addWidget(self.override_label, 1)
        self.extra.addLayout(override_row)

        self.ok_button.setObjectName("confirmIssueButton")
        self.ok_button.setText("Issue reward")
        state.submit(load_reward_definitions).then(self._loaded, owner=self)
        self._update()

    # -- who acts ----------------------------------------------------------------------
    @property
    def acting(self) -> Actor | None:
        actor = self.state.actor
        if actor is None:
            return None
        return actor.with_override(self.manager) if self.manager is not None else actor

    def ask_manager(self) -> None:
        dialog = ManagerOverrideDialog(self.state, f"issue a reward to {self.customer}", self)
        dialog.accepted.connect(lambda: self.set_override(dialog.manager))
        dialog.open()

    def set_override(self, manager: Actor | None) -> None:
        self.manager = manager
        self._update()

    # -- data ----------------------------------------------------------------------------
    def _loaded(self, result: tuple[list[RewardDefinitionRow], Decimal]) -> None:
        rows, cap = result
        self._cap = cap
        self.definitions.set_rows(rows)
        preferred = next((i for i, r in enumerate(rows) if r.handle == CUSTOMER_SERVICE),
                         next((i for i, r in enumerate(rows) if r.type == CUSTOMER_SERVICE), 0))
        if rows:
            self.definition_field.setCurrentIndex(preferred)
        self._update()
        self.adjustSize()
        self.amount.setFocus()

    def selected_definition(self) -> RewardDefinitionRow | None:
        return self.definitions.row_at(self.definition_field.currentIndex())

    def cap_text(self) -> str:
        acting = self.acting
        definition = self.selected_definition()
        limit = ""
        if definition is not None and definition.max_value is not None:
            limit = f" · at most {format_money(definition.max_value)} for this reward"
        if acting is None or not acting.may(Action.ISSUE_REWARD):
            return "Needs a manager's OK"
        if not acting.may(Action.ISSUE_REWARD_UNCAPPED):
            return f"Your limit: {format_money(self._cap)}{limit}"
        return f"No limit for admins{limit}"

    def _update(self) -> None:
        self.cap_label.setText(self.cap_text())
        if self.manager is not None:
            self.override_label.setText(
                f"Authorised by {self.manager.display_name} ({self.manager.role.value})")
        else:
            self.override_label.setText("")
        acting = self.acting
        may = acting is not None and acting.may(Action.ISSUE_REWARD)
        self.ask_button.setText("Ask a manager…" if not may else "Ask for a higher limit…")
        self.ask_button.setVisible(
            acting is None or not acting.may(Action.ISSUE_REWARD_UNCAPPED))
        text = "Issue reward"
        try:
            value = parse_amount(self.amount.text()) if self.amount.text().strip() else None
        except MoneyError:
            value = None
        if value is not None:
            text = f"Issue {format_money(value)}"
        self.ok_button.setText(text)

    def submit(self) -> None:
        acting = self.acting
        definition = self.selected_definition()
        if acting is None:
            return
        if definition is None:
            self.set_field_error("reward_definition_id", "pick a reward")
            return
        data: dict[str, Any] = {
            "profile_id": self.profile_id,
            "reward_definition_id": definition.id,
            "reason": self.reason.text(),
        }
        if self.amount.text().strip():
            data["value_initial"] = self.amount.text().strip()
        self.run(self._issued, issue_reward, acting, data)

    def _issued(self, value: Decimal) -> None:
        self.issued = value
        self.accept()
