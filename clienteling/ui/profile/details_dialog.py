"""A customer's contact details: one form for "New customer" (Ctrl+N) and "Edit details"
(Ctrl+E). Every role may do both (SPEC §3.7).

Creating sends every filled-in field; editing sends only the fields that changed (an emptied
field is cleared), and the engine's messages land under the fields they name — a bad email,
a card number that belongs to someone else — with nothing saved.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from clienteling.engine.services.profiles import GENDERS
from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.operations.profile import CARD, ContactDetails, create_profile, update_profile
from clienteling.ui.state import AppState

#: the text fields, in order: name, label, placeholder (gender is a list, after the mobile)
TEXT_FIELDS = (
    ("first_name", "First name", ""),
    ("last_name", "Last name", ""),
    ("email", "Email", "name@example.com"),
    ("mobile_phone", "Mobile", "0412 345 678"),
    ("birth_date", "Birth date", "YYYY-MM-DD"),
    ("tier", "Tier", "e.g. gold"),
    ("card", "Card number", "scan or type; several separated by commas"),
)


def split_cards(text: str) -> tuple[str, ...]:
    """Card numbers typed or scanned into one field, separated by commas (or semicolons)."""
    return tuple(dict.fromkeys(c.strip() for c in re.split(r"[,;\n]", text) if c.strip()))


class ProfileDetailsDialog(FormDialog):
    """New customer (``details`` is None) or edit this customer's details."""

    def __init__(self, state: AppState, details: ContactDetails | None = None,
                 parent: QWidget | None = None) -> None:
        editing = details is not None
        if details is None:
            super().__init__(state, "New customer", "Only the name is required.", parent)
        else:
            super().__init__(state, "Edit customer details",
                             f"{details.name}: change what is needed; an emptied field is cleared.",
                             parent)
        self.setObjectName("editProfileDialog" if editing else "newProfileDialog")
        self.details = details
        #: after saving: the profile's id and name, and whether anything was sent
        self.saved_id: str | None = None
        self.saved_name = ""
        self.changed = False
        self.fields: dict[str, QLineEdit] = {}
        for name, label, hint in TEXT_FIELDS:
            field = QLineEdit(self)
            field.setObjectName(f"{name}Field")
            field.setPlaceholderText(hint)
            field.returnPressed.connect(self.submit)
            self.fields[name] = field
            if name == "card" and details is not None and len(details.cards) > 1:
                label = "Card numbers"
            self.add_field(name if name != "card" else "identities", label, field)
            if name == "mobile_phone":
                self.gender = QComboBox(self)
                self.gender.setObjectName("genderField")
                self.gender.addItems(["", *GENDERS])
                self.add_field("gender", "Gender", self.gender)
        if details is None:
            self.ok_button.setText("Create customer")
            self.ok_button.setObjectName("confirmNewProfileButton")
        else:
            for name, field in self.fields.items():
                field.setText(details.text(name))
            self.gender.setCurrentText(details.gender)
            self.ok_button.setText("Save changes")
            self.ok_button.setObjectName("confirmEditProfileButton")

    # -- reading the form ------------------------------------------------------------------
    def _texts(self) -> dict[str, str]:
        texts = {name: field.text().strip() for name, field in self.fields.items()}
        texts["gender"] = self.gender.currentText()
        return texts

    @staticmethod
    def _identities(cards: tuple[str, ...],
                    others: tuple[tuple[str, str], ...] = ()) -> list[dict[str, str]]:
        return ([{"handle": h, "identifier": i} for h, i in others]
                + [{"handle": CARD, "identifier": c} for c in cards])

    def new_values(self) -> dict[str, Any]:
        """What to create: every field filled in (the names always, so the engine names them)."""
        data: dict[str, Any] = {}
        for name, text in self._texts().items():
            if not text:
                continue
            if name == "card":
                data["identities"] = self._identities(split_cards(text))
            else:
                data[name] = text
        data.setdefault("first_name", "")
        data.setdefault("last_name", "")
        return data

    def changed_values(self) -> dict[str, Any]:
        """What to update: only the fields that differ from what was loaded; emptied is None."""
        details = self.details
        assert details is not None
        changes: dict[str, Any] = {}
        for name, text in self._texts().items():
            if name == "card":
                cards = split_cards(text)
                if set(cards) != set(details.cards):
                    changes["identities"] = self._identities(cards, details.other_identities)
            elif text != details.text(name):
                # An emptied name stays "" so the engine says it must not be empty.
                changes[name] = text if text or name in ("first_name", "last_name") else None
        return changes

    # -- saving -------------------------------------------------------------------------------
    def submit(self) -> None:
        actor = self.state.actor
        if actor is None:
            return
        if self.details is None:
            self.run(self._saved, create_profile, actor, self.new_values())
            return
        changes = self.changed_values()
        if not changes:
            self.accept()
            return
        self.run(self._saved, update_profile, actor, self.details.profile_id, changes)

    def _saved(self, result: tuple[str, str]) -> None:
        self.saved_id, self.saved_name = result
        self.changed = True
        self.accept()
