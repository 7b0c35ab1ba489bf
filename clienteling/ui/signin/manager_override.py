"""Manager override: a manager (or admin) enters their PIN to authorise an action the signed-in
staff member may not do alone. The engine checks the PIN and the role
(``cl.staff.authorise_override``); the audit records who authorised it."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from clienteling.engine.permissions import Actor
from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.operations.signin import StaffRow, authorise_override, load_managers
from clienteling.ui.signin.pin_pad import PinPad, pin_field
from clienteling.ui.signin.staff_model import StaffModel
from clienteling.ui.state import AppState


class ManagerOverrideDialog(FormDialog):
    """Pick the manager, enter their PIN; ``manager`` holds their Actor once accepted."""

    def __init__(self, state: AppState, purpose: str, parent: QWidget | None = None) -> None:
        super().__init__(state, "Ask a manager",
                         f"A manager enters their PIN to authorise: {purpose}.", parent)
        self.setObjectName("managerOverrideDialog")
        self.setMinimumWidth(420)
        self.manager: Actor | None = None
        self.staff_model = StaffModel(self)
        self.manager_field = QComboBox(self)
        self.manager_field.setObjectName("managerField")
        self.manager_field.setModel(self.staff_model)
        self.pin = pin_field(self, "managerPinField")
        self.pin.returnPressed.connect(self.submit)
        self.add_field("username", "Manager", self.manager_field)
        self.add_field("pin", "PIN", self.pin)
        self.extra.addWidget(PinPad(self.pin, self))
        self.ok_button.setText("Authorise")
        self.ok_button.setObjectName("authoriseButton")
        state.submit(load_managers).then(self._loaded, owner=self)

    def _loaded(self, rows: list[StaffRow]) -> None:
        self.staff_model.set_rows(rows)
        me = self.state.actor.username if self.state.actor else None
        others = [i for i, r in enumerate(rows) if r.username != me]
        if others:
            self.manager_field.setCurrentIndex(others[0])
        self.pin.setFocus()

    def select_manager(self, username: str) -> None:
        row = self.staff_model.row_of(username)
        if row >= 0:
            self.manager_field.setCurrentIndex(row)

    def submit(self) -> None:
        row = self.staff_model.row_at(self.manager_field.currentIndex())
        pin = self.pin.text()
        if row is None:
            self.set_field_error("username", "pick the manager who authorises this")
            return
        if not pin:
            self.set_field_error("pin", "the manager enters their PIN")
            return
        self.run(self._authorised, authorise_override, row.username, pin)

    def _authorised(self, manager: Actor) -> None:
        self.manager = manager
        self.pin.clear()
        self.accept()

    def show_error(self, exc: BaseException) -> None:
        self.pin.clear()
        super().show_error(exc)
