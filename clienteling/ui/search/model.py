"""Profile search results, paged from the local database through ``canFetchMore`` /
``fetchMore`` (GUIDE principle 8): the model never holds more than the pages the view asked
for, and every page is read on the engine worker."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from clienteling.engine.services import Clienteling, ProfileRow
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.rows_model import KEY_ROLE, ROW_ROLE
from clienteling.ui.worker import EngineWorker

PAGE_SIZE = 50

Index = QModelIndex | QPersistentModelIndex


def _search_page(cl: Clienteling, query: str, limit: int, offset: int) -> list[ProfileRow]:
    return cl.profiles.search(query, limit=limit, offset=offset)


class ProfileSearchModel(QAbstractTableModel):
    """Search results for one query, a page (50) at a time."""

    COLUMNS = ("Name", "Tier", "Card")

    #: the first page of a new query arrived (query, number of rows)
    first_page_loaded = Signal(str, int)
    #: any page arrived (query, rows now held)
    page_loaded = Signal(str, int)
    #: a page could not be read (the error)
    failed = Signal(object)

    def __init__(self, worker: EngineWorker, engine: Clienteling | None = None,
                 parent: Any = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self._worker = worker
        self._engine = engine
        self._page_size = page_size
        self._rows: list[ProfileRow] = []
        self._query = ""
        self._generation = 0
        self._loading = False
        self._has_more = False

    def set_engine(self, engine: Clienteling) -> None:
        self._engine = engine

    # -- searching ---------------------------------------------------------------------
    @property
    def query(self) -> str:
        return self._query

    @property
    def is_loading(self) -> bool:
        return self._loading

    def set_query(self, query: str) -> None:
        """Start a new search; the old results go at once, the first page follows by signal."""
        self._generation += 1
        self.beginResetModel()
        self._rows = []
        self._query = query.strip()
        self._has_more = bool(self._query) and self._engine is not None
        self._loading = False
        self.endResetModel()
        if self._has_more:
            self._request()

    def refresh(self) -> None:
        """Read the current query again (after profiles changed)."""
        self.set_query(self._query)

    def _request(self) -> None:
        assert self._engine is not None
        self._loading = True
        generation = self._generation
        query = self._query
        self._worker.submit(_search_page, self._engine, query, self._page_size, len(self._rows)).then(
            lambda rows: self._arrived(generation, query, rows),
            lambda exc: self._failed(generation, exc), owner=self)

    def _arrived(self, generation: int, query: str, rows: list[ProfileRow]) -> None:
        if generation != self._generation:
            return  # an answer to an older query
        self._loading = False
        self._has_more = len(rows) >= self._page_size
        first = not self._rows
        if rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()
        if first:
            self.first_page_loaded.emit(query, len(self._rows))
        self.page_loaded.emit(query, len(self._rows))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._has_more = False
        self.failed.emit(exc)

    # -- paging ------------------------------------------------------------------------
    def canFetchMore(self, parent: Index) -> bool:  # noqa: N802
        if parent.isValid() or self._worker.is_stopped:
            return False
        return self._has_more and not self._loading and bool(self._rows)

    def fetchMore(self, parent: Index) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self._request()

    # -- rows --------------------------------------------------------------------------
    def profile_at(self, row: int) -> ProfileRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

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
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.name
            if column == 1:
                return fmt.tier_name(row.tier)[:4] or "—"
            if column == 2:  # the end of a card number is what tells cards apart
                card = row.card or ""
                return f"…{card[-6:]}" if len(card) > 8 else card
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            parts = [row.name, f"Tier: {row.tier}" if row.tier else "", row.email or "",
                     row.mobile_phone or "", f"Card {row.card}" if row.card else ""]
            return "\n".join(p for p in parts if p)
        if role == ROW_ROLE:
            return row
        if role == KEY_ROLE:
            return row.id
        return None
