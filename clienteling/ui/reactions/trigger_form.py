"""A reaction's trigger as a form, not JSON (SPEC RX2): a combo of the seven trigger types and
only the fields the chosen type has — tiers for a tier change, month or day for a birthday, a
minimum spend for a purchase, a threshold for a spend milestone, days for lapsed. Reads and
writes the trigger's wire shape; the engine judges the values and its messages land under the
field they name (``trigger.threshold``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clienteling.ui.common.polish import set_invalid
from clienteling.ui.reactions.words import BIRTHDAY_WHEN, TRIGGER_FIELDS, TRIGGER_TYPES

#: (caption, hint) of each field a trigger may have
_SUBFIELDS: dict[str, tuple[str, str]] = {
    "from": ("From tier", "any tier (e.g. silver)"),
    "to": ("To tier", "any tier (e.g. gold)"),
    "when": ("When", ""),
    "min_spend": ("Minimum spend", "empty = every purchase, e.g. 100.00"),
    "threshold": ("Lifetime spend reaches", "e.g. 500.00"),
    "days": ("Days without a purchase", "e.g. 180"),
}


def _amount_text(text: str) -> str | None:
    text = text.strip().lstrip("$").strip()
    return text or None


def _days(text: str) -> int | str | None:
    """A whole number as an int; anything else as typed, for the engine to name the problem."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


class TriggerForm(QWidget):
    """The type combo and the fields that fit the type; ``value()`` is the wire trigger."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("triggerForm")
        self.type_combo = QComboBox(self)
        self.type_combo.setObjectName("triggerType")
        for wire, words in TRIGGER_TYPES:
            self.type_combo.addItem(words, wire)
        self.when = QComboBox(self)
        for wire, words in BIRTHDAY_WHEN:
            self.when.addItem(words, wire)
        self.edits: dict[str, QLineEdit] = {}
        self.widgets: dict[str, QWidget] = {"when": self.when}
        for name in ("from", "to", "min_spend", "threshold", "days"):
            edit = QLineEdit(self)
            edit.setPlaceholderText(_SUBFIELDS[name][1])
            edit.textEdited.connect(lambda *_: self.changed.emit())
            self.edits[name] = edit
            self.widgets[name] = edit
        for name, widget in self.widgets.items():
            widget.setObjectName(f"trigger_{name}")
        self.errors: dict[str, QLabel] = {}
        self._rows: dict[str, QWidget] = {}

        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.setVerticalSpacing(4)
        self.layout_.addRow(self._row("type", self.type_combo))
        for name, widget in self.widgets.items():
            self.layout_.addRow(_SUBFIELDS[name][0], self._row(name, widget))
        self.type_combo.currentIndexChanged.connect(self._type_changed)
        self.when.currentIndexChanged.connect(lambda *_: self.changed.emit())
        self._type_changed()

    def _row(self, name: str, widget: QWidget) -> QWidget:
        """The field with its own error line under it."""
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel("", box)
        error.setObjectName(f"error_trigger.{name}")
        error.setProperty("fieldError", True)
        error.setWordWrap(True)
        error.hide()
        column.addWidget(error)
        self.errors[name] = error
        self._rows[name] = box
        return box

    # -- the type -------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return str(self.type_combo.currentData())

    def set_kind(self, kind: str) -> None:
        index = self.type_combo.findData(kind)
        self.type_combo.setCurrentIndex(max(index, 0))

    def _type_changed(self) -> None:
        shown = TRIGGER_FIELDS.get(self.kind, ())
        for name, box in self._rows.items():
            if name != "type":
                self.layout_.setRowVisible(box, name in shown)
        self.changed.emit()

    # -- the wire value -------------------------------------------------------------------------
    def value(self) -> dict[str, Any]:
        kind = self.kind
        out: dict[str, Any] = {"type": kind}
        for name in TRIGGER_FIELDS.get(kind, ()):
            if name == "when":
                out["when"] = self.when.currentData()
            elif name in ("from", "to"):
                text = self.edits[name].text().strip()
                if text:
                    out[name] = text
            elif name == "days":
                out["days"] = _days(self.edits["days"].text())
            elif name == "min_spend":
                spend = _amount_text(self.edits[name].text())
                if spend is not None:
                    out[name] = spend
            else:
                out[name] = _amount_text(self.edits[name].text())
        return out

    def set_value(self, trigger: dict[str, Any] | None) -> None:
        t = trigger or {"type": TRIGGER_TYPES[0][0]}
        blocked = self.blockSignals(True)
        try:
            for edit in self.edits.values():
                edit.clear()
            self.when.setCurrentIndex(0)
            self.set_kind(str(t.get("type") or ""))
            for name, edit in self.edits.items():
                value = t.get(name)
                edit.setText("" if value is None else str(value))
            index = self.when.findData(t.get("when"))
            if index >= 0:
                self.when.setCurrentIndex(index)
            self.show_errors({})
        finally:
            self.blockSignals(blocked)

    # -- errors ---------------------------------------------------------------------------------
    def show_errors(self, errors: dict[str, str]) -> None:
        """``{"threshold": "must be more than 0", "": "…about the whole trigger"}``; a message
        for a field this type does not show goes under the type."""
        shown = TRIGGER_FIELDS.get(self.kind, ())
        general = [text for name, text in errors.items()
                   if name not in shown or name in ("", "type")]
        for name, label in self.errors.items():
            text = " ".join(general) if name == "type" else errors.get(name, "")
            label.setText(text)
            label.setVisible(bool(text))
            target = self.type_combo if name == "type" else self.widgets[name]
            set_invalid(target, bool(text))

    def error_text(self) -> str:
        """Every message shown, for a test or a screen reader."""
        return " ".join(label.text() for label in self.errors.values() if not label.isHidden())
