"""Issue a benefit by hand (manager/admin; SPEC §3.1 B1)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.common.rows_model import Column, RowsModel
from clienteling.ui.operations.benefits import IssuableRow, issue_benefit, load_issuable
from clienteling.ui.state import AppState


class IssueBenefitDialog(FormDialog):
    def __init__(self, state: AppState, profile_id: str, customer: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(state, "Issue a benefit", f"Give {customer} a benefit by hand.", parent)
        self.setObjectName("issueBenefitDialog")
        self.profile_id = profile_id
        self.issued_id: str | None = None
        self.issued_name = ""
        self.model = RowsModel[IssuableRow]([Column[IssuableRow]("Benefit", lambda r: r.name)],
                                            key=lambda r: r.id, parent=self)
        self.definition_field = QComboBox(self)
        self.definition_field.setObjectName("benefitDefinitionField")
        self.definition_field.setModel(self.model)
        self.detail = QLabel("", self)
        self.detail.setObjectName("fieldHint")
        self.definition_field.currentIndexChanged.connect(self._show_detail)
        self.add_field("benefit_definition_id", "Benefit", self.definition_field, beside=self.detail)
        self.ok_button.setText("Issue benefit")
        self.ok_button.setObjectName("confirmIssueBenefitButton")
        state.submit(load_issuable).then(self.model.set_rows, owner=self)

    def _show_detail(self, index: int) -> None:
        row = self.model.row_at(index)
        self.detail.setText(row.description if row else "")

    def select(self, name: str) -> None:
        for i, r in enumerate(self.model.rows):
            if r.name == name:
                self.definition_field.setCurrentIndex(i)

    def submit(self) -> None:
        row = self.model.row_at(self.definition_field.currentIndex())
        if row is None or self.state.actor is None:
            self.set_field_error("benefit_definition_id", "pick a benefit")
            return
        self.issued_name = row.name
        self.run(self._done, issue_benefit, self.state.actor, self.profile_id, row.id)

    def _done(self, benefit_id: str) -> None:
        self.issued_id = benefit_id
        self.accept()
