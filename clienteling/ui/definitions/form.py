"""The definitions editor's form: one widget per definition field, in sections, reading and
writing the wire values; conditions validated as you type and tried against the open profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from clienteling.engine import conditions
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.errors import field_label
from clienteling.ui.common.form_sections import caption, form_column, section
from clienteling.ui.common.polish import repolish, set_invalid
from clienteling.ui.definitions.fields import FieldSpec, fields_for, sections_for
from clienteling.ui.definitions.json_field import JsonField, LocalError
from clienteling.ui.definitions.timeframe_editor import TimeframeEditor

ProfileSource = Callable[[], tuple[str, dict[str, Any]] | None]


# -- one field --------------------------------------------------------------------------------

def condition_problem(rule: Any) -> str | None:
    try:
        conditions.validate(rule)
    except conditions.InvalidRule as exc:
        return f"Invalid JsonLogic rule: {exc}"
    return None


class Field:
    """A widget for one definition field, reading and writing the wire value."""

    def __init__(self, spec: FieldSpec, tz: str, parent: QWidget,
                 profile_source: ProfileSource | None) -> None:
        self.spec = spec
        self.tz = tz
        self.error = QLabel("", parent)
        self.error.setObjectName(f"error_{spec.name}")
        self.error.setProperty("fieldError", True)
        self.error.setWordWrap(True)
        self.error.hide()
        self.try_button: QPushButton | None = None
        self.try_result: QLabel | None = None
        kind = spec.kind
        self.widget: QWidget
        if kind in ("text", "int", "instant", "money", "tags"):
            edit = QLineEdit(parent)
            edit.setPlaceholderText(spec.hint)
            self.widget = edit
        elif kind == "multiline":
            text = QPlainTextEdit(parent)
            text.setFixedHeight(70)
            text.setTabChangesFocus(True)
            text.setPlaceholderText(spec.hint)
            self.widget = text
        elif kind == "flag":
            self.widget = QCheckBox(spec.label, parent)
        elif kind == "maybe_flag":
            combo = QComboBox(parent)
            combo.addItems(["Not set", "Yes", "No"])
            self.widget = combo
        elif kind == "choice":
            combo = QComboBox(parent)
            combo.addItems(list(spec.choices))
            self.widget = combo
        elif kind in ("json", "condition"):
            validator = condition_problem if kind == "condition" else None
            ok = (lambda _v: "✓ Valid condition") if kind == "condition" else None
            self.widget = JsonField(spec.name, validator, ok, parent, placeholder=spec.hint)
            if kind == "condition" and profile_source is not None:
                self.try_button = QPushButton("Try against the open profile", parent)
                self.try_button.setObjectName(f"try_{spec.name}")
                self.try_button.setAutoDefault(False)
                self.try_result = QLabel("", parent)
                self.try_result.setObjectName(f"tryResult_{spec.name}")
                self.try_result.setWordWrap(True)
                source = profile_source
                self.try_button.clicked.connect(lambda: self.try_condition(source))
        elif kind == "timeframe":
            self.widget = TimeframeEditor(tz, parent)
        else:  # counter
            label = QLabel("0", parent)
            label.setObjectName(f"counter_{spec.name}")
            self.widget = label
        self.widget.setObjectName(self.widget.objectName() or f"field_{spec.name}")
        if kind not in ("json", "condition", "timeframe", "counter"):
            self.widget.setObjectName(f"field_{spec.name}")

    # -- reading and writing ------------------------------------------------------------------
    def set(self, value: Any) -> None:
        w, kind = self.widget, self.spec.kind
        if isinstance(w, QLineEdit):
            if kind == "instant":
                w.setText(fmt.editable_time(value, self.tz))
            elif kind == "tags":
                w.setText(", ".join(value or []))
            else:
                w.setText("" if value is None else str(value))
        elif isinstance(w, QPlainTextEdit):
            w.setPlainText(value or "")
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox) and kind == "maybe_flag":
            w.setCurrentIndex(0 if value is None else 1 if value else 2)
        elif isinstance(w, QComboBox):
            w.setCurrentText(str(value or (self.spec.choices[0] if self.spec.choices else "")))
        elif isinstance(w, JsonField | TimeframeEditor):
            w.set_value(value)
        elif isinstance(w, QLabel):
            w.setText(str(value if value is not None else 0))
        if self.try_result is not None:
            self.try_result.clear()

    def get(self) -> Any:
        """The wire value to send; raises LocalError when the text cannot be read."""
        w, kind = self.widget, self.spec.kind
        if isinstance(w, QLineEdit):
            text = w.text().strip()
            if kind == "tags":
                return [t.strip() for t in text.split(",") if t.strip()]
            return text or None
        if isinstance(w, QPlainTextEdit):
            return w.toPlainText().strip() or None
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox) and kind == "maybe_flag":
            return (None, True, False)[w.currentIndex()]
        if isinstance(w, QComboBox):
            return w.currentText()
        if isinstance(w, JsonField | TimeframeEditor):
            return w.value()
        return None

    # -- in a form --------------------------------------------------------------------------------
    def place(self, box: QWidget, grid: QGridLayout, row: int) -> int:
        """Its caption (a flag names itself), widget, "try" row and error line in ``grid`` of
        ``box`` from ``row`` on; returns the next free row."""
        if self.spec.kind != "flag":
            grid.addWidget(caption(box, self.spec.label), row, 0)
        grid.addWidget(self.widget, row, 1)
        row += 1
        if self.try_button is not None and self.try_result is not None:
            try_row = QHBoxLayout()
            try_row.setSpacing(12)
            try_row.addWidget(self.try_button)
            try_row.addWidget(self.try_result, 1)
            grid.addLayout(try_row, row, 1)
            row += 1
        grid.addWidget(self.error, row, 1)
        return row + 1

    def watch(self, edited: Callable[[], None]) -> None:
        """Call ``edited`` whenever the admin changes the value."""
        w = self.widget
        signal: Any = None
        if isinstance(w, QLineEdit):
            signal = w.textEdited
        elif isinstance(w, QPlainTextEdit):
            signal = w.textChanged
        elif isinstance(w, QCheckBox):
            signal = w.toggled
        elif isinstance(w, QComboBox):
            signal = w.currentIndexChanged
        elif isinstance(w, JsonField | TimeframeEditor):
            signal = w.changed
        if signal is not None:
            signal.connect(lambda *_: edited())

    @property
    def editable(self) -> bool:
        return self.spec.kind != "counter"

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        target = self.widget.edit if isinstance(self.widget, JsonField) else self.widget
        if isinstance(self.widget, TimeframeEditor):
            target = self.widget.json.edit
        set_invalid(target, bool(text))

    # -- conditions -------------------------------------------------------------------------------
    def name_profile(self, profile: tuple[str, dict[str, Any]] | None) -> None:
        """Name the open profile (``ProfileSource``'s) on the "try" button, if it has one."""
        if self.try_button is not None:
            self.try_button.setText(f"Try against {profile[0]}" if profile
                                    else "Try against the open profile")
            self.try_button.setToolTip(
                "" if profile else "Open a customer's profile in the main window first")

    def try_condition(self, source: ProfileSource) -> None:
        assert isinstance(self.widget, JsonField) and self.try_result is not None
        profile = source()
        if profile is None:
            self._try_says("Open a customer's profile in the main window first.", ok=None)
            return
        name, data = profile
        try:
            rule = self.widget.value()
        except LocalError as exc:
            self._try_says(str(exc).capitalize(), ok=False)
            return
        if rule is None:
            self._try_says(f"No condition: true for everyone, including {name}.", ok=True)
            return
        problem = condition_problem(rule)
        if problem:
            self._try_says(problem, ok=False)
            return
        result = conditions.check(rule, data)
        self._try_says(f"{'✓ True' if result else '✗ False'} for {name}", ok=True if result else None)

    def _try_says(self, text: str, *, ok: bool | None) -> None:
        assert self.try_result is not None
        self.try_result.setText(text)
        self.try_result.setProperty("fieldOk", ok is True)
        self.try_result.setProperty("fieldError", ok is False)
        repolish(self.try_result)


# -- the form ---------------------------------------------------------------------------------

class DefinitionForm(QWidget):
    """All fields of one kind of definition, in sections."""

    edited = Signal()

    def __init__(self, kind: str, tz: str, profile_source: ProfileSource | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setObjectName(f"{kind}DefinitionForm")
        self.fields: dict[str, Field] = {}
        layout = form_column(self)
        for title in sections_for(kind):
            box, grid = section(self, title, title)
            row = 0
            for spec in fields_for(kind):
                if spec.section != title:
                    continue
                field = Field(spec, tz, box, profile_source)
                self.fields[spec.name] = field
                row = field.place(box, grid, row)
                field.watch(self.edited.emit)
            layout.addWidget(box)
        layout.addStretch(1)

    def load(self, values: dict[str, Any]) -> None:
        blocked = self.blockSignals(True)
        try:
            for name, field in self.fields.items():
                field.set(values.get(name))
                field.show_error("")
        finally:
            self.blockSignals(blocked)

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """(wire values of the editable fields, local problems by field)."""
        out: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name, field in self.fields.items():
            if not field.editable:
                continue
            try:
                out[name] = field.get()
            except LocalError as exc:
                problems[name] = str(exc)
        return out, problems

    def show_errors(self, errors: dict[str, str]) -> list[str]:
        """Put each message under its field; returns the ones with no field."""
        unplaced = []
        for name, field in self.fields.items():
            field.show_error(errors.get(name, ""))
        for name, text in errors.items():
            base = name.split(".", 1)[0]
            if base not in self.fields:
                unplaced.append(f"{field_label(name)}: {text}")
            elif base != name:
                self.fields[base].show_error(f"{name[len(base) + 1:]}: {text}")
        return unplaced
