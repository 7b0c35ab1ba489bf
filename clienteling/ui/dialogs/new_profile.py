"""Create a customer profile at the counter (Ctrl+N; any role, SPEC §3.7)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.profiles import GENDERS
from clienteling.ui.dialogs.base import FormDialog
from clienteling.ui.state import AppState


def create_profile(cl: Clienteling, actor: Actor, data: dict[str, Any]) -> str:
    return cl.profiles.create(actor, data).id


class NewProfileDialog(FormDialog):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(state, "New customer", "Only the name is required.", parent)
        self.setObjectName("newProfileDialog")
        self.created_id: str | None = None
        self.fields: dict[str, QLineEdit] = {}
        for name, label, hint in (
            ("first_name", "First name", ""),
            ("last_name", "Last name", ""),
            ("email", "Email", "name@example.com"),
            ("mobile_phone", "Mobile", "0412 345 678"),
            ("birth_date", "Birth date", "YYYY-MM-DD"),
            ("tier", "Tier", "e.g. gold"),
            ("card", "Card number", "scan or type"),
        ):
            field = QLineEdit(self)
            field.setObjectName(f"{name}Field")
            field.setPlaceholderText(hint)
            field.returnPressed.connect(self.submit)
            self.fields[name] = field
            self.add_field(name if name != "card" else "identities", label, field)
            if name == "mobile_phone":
                self.gender = QComboBox(self)
                self.gender.setObjectName("genderField")
                self.gender.addItems(["", *GENDERS])
                self.add_field("gender", "Gender", self.gender)
        self.ok_button.setText("Create customer")
        self.ok_button.setObjectName("confirmNewProfileButton")

    def submit(self) -> None:
        if self.state.actor is None:
            return
        data: dict[str, Any] = {}
        for name, field in self.fields.items():
            text = field.text().strip()
            if not text:
                continue
            if name == "card":
                data["identities"] = [{"handle": "card", "identifier": text}]
            else:
                data[name] = text
        data.setdefault("first_name", "")
        data.setdefault("last_name", "")
        if self.gender.currentText():
            data["gender"] = self.gender.currentText()
        self.run(create_profile, self.state.actor, data, on_done=self._created)

    def _created(self, profile_id: str) -> None:
        self.created_id = profile_id
        self.accept()
