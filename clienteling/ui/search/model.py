"""Profile search results, paged from the local database through ``canFetchMore`` /
``fetchMore`` (GUIDE principle 8): the model never holds more than the pages the view asked
for, every page is read on the engine worker, and each page starts where the last one ended
(a keyset cursor, not an offset).

Engine changes (local, or remote ones a sync applied) update the rows they touch where they
stand; see :meth:`ProfileSearchModel.on_changes`."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from PySide6.QtCore import Signal

from clienteling.engine.services import Clienteling, ProfileRow, SearchCursor, SearchPage
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.rows_model import Column, Index, RowsModel
from clienteling.ui.worker import EngineWorker

PAGE_SIZE = 50


def _search_page(cl: Clienteling, query: str, limit: int, after: SearchCursor | None) -> SearchPage:
    return cl.profiles.search_page(query, limit=limit, after=after)


def _read_rows(cl: Clienteling, profile_ids: Collection[str]) -> dict[str, ProfileRow]:
    return cl.profiles.rows(profile_ids)


def _tier(row: ProfileRow) -> str:
    return fmt.tier_name(row.tier)[:4] or "—"


def _card(row: ProfileRow) -> str:
    card = row.card or ""
    return f"…{card[-6:]}" if len(card) > 8 else card  # the end of a card tells cards apart


def _tooltip(row: ProfileRow) -> str:
    parts = [row.name, f"Tier: {row.tier}" if row.tier else "", row.email or "",
             row.mobile_phone or "", f"Card {row.card}" if row.card else ""]
    return "\n".join(p for p in parts if p)


COLUMNS: tuple[Column[ProfileRow], ...] = (
    Column("Name", lambda r: r.name, tooltip=_tooltip),
    Column("Tier", _tier, tooltip=_tooltip),
    Column("Card", _card, tooltip=_tooltip),
)


class ProfileSearchModel(RowsModel[ProfileRow]):
    """Search results for one query, a page (50) at a time."""

    #: the first page of a new query arrived (query, number of rows)
    first_page_loaded = Signal(str, int)
    #: any page arrived (query, rows now held)
    page_loaded = Signal(str, int)
    #: a page could not be read (the error)
    failed = Signal(object)
    #: rows touched by an engine change were read again (how many of them differed)
    rows_refreshed = Signal(int)

    def __init__(self, worker: EngineWorker, engine: Clienteling | None = None,
                 parent: Any = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(COLUMNS, key=lambda r: r.id, parent=parent)
        self._worker = worker
        self._engine = engine
        self._page_size = page_size
        self._query = ""
        self._generation = 0
        self._loading = False
        # Kept apart from the rows: a row updated in place may have a new sort key, but the
        # next page still starts after the key the last page ended on.
        self._cursor: SearchCursor | None = None
        # Profiles changed while a page was being read: that page may hold them as they were.
        self._touched_while_loading: set[str] = set()

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
        self._query = query.strip()
        self._cursor = None
        self._loading = False
        self._touched_while_loading.clear()
        self.set_rows(())
        if self._query and self._engine is not None:
            self._request()

    def refresh(self) -> None:
        """Read the current query again from the top (F5): rows may come and go."""
        self.set_query(self._query)

    def _request(self) -> None:
        assert self._engine is not None
        self._loading = True
        generation = self._generation
        query = self._query
        self._worker.submit(_search_page, self._engine, query, self._page_size, self._cursor).then(
            lambda page: self._arrived(generation, query, page),
            lambda exc: self._failed(generation, exc), owner=self)

    def _arrived(self, generation: int, query: str, page: SearchPage) -> None:
        if generation != self._generation:
            return  # an answer to an older query
        self._loading = False
        self._cursor = page.next
        first = not self.rows
        self.append_rows(page.rows)
        touched = self._touched_while_loading & {r.id for r in page.rows}
        self._touched_while_loading.clear()
        if touched:
            self._reread(touched)
        if first:
            self.first_page_loaded.emit(query, self.rowCount())
        self.page_loaded.emit(query, self.rowCount())

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._loading = False
        self._cursor = None
        self._touched_while_loading.clear()
        self.failed.emit(exc)

    # -- engine changes ------------------------------------------------------------------
    def on_changes(self, changes: Any) -> None:
        """An engine change (``Changes``; local or, with ``origin="remote"``, from a sync)
        touched some profiles: the rows held for them are read again, in one engine call on
        the worker, and replaced where they stand (``dataChanged`` only — no reset, so the
        view keeps its scroll position, current row and selection).

        The list is not re-run: a row that no longer matches the query stays, and a profile
        that now matches does not appear, until the next search (or F5). Only
        ``profile_ids`` matter here, so any area and either origin is handled alike.
        """
        touched = frozenset(getattr(changes, "profile_ids", ()) or ())
        if not touched or not self._query:
            return
        if self._loading:
            self._touched_while_loading |= touched
        self._reread(touched)

    def _reread(self, profile_ids: Iterable[str]) -> None:
        held = {self.key_of(r) for r in self.rows}
        wanted = sorted(held.intersection(profile_ids))
        if not wanted or self._engine is None:
            return
        generation = self._generation
        self._worker.submit(_read_rows, self._engine, wanted).then(
            lambda fresh: self._reread_arrived(generation, fresh),
            # The rows shown stay as they were; paging carries on.
            lambda exc: self.failed.emit(exc) if generation == self._generation else None,
            owner=self)

    def _reread_arrived(self, generation: int, fresh: dict[str, ProfileRow]) -> None:
        if generation != self._generation:
            return  # the rows it read were replaced by a new search meanwhile
        # A profile that is gone keeps its row until the next search, like one that no
        # longer matches; opening it says it is not found.
        self.rows_refreshed.emit(len(self.update_rows(fresh)))

    # -- paging ------------------------------------------------------------------------
    def canFetchMore(self, parent: Index) -> bool:  # noqa: N802
        if parent.isValid() or self._worker.is_stopped:
            return False
        return self._cursor is not None and not self._loading and bool(self.rows)

    def fetchMore(self, parent: Index) -> None:  # noqa: N802
        if self.canFetchMore(parent):
            self._request()

    # -- rows --------------------------------------------------------------------------
    def profile_at(self, row: int) -> ProfileRow | None:
        return self.row_at(row)


__all__ = ["COLUMNS", "PAGE_SIZE", "ProfileSearchModel"]
