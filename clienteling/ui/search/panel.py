"""The search list on the left: one box for name, email, phone or card, results as you type
(debounced), and scans (a card or a benefit's redeem code, then Enter) that open the profile
directly (SPEC §5 "Profile lookup")."""

from __future__ import annotations

import re

from PySide6.QtCore import QElapsedTimer, QEvent, QItemSelectionModel, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.errors import NotFound
from clienteling.engine.services import ScanResult
from clienteling.ui.common import theme
from clienteling.ui.common.errors import describe
from clienteling.ui.common.tables import make_table
from clienteling.ui.operations.search import find_scan
from clienteling.ui.search.model import ProfileSearchModel
from clienteling.ui.state import AppState

DEBOUNCE_MS = 200
#: keys redirected to the search box count as one scan while they come this close together
SCAN_GAP_MS = 1500

_CODE = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+$")


def looks_like_scan(text: str) -> bool:
    """A card number (digits) or a redeem code (``BEN-1A2B3C4D``): something a scanner types."""
    t = text.strip()
    if len(t) < 4 or " " in t or "@" in t:
        return False
    return t.isdigit() or (bool(_CODE.match(t)) and any(c.isdigit() for c in t))


class SearchPanel(QWidget):
    """Left side of the main window."""

    #: open a profile (profile id, benefit id to select or "")
    open_requested = Signal(str, str)
    #: something to tell the user (text)
    message = Signal(str)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchPanel")
        self._state = state
        self._open_when_loaded = False
        self._since_redirect = QElapsedTimer()

        self.box = QLineEdit(self)
        self.box.setObjectName("profileSearch")
        self.box.setPlaceholderText("Search name, email, phone, card…  (F2)")
        self.box.setClearButtonEnabled(True)
        self.box.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.box.textEdited.connect(self._edited)
        self.box.returnPressed.connect(self.submit)
        self.box.installEventFilter(self)

        self.model = ProfileSearchModel(state.worker, state.engine, self)
        self.model.first_page_loaded.connect(self._first_page)
        self.model.page_loaded.connect(lambda *_: self._update_count())
        self.model.failed.connect(lambda exc: self.message.emit(describe(exc).text))

        self.view = make_table("profileResults", self.model, self, row_height=46)
        self.view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        self.view.setColumnWidth(2, 104)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.activated.connect(lambda index: self.open_row(index.row()))
        self.view.clicked.connect(lambda index: self.open_row(index.row()))

        self.count = QLabel("", self)
        self.count.setObjectName("searchCount")
        self.notice = QLabel("", self)
        self.notice.setObjectName("searchMessage")
        self.notice.setProperty("fieldError", True)
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.hint = QLabel("Scan a card, or type a name, email or phone number.", self)
        self.hint.setObjectName("emptyHint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.search_now)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 0, 0)
        layout.setSpacing(8)
        box_row = QVBoxLayout()
        box_row.setContentsMargins(0, 0, 14, 0)
        box_row.addWidget(self.box)
        box_row.addWidget(self.notice)
        box_row.addWidget(self.count)
        layout.addLayout(box_row)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.hint, 1)
        self._update_count()

    # -- typing ----------------------------------------------------------------------
    def focus_search(self) -> None:
        self.box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.box.selectAll()

    def take_keys(self, text: str) -> None:
        """Keys typed while focus was elsewhere in the window (a scan, or someone typing a
        name): they start a new search, and keys that follow closely are appended."""
        recent = self._since_redirect.isValid() and self._since_redirect.elapsed() < SCAN_GAP_MS
        if recent or self.box.hasFocus():
            self.box.insert(text)
        else:
            self.box.setText(text)
        self._since_redirect.restart()
        self.box.setFocus(Qt.FocusReason.OtherFocusReason)
        self._edited(self.box.text())

    def is_scanning(self) -> bool:
        """Whether keys were just redirected here (so a following Enter ends a scan)."""
        return (self._since_redirect.isValid() and self._since_redirect.elapsed() < SCAN_GAP_MS
                and bool(self.box.text()))

    def show_message(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.show()

    def clear_message(self) -> None:
        self.notice.clear()
        self.notice.hide()

    def _edited(self, _text: str) -> None:
        self.clear_message()
        self._open_when_loaded = False
        self._debounce.start()

    def search_now(self) -> None:
        self._debounce.stop()
        query = self.box.text().strip()
        if query != self.model.query or not query:
            self.model.set_query(query)
        self._update_count()

    # -- Enter -----------------------------------------------------------------------
    def submit(self) -> None:
        """Enter in the box: a scan opens its profile; otherwise open the chosen result."""
        self._since_redirect.invalidate()
        text = self.box.text().strip()
        if not text:
            return
        if self.model.query != text:
            self.search_now()
        if looks_like_scan(text):
            self._state.submit(find_scan, text).then(
                lambda result: self._scanned(result), lambda exc: self._scan_failed(text, exc), owner=self)
            return
        self._open_best()

    def _scanned(self, result: ScanResult) -> None:
        self.open_requested.emit(result.profile_id, result.benefit_id or "")

    def _scan_failed(self, code: str, exc: BaseException) -> None:
        if not isinstance(exc, NotFound):
            self.message.emit(describe(exc).text)
            return
        # Not a card or code: perhaps a phone number typed in full.
        if self.model.query == code and (self.model.rowCount() or self.model.is_loading):
            self._open_best()
            return
        self.message.emit(f"Nothing matches “{code}”: it is not a known card, redeem code or "
                          "customer.")

    def _open_best(self) -> None:
        if self.model.is_loading and self.model.rowCount() == 0:
            self._open_when_loaded = True
            return
        current = self.view.currentIndex()
        self.open_row(current.row() if current.isValid() else 0)

    def _first_page(self, query: str, rows: int) -> None:
        self._update_count()
        if rows:
            self.view.selectionModel().setCurrentIndex(
                self.model.index(0, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        if self._open_when_loaded:
            self._open_when_loaded = False
            if rows:
                self.open_row(0)
            else:
                self.message.emit(f"No customer matches “{query}”.")

    def open_row(self, row: int) -> None:
        profile = self.model.profile_at(row)
        if profile is not None:
            self.open_requested.emit(profile.id, "")

    def _update_count(self) -> None:
        n = self.model.rowCount()
        query = self.model.query
        if not query:
            self.count.setText("")
            self.hint.setText("Scan a card, or type a name, email or phone number.")
        elif self.model.is_loading and n == 0:
            self.count.setText("Searching…")
        elif n == 0:
            self.count.setText("No matches")
            self.hint.setText(f"No customer matches “{query}”.")
        else:
            more = "+" if self.model.canFetchMore(self.model.index(-1, -1)) else ""
            self.count.setText(f"{n}{more} customer{'s' if n != 1 or more else ''}")
        self.view.setVisible(n > 0)
        self.hint.setVisible(n == 0)

    # -- keys in the box ----------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if (watched is self.box and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Down and self.model.rowCount()):
            self.view.setFocus()
            if not self.view.currentIndex().isValid():
                self.view.selectRow(0)
            return True
        return super().eventFilter(watched, event)
