"""A small read-only table model over a tuple of frozen rows, described by columns.

Used for the lists that are small by nature (one customer's benefits, the definitions),
and under the large lists that page (see :mod:`clienteling.ui.search.model`), which grow it
with :meth:`RowsModel.append_rows` and keep it current with :meth:`RowsModel.update_rows`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont

T = TypeVar("T")

Index = QModelIndex | QPersistentModelIndex

#: Custom roles shared by the item views and their delegates.
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row object
KEY_ROLE = Qt.ItemDataRole.UserRole + 2  # the row's id
BADGE_ROLE = Qt.ItemDataRole.UserRole + 3  # a short badge, e.g. "pending sync"
MUTED_ROLE = Qt.ItemDataRole.UserRole + 4  # True when the row is greyed out

MUTED = QColor("#8a9099")
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
#: every cell's flags, combined once: views ask for them per cell, and each ``|`` of Qt's
#: flags is a Python enum operation
_ROW_FLAGS = (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
              | Qt.ItemFlag.ItemNeverHasChildren)


@dataclass(frozen=True)
class Column(Generic[T]):
    title: str
    text: Callable[[T], str]
    align: Qt.AlignmentFlag = LEFT
    tooltip: Callable[[T], str | None] | None = None
    bold: bool = False


class RowsModel(QAbstractTableModel, Generic[T]):
    """Rows of one dataclass type; ``key`` names each row for keeping the selection."""

    def __init__(self, columns: Sequence[Column[T]], key: Callable[[T], str],
                 parent: Any = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._key = key
        self._rows: tuple[T, ...] = ()

    # -- data --------------------------------------------------------------------------
    @property
    def rows(self) -> tuple[T, ...]:
        return self._rows

    def set_rows(self, rows: Sequence[T]) -> None:
        self.beginResetModel()
        self._rows = tuple(rows)
        self.endResetModel()

    def append_rows(self, rows: Sequence[T]) -> None:
        """Add rows at the end (a further page), leaving the rows already shown untouched."""
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows = (*self._rows, *rows)
        self.endInsertRows()

    def update_rows(self, fresh: Mapping[str, T]) -> list[int]:
        """Replace the rows whose key is in ``fresh`` where they stand, one ``dataChanged``
        per run of neighbouring rows that really differ, and no reset or layout change, so
        the view keeps its scroll position, current index and selection. Returns the row
        numbers that changed."""
        if not fresh:
            return []
        rows = list(self._rows)
        changed = []
        for i, row in enumerate(rows):
            new = fresh.get(self._key(row))
            if new is not None and new != row:
                rows[i] = new
                changed.append(i)
        if not changed:
            return []
        self._rows = tuple(rows)
        last_column = max(0, len(self._columns) - 1)
        start = prev = changed[0]
        for i in [*changed[1:], -1]:
            if i != prev + 1:
                self.dataChanged.emit(self.index(start, 0), self.index(prev, last_column))
                start = i
            prev = i
        return changed

    def row_at(self, row: int) -> T | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def key_of(self, row: T) -> str:
        return self._key(row)

    def display_text(self, row: int, column: int) -> str:
        """What the cell shows ("" outside the rows and columns)."""
        if 0 <= row < len(self._rows) and 0 <= column < len(self._columns):
            return self._columns[column].text(self._rows[row])
        return ""

    def row_of(self, key: str) -> int:
        for i, r in enumerate(self._rows):
            if self._key(r) == key:
                return i
        return -1

    #: the column that shows the row's badge (e.g. "pending sync")
    badge_column = 0
    #: off on a standalone (demo) till: nothing there waits for a hub
    badges_shown = True

    def is_muted(self, row: T) -> bool:
        return False

    def badge(self, row: T) -> str | None:
        return None

    # -- QAbstractTableModel ---------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._columns):
            column = self._columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(column.align)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _ROW_FLAGS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        # Called for every role of every cell painted (a dozen per cell, most of them roles
        # these models do not answer): one dictionary look-up settles the role first.
        answer = _ANSWERS.get(role)
        if answer is None:
            return None
        row, column = index.row(), index.column()  # -1 for an invalid index
        if not 0 <= row < len(self._rows) or not 0 <= column < len(self._columns):
            return None
        return answer(self, self._rows[row], column)

    @property
    def has_badges(self) -> bool:
        """Whether this kind of list ever shows a badge (its class defines :meth:`badge`)."""
        return type(self).badge is not RowsModel.badge


def _bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


_BOLD: list[QFont] = []


def _font(model: RowsModel[Any], row: Any, column: int) -> QFont | None:
    if not model._columns[column].bold:
        return None
    if not _BOLD:  # a QFont needs the application: made on first use, then shared
        _BOLD.append(_bold_font())
    return _BOLD[0]


def _tooltip(model: RowsModel[Any], row: Any, column: int) -> str | None:
    tip = model._columns[column].tooltip
    return tip(row) if tip else None


#: what :meth:`RowsModel.data` answers for each role it knows
_ANSWERS: dict[int, Callable[[RowsModel[Any], Any, int], Any]] = {
    int(Qt.ItemDataRole.DisplayRole): lambda m, row, c: m._columns[c].text(row),
    int(Qt.ItemDataRole.TextAlignmentRole): lambda m, row, c: int(m._columns[c].align),
    int(Qt.ItemDataRole.ToolTipRole): _tooltip,
    int(Qt.ItemDataRole.ForegroundRole): lambda m, row, c: MUTED if m.is_muted(row) else None,
    int(Qt.ItemDataRole.FontRole): _font,
    ROW_ROLE: lambda m, row, c: row,
    KEY_ROLE: lambda m, row, c: m._key(row),
    BADGE_ROLE: lambda m, row, c: (m.badge(row) if c == m.badge_column and m.badges_shown
                                   else None),
    MUTED_ROLE: lambda m, row, c: m.is_muted(row),
}
