"""Move a benefit to another customer (manager/admin, when the definition allows; B6)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit, QWidget

from clienteling.engine.records import BenefitRow
from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.common.tables import make_table
from clienteling.ui.operations.benefits import reassign
from clienteling.ui.search.model import ProfileSearchModel
from clienteling.ui.state import AppState


class ReassignBenefitDialog(FormDialog):
    def __init__(self, state: AppState, benefit: BenefitRow, from_profile_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(state, f"Move {benefit.name}",
                         "Find the customer it should belong to.", parent)
        self.setObjectName("reassignBenefitDialog")
        self.setMinimumSize(560, 460)
        self.benefit = benefit
        self.from_profile_id = from_profile_id
        self.to_name = ""
        self.search = QLineEdit(self)
        self.search.setObjectName("reassignSearch")
        self.search.setPlaceholderText("Name, email, phone or card")
        self.model = ProfileSearchModel(state.worker, state.engine, self)
        self.results = make_table("reassignResults", self.model, self)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(200)
        self._timer.timeout.connect(lambda: self.model.set_query(self.search.text()))
        self.search.textChanged.connect(lambda *_: self._timer.start())
        self.add_field("profile_id", "Customer", self.search)
        self.extra.addWidget(self.results, 1)
        self.ok_button.setText("Move benefit")
        self.ok_button.setObjectName("confirmReassignButton")

    def submit(self) -> None:
        index = self.results.currentIndex()
        target = self.model.profile_at(index.row()) if index.isValid() else None
        if target is None or self.state.actor is None:
            self.set_field_error("profile_id", "pick the customer from the list")
            return
        if target.id == self.from_profile_id:
            self.set_field_error("profile_id", "that is the same customer")
            return
        self.to_name = target.name
        self.run(lambda _: self.accept(), reassign, self.state.actor, self.benefit.id, target.id)
