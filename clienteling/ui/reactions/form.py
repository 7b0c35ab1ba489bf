"""The reaction form (SPEC RX1): name and handle, the trigger as a form, the condition as JSON
with live validation and "try against this profile" (the definitions editor's own field), the
effect picked from the definitions, how often, the active window and on/off. Reads and writes
the reaction's wire body; the engine's messages land under the field they name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.errors import field_label
from clienteling.ui.common.form_sections import caption, form_column, section
from clienteling.ui.common.polish import set_invalid
from clienteling.ui.definitions.fields import TIME_HINT, FieldSpec
from clienteling.ui.definitions.form import Field, ProfileSource
from clienteling.ui.definitions.json_field import LocalError
from clienteling.ui.operations.reactions import EffectChoice
from clienteling.ui.reactions.trigger_form import TriggerForm
from clienteling.ui.reactions.words import LIMITS

#: the sections and their fields, in order
SECTIONS: dict[str, tuple[str, ...]] = {
    "Basics": ("name", "handle", "enabled"),
    "When": ("trigger",),
    "For whom": ("condition",),
    "What": ("effect",),
    "How often": ("limit", "active_from", "active_to"),
}

#: the fields built from the definitions editor's ``Field``
_PLAIN: dict[str, FieldSpec] = {spec.name: spec for spec in (
    FieldSpec("name", "Name", "text", "Basics"),
    FieldSpec("handle", "Handle", "text", "Basics", "URL-safe: letters, digits, - and _"),
    FieldSpec("enabled", "Switched on", "flag", "Basics"),
    FieldSpec("condition", "Only for customers where", "condition", "For whom",
              'JsonLogic over the profile, e.g. {"==": [{"var": "tier"}, "gold"]}; '
              "empty = everyone"),
    FieldSpec("active_from", "Active from", "instant", "How often", TIME_HINT + "; empty = now"),
    FieldSpec("active_to", "Active until", "instant", "How often", TIME_HINT + "; empty = no end"),
)}

#: what a new reaction starts with: switched off until the admin has tried it (RX6)
NEW_REACTION: dict[str, Any] = {"trigger": {"type": "joined"}, "limit": "once", "enabled": False,
                                "condition": None}


def _key(kind: str, ident: str) -> str:
    """A combo item's data: "benefit:<id>" (a string, which ``findData`` compares by value)."""
    return f"{kind}:{ident}"


class EffectField(QWidget):
    """The definition to issue (benefits, then rewards) and, for a reward, its value."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setObjectName("field_effect")
        self.value = QLineEdit(self)
        self.value.setObjectName("field_effect_value")
        self.value.setPlaceholderText("reward dollars, e.g. 10.00")
        self.value.setFixedWidth(130)
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.hint = QLabel("", self)
        self.hint.setObjectName("fieldHint")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        row = QHBoxLayout()
        row.addWidget(self.combo, 1)
        row.addWidget(self.value)
        column.addLayout(row)
        column.addWidget(self.hint)
        self.choices: list[EffectChoice] = []
        self._wanted: dict[str, Any] | None = None
        self.combo.currentIndexChanged.connect(self._picked)
        self.value.textEdited.connect(lambda *_: self.changed.emit())
        self._picked()

    def set_choices(self, choices: Sequence[EffectChoice]) -> None:
        """The definitions to pick from; keeps the one the form shows."""
        wanted = self.value_or_none()
        blocked = self.blockSignals(True)
        try:
            self.choices = list(choices)
            self.combo.clear()
            self.combo.addItem("Choose a benefit or reward…", None)
            for c in self.choices:
                noun = "Benefit" if c.kind == "benefit" else "Reward"
                self.combo.addItem(f"{noun}: {c.name}" + (" (archived)" if c.archived else ""),
                                   _key(c.kind, c.id))
            self.set_effect(wanted)
        finally:
            self.blockSignals(blocked)

    def set_effect(self, effect: dict[str, Any] | None) -> None:
        effect = effect or {}
        # Until the choices arrive the form holds the effect as it was loaded.
        self._wanted = dict(effect) if effect else None
        if effect.get("benefit_definition_id"):
            kind, ident = "benefit", str(effect["benefit_definition_id"])
        elif effect.get("reward_definition_id"):
            kind, ident = "reward", str(effect["reward_definition_id"])
        else:
            kind, ident = "", ""
        index = self.combo.findData(_key(kind, ident)) if kind else 0
        if index < 0 and self.choices:
            # A definition this till does not hold (yet): name it rather than lose it.
            self.combo.addItem(f"Unknown {kind} definition {ident[:8]}…", _key(kind, ident))
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(max(index, 0))
        value = effect.get("value")
        self.value.setText("" if value is None else str(value))
        self._picked()

    def chosen(self) -> EffectChoice | None:
        data = self.combo.currentData()
        if not data:
            return None
        return next((c for c in self.choices if _key(c.kind, c.id) == data), None)

    def _picked(self) -> None:
        data = self.combo.currentData()
        is_reward = bool(data) and str(data).startswith("reward:")
        self.value.setEnabled(is_reward)
        self.value.setVisible(is_reward)
        choice = self.chosen()
        hint, placeholder = "", "reward dollars, e.g. 10.00"
        if choice is not None and choice.kind == "reward":
            if choice.default_value is not None:
                # Left empty, the reward is issued at its definition's amount.
                placeholder = fmt.money(choice.default_value)
                hint = f"Empty: its usual {fmt.money(choice.default_value)}"
            if choice.max_value is not None:
                hint = ", ".join(filter(None, (hint, f"at most {fmt.money(choice.max_value)}")))
        self.value.setPlaceholderText(placeholder)
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.changed.emit()

    def value_or_none(self) -> dict[str, Any] | None:
        """The effect's wire shape (a reward's value left out when empty: its definition's)."""
        if not self.choices:
            return dict(self._wanted) if self._wanted else None
        data = self.combo.currentData()
        if not data:
            return None
        kind, _, ident = str(data).partition(":")
        if kind == "benefit":
            return {"benefit_definition_id": ident}
        out: dict[str, Any] = {"reward_definition_id": ident}
        text = self.value.text().strip().lstrip("$").strip()
        if text:
            out["value"] = text
        return out

    def get(self) -> dict[str, Any] | None:
        return self.value_or_none()


