"""The claim timeframe editor: a small weekly table of day windows, the timezone, and the same
block as JSON (for pasting a block from the seeds, or one the table cannot show). Validated
live by the engine's own ``timeframe.validate`` (SPEC §3.4 T6)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QCompleter,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine import timeframe
from clienteling.ui.common.tables import RowDelegate
from clienteling.ui.definitions.json_field import JsonField, LocalError
from clienteling.ui.definitions.timeframe_model import (
    TimeframeForm,
    TimeframeModel,
    block_from_form,
    form_from_block,
)


@cache
def _zones() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def timeframe_problem(block: Any) -> str | None:
    if block is None:
        return None
    return timeframe.problems(block)


class TimeframeEditor(QWidget):
    changed = Signal()

    def __init__(self, default_tz: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timeframeEditor")
        self.default_tz = default_tz
        self._syncing = False

        self.enabled = QCheckBox("Only claimable at set times", self)
        self.enabled.setObjectName("timeframeEnabled")
        self.paused = QCheckBox("Paused: claimable any time, keep the times for later", self)
        self.paused.setObjectName("timeframePaused")
        self.zone = QLineEdit(self)
        self.zone.setObjectName("timeframeTimezone")
        self.zone.setPlaceholderText("e.g. Australia/Melbourne")
        completer = QCompleter(_zones(), self.zone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.zone.setCompleter(completer)

        self.model = TimeframeModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("timeframeTable")
        self.table.setModel(self.model)
        self.table.setItemDelegate(RowDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setShowGrid(False)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.table.setFixedHeight(30 * 8 + 36)
        self.hint = QLabel("Type the times each day is open, e.g. 10:00–15:00, 16:00–20:00. "
                           "“Every day” applies to all days and wins over the others.", self)
        self.hint.setObjectName("fieldHint")
        self.hint.setWordWrap(True)

        self.json = JsonField("claim_timeframe", validator=timeframe_problem,
                              ok_text=timeframe.describe, parent=self,
                              placeholder='{"timezone": "Europe/Copenhagen", "timeframe": '
                                          '{"repeat": [{"start": "10:00", "end": "15:00"}]}}')
        self.json.edit.setFixedHeight(80)
        self.table_note = QLabel("", self)
        self.table_note.setProperty("fieldError", True)
        self.table_note.setWordWrap(True)
        self.table_note.hide()

        zone_row = QHBoxLayout()
        zone_row.addWidget(QLabel("Timezone", self))
        zone_row.addWidget(self.zone, 1)
        json_caption = QLabel("The same, as JSON:", self)
        json_caption.setObjectName("fieldHint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.enabled)
        layout.addWidget(self.paused)
        layout.addLayout(zone_row)
        layout.addWidget(self.table)
        layout.addWidget(self.hint)
        layout.addWidget(self.table_note)
        layout.addWidget(json_caption)
        layout.addWidget(self.json)

        self.enabled.toggled.connect(self._form_changed)
        self.paused.toggled.connect(self._form_changed)
        self.zone.textChanged.connect(self._form_changed)
        self.model.edited.connect(self._form_changed)
        self.json.changed.connect(self._json_changed)
        self._enable_parts()

    # -- value -------------------------------------------------------------------------------
    def value(self) -> Any:
        """The block to save (the JSON text is the source of truth); raises LocalError."""
        return self.json.value()

    def set_value(self, block: Any) -> None:
        self._syncing = True
        try:
            self.json.set_text(json.dumps(block, indent=2) if block not in (None, {}) else "")
            self._load_form(block)
        finally:
            self._syncing = False
        self._enable_parts()

    def problem(self) -> str | None:
        return self.json.problem()

    # -- keeping the table and the JSON in step -------------------------------------------------
    def _form(self) -> TimeframeForm:
        return TimeframeForm(self.enabled.isChecked(), self.paused.isChecked(), self.zone.text(),
                             self.model.days)

    def _load_form(self, block: Any) -> None:
        form = form_from_block(block, self.default_tz)
        if form is None:
            self.table_note.setText("This timeframe can only be edited as JSON below.")
            self.table_note.show()
            self.table.setEnabled(False)
            return
        self.table_note.hide()
        self.table.setEnabled(True)
        self.enabled.setChecked(form.enabled)
        self.paused.setChecked(form.paused)
        self.zone.setText(form.timezone or (self.default_tz if not form.enabled else ""))
        self.model.set_days(form.days)

    def _form_changed(self, *_args: Any) -> None:
        self._enable_parts()
        if self._syncing:
            return
        if self.enabled.isChecked() and not self.zone.text().strip():
            self.zone.setText(self.default_tz)  # comes back here with the zone filled in
            return
        self._syncing = True
        try:
            block = block_from_form(self._form())
            self.json.set_text(json.dumps(block, indent=2) if block is not None else "")
        finally:
            self._syncing = False
        self.changed.emit()

    def _json_changed(self) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            try:
                block = self.json.value()
            except LocalError:
                block = ...
            if block is not ...:
                self._load_form(block)
        finally:
            self._syncing = False
        self._enable_parts()
        self.changed.emit()

    def _enable_parts(self) -> None:
        on = self.enabled.isChecked()
        for widget in (self.paused, self.zone, self.hint):
            widget.setEnabled(on)
        if self.table_note.isHidden():
            self.table.setEnabled(on)
