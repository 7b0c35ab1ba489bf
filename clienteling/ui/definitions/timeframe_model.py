"""The claim timeframe as a small weekly table (SPEC §3.4, UX "Dialogs").

One row per day — "Every day" (the block's ``repeat``), then Monday to Sunday (``custom``) —
with that day's windows as text, ``10:00–15:00, 16:00–20:00``. A day key the engine does not
know (seed 003's own ``Staturday``) gets a row of its own, shown in red, so the block can be
shown and fixed; the engine's validation names the problem. :func:`block_from_form` and
:func:`form_from_block` turn the table into the stored JSON block and back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QColor

from clienteling.engine.timeframe import DAY_NAMES

EVERY_DAY = "Every day"
STANDARD_DAYS: tuple[str, ...] = (EVERY_DAY, *DAY_NAMES)
DASH = "–"

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class DayRow:
    day: str
    windows: str  # "10:00–15:00, 16:00–20:00"; empty = no window that day

    @property
    def known(self) -> bool:
        return self.day in STANDARD_DAYS


@dataclass(frozen=True)
class TimeframeForm:
    """The editor's state: whether a timeframe applies at all, paused, zone and day rows."""

    enabled: bool
    paused: bool
    timezone: str
    days: tuple[DayRow, ...]


def parse_windows(text: str) -> list[dict[str, str]]:
    """``"10:00–15:00, 16:00-20:00"`` as window objects. Pieces that do not read as two times
    are kept as typed (``{"start": "10", "end": ""}``) so the engine's validation names them."""
    windows = []
    for piece in text.split(","):
        piece = piece.strip()
        if not piece:
            continue
        parts = re.split(r"\s*(?:–|—|-|to)\s*", piece, maxsplit=1)
        start = parts[0].strip()
        end = parts[1].strip() if len(parts) > 1 else ""
        windows.append({"start": start, "end": end})
    return windows


def format_windows(items: Any) -> str | None:
    """Window objects as text; None when they cannot be shown as text."""
    if not isinstance(items, list):
        return None
    out = []
    for item in items:
        if not isinstance(item, dict) or set(item) - {"start", "end"}:
            return None
        start, end = item.get("start", ""), item.get("end", "")
        if not isinstance(start, str) or not isinstance(end, str):
            return None
        out.append(f"{start}{DASH}{end}")
    return ", ".join(out)


def standard_rows(extra: Sequence[DayRow] = ()) -> list[DayRow]:
    given = {r.day: r for r in extra}
    rows = [given.get(day, DayRow(day, "")) for day in STANDARD_DAYS]
    rows.extend(r for r in extra if r.day not in STANDARD_DAYS)
    return rows


def block_from_form(form: TimeframeForm) -> dict[str, Any] | None:
    """The JSON block for the engine; ``None`` when no timeframe applies (T1)."""
    if not form.enabled:
        return None
    block: dict[str, Any] = {}
    if form.paused:
        block["disable"] = True
    block["timezone"] = form.timezone.strip()
    frame: dict[str, Any] = {}
    custom: dict[str, list[dict[str, str]]] = {}
    for row in form.days:
        windows = parse_windows(row.windows)
        if not windows:
            continue
        if row.day == EVERY_DAY:
            frame["repeat"] = windows
        else:
            custom[row.day] = windows
    if custom:
        frame["custom"] = custom
    block["timeframe"] = frame
    return block


def form_from_block(block: Any, default_tz: str) -> TimeframeForm | None:
    """The editor's state for a stored block, or ``None`` when the block's shape cannot be
    shown as a table (the JSON text then stays the only editor)."""
    if block is None or block == {}:
        return TimeframeForm(False, False, default_tz, tuple(standard_rows()))
    if not isinstance(block, dict) or set(block) - {"disable", "timezone", "timeframe"}:
        return None
    tz = block.get("timezone")
    frame = block.get("timeframe") or {}
    if (tz is not None and not isinstance(tz, str)) or not isinstance(frame, dict):
        return None
    if set(frame) - {"repeat", "custom"}:
        return None
    rows: list[DayRow] = []
    if frame.get("repeat") is not None:
        text = format_windows(frame["repeat"])
        if text is None:
            return None
        rows.append(DayRow(EVERY_DAY, text))
    custom = frame.get("custom")
    if custom is not None:
        if not isinstance(custom, dict):
            return None
        for day, items in custom.items():
            text = format_windows(items)
            if text is None or day == EVERY_DAY:
                return None
            rows.append(DayRow(str(day), text))
    return TimeframeForm(True, block.get("disable") is True, tz if isinstance(tz, str) else "",
                         tuple(standard_rows(rows)))


class TimeframeModel(QAbstractTableModel):
    """Day rows; the windows column is editable."""

    COLUMNS = ("Day", "Open")
    edited = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[DayRow] = standard_rows()

    @property
    def days(self) -> tuple[DayRow, ...]:
        return tuple(self._rows)

    def set_days(self, rows: Sequence[DayRow]) -> None:
        self.beginResetModel()
        self._rows = standard_rows(rows)
        self.endResetModel()

    def windows_for(self, day: str) -> str:
        return next((r.windows for r in self._rows if r.day == day), "")

    def set_windows_for(self, day: str, text: str) -> bool:
        for i, r in enumerate(self._rows):
            if r.day == day:
                return self.setData(self.index(i, 1), text)
        return False

    def clear(self) -> None:
        self.set_days([])
        self.edited.emit()

    # -- QAbstractTableModel -----------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        if index.column() == 1:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if column not in (0, 1):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if column == 0:
                return row.day
            if role == Qt.ItemDataRole.DisplayRole and not row.windows:
                return "—" if row.day != EVERY_DAY else ""
            return row.windows
        if role == Qt.ItemDataRole.ForegroundRole:
            if not row.known:
                return QColor("#b42318")
            if column == 1 and not row.windows:
                return QColor("#a8adb5")
        if role == Qt.ItemDataRole.ToolTipRole:
            if not row.known:
                return f"'{row.day}' is not a day name: clear it, and enter its times on the right day"
            return "Times like 10:00–15:00, 16:00–20:00; empty for none"
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() != 1:
            return False
        if not 0 <= index.row() < len(self._rows):
            return False
        text = ", ".join(f"{w['start']}{DASH}{w['end']}" if w["end"] else w["start"]
                         for w in parse_windows(str(value or "")))
        row = self._rows[index.row()]
        if row.windows == text:
            return False
        self._rows[index.row()] = replace(row, windows=text)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole])
        self.edited.emit()
        return True