class ReactionForm(QWidget):
    """Every field of a reaction, in sections."""

    edited = Signal()

    def __init__(self, tz: str, profile_source: ProfileSource | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reactionForm")
        self.tz = tz
        self._profile_source = profile_source
        self.fields: dict[str, Field] = {}
        self.trigger = TriggerForm(self)
        self.effect = EffectField(self)
        self.limit = QComboBox(self)
        self.limit.setObjectName("field_limit")
        for word, words in LIMITS:
            self.limit.addItem(words, word)
        self.errors: dict[str, QLabel] = {}
        custom: dict[str, tuple[str, QWidget]] = {
            "trigger": ("Trigger", self.trigger), "effect": ("Issue", self.effect),
            "limit": ("How often", self.limit)}

        layout = form_column(self)
        for title, names in SECTIONS.items():
            box, grid = section(self, title, title.replace(" ", "_"))
            layout.addWidget(box)
            for name in names:
                if name in _PLAIN:
                    self._add_plain(box, grid, _PLAIN[name])
                else:
                    label, widget = custom[name]
                    self._add(box, grid, name, label, widget, own_errors=name == "trigger")
        layout.addStretch(1)
        self.trigger.changed.connect(self.edited.emit)
        self.effect.changed.connect(self.edited.emit)
        self.limit.currentIndexChanged.connect(lambda *_: self.edited.emit())

    # -- building -------------------------------------------------------------------------------
    def _add_plain(self, box: QWidget, grid: QGridLayout, spec: FieldSpec) -> None:
        field = Field(spec, self.tz, box, self._profile_source)
        self.fields[spec.name] = field
        field.place(box, grid, grid.rowCount())
        self.errors[spec.name] = field.error
        field.watch(self.edited.emit)

    def _add(self, box: QWidget, grid: QGridLayout, name: str, label: str, widget: QWidget, *,
             own_errors: bool = False) -> None:
        row = grid.rowCount()
        grid.addWidget(caption(box, label), row, 0)
        grid.addWidget(widget, row, 1)
        if not own_errors:
            error = QLabel("", box)
            error.setObjectName(f"error_{name}")
            error.setProperty("fieldError", True)
            error.setWordWrap(True)
            error.hide()
            grid.addWidget(error, row + 1, 1)
            self.errors[name] = error

    # -- the wire body --------------------------------------------------------------------------
    def load(self, values: dict[str, Any]) -> None:
        blocked = self.blockSignals(True)
        try:
            for name, field in self.fields.items():
                field.set(values.get(name))
            self.trigger.set_value(values.get("trigger"))
            self.effect.set_effect(values.get("effect"))
            index = self.limit.findData(values.get("limit") or "once")
            self.limit.setCurrentIndex(max(index, 0))
            self.show_errors({})
        finally:
            self.blockSignals(blocked)

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(the wire body, local problems by field) — problems only for text that cannot even
        be read (malformed JSON); the engine judges the rest."""
        out: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name, field in self.fields.items():
            try:
                out[name] = field.get()
            except LocalError as exc:
                problems[name] = str(exc)
        out["trigger"] = self.trigger.value()
        out["effect"] = self.effect.get()
        out["limit"] = self.limit.currentData()
        return out, problems

    def show_errors(self, errors: dict[str, str]) -> list[str]:
        """Each message under its field (``trigger.days`` under the trigger's days); returns
        those that name no field of the form."""
        trigger: dict[str, str] = {}
        effect: list[str] = []
        plain: dict[str, str] = {}
        unplaced: list[str] = []
        for name, text in errors.items():
            base, _, rest = name.partition(".")
            if base == "trigger":
                trigger[rest] = (trigger.get(rest, "") + " " + text).strip()
            elif base in ("effect", "benefit_definition_id", "reward_definition_id", "value"):
                what = {"value": "Value", "benefit_definition_id": "Benefit",
                        "reward_definition_id": "Reward"}.get(rest or base, "")
                effect.append(f"{what}: {text}" if what else text)
            elif base in self.errors:
                plain[base] = f"{rest}: {text}" if rest else text
            else:
                unplaced.append(f"{field_label(name)}: {text}")
        for name, field in self.fields.items():
            field.show_error(plain.get(name, ""))
        self.trigger.show_errors(trigger)
        self._say_under("effect", " ".join(effect), self.effect.combo)
        if effect and any(e.startswith("Value") for e in effect):
            set_invalid(self.effect.value, True)
        else:
            set_invalid(self.effect.value, False)
        self._say_under("limit", plain.get("limit", ""), self.limit)
        return unplaced

    def _say_under(self, name: str, text: str, target: QWidget) -> None:
        label = self.errors[name]
        label.setText(text)
        label.setVisible(bool(text))
        set_invalid(target, bool(text))

    def field_error(self, name: str) -> str:
        """The message shown under ``name`` ("trigger" for any of the trigger's), or ""."""
        if name == "trigger":
            return self.trigger.error_text()
        label = self.errors.get(name)
        return label.text() if label is not None and not label.isHidden() else ""

