"""The Conflicts list (SPEC §5 sync status): changes made on this till that the hub refused,
each with its reason in words, the customer, the staff member and what the till did about it.
Opened from the status bar's "Conflicts (N)" button. A manager dismisses one (the engine checks
the role and audits it); an admin resolves a definition edit that met another admin's by
choosing between the two versions in the definitions editor."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.permissions import Action
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.errors import describe
from clienteling.ui.common.tables import make_table
from clienteling.ui.conflicts.model import ConflictsModel
from clienteling.ui.operations.conflict_rows import NONE, ConflictRow
from clienteling.ui.operations.conflicts import dismiss_conflict, load_conflicts
from clienteling.ui.state import AppState

EMPTY = "No conflicts: every change was accepted by the hub"
LOADING = "Reading the conflicts…"


class ConflictsDialog(QDialog):
    #: the list was (re)read: the number of conflicts
    loaded = Signal(int)
    #: a conflict was dismissed (its outbox seq)
    dismissed = Signal(int)
    #: resolve a definition's version conflict: (kind, definition id, outbox seq)
    resolve_requested = Signal(str, str, int)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conflictsDialog")
        self.setWindowTitle("Conflicts")
        self.setModal(True)
        self.setMinimumSize(900, 460)
        self.state = state
        self._generation = 0

        title = QLabel("Conflicts", self)
        title.setObjectName("dialogTitle")
        subtitle = QLabel("Changes made on this till that the hub refused, newest first, each with "
                          "the hub's reason. The hub's records stand.", self)
        subtitle.setObjectName("dialogSubtitle")
        subtitle.setWordWrap(True)

        self.model = ConflictsModel(state.timezone, self)
        self.view = make_table("conflictsView", self.model, self, stretch=4, row_height=40)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._show_detail())
        self.empty_label = QLabel(LOADING, self)
        self.empty_label.setObjectName("conflictsEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.empty_label)
        self.pages.addWidget(self.view)
        self.detail = QLabel("", self)
        self.detail.setObjectName("conflictDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.hide()

        self.dismiss_button = QPushButton("Dismiss", self)
        self.dismiss_button.setObjectName("dismissConflictButton")
        self.dismiss_button.setToolTip("Give up this change: the hub's version stands "
                                       "(managers and admins)")
        self.dismiss_button.clicked.connect(self.dismiss_current)
        self.resolve_button = QPushButton("Resolve…", self)
        self.resolve_button.setObjectName("resolveConflictButton")
        self.resolve_button.setToolTip("See both versions side by side and choose one")
        self.resolve_button.clicked.connect(self.resolve_current)
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("closeButton")
        self.close_button.setProperty("primary", True)
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.dismiss_button)
        buttons.addWidget(self.resolve_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.detail)
        layout.addLayout(buttons)

        # Opens on Close (Enter closes, UX.md); the list takes the focus once it has rows.
        # Said, not left to QDialog's default-button rule: under load the first focusable
        # child (Dismiss) could take it first (the keyboard walk met it).
        self.close_button.setFocus()
        # A bound slot, so the connection ends with the dialog (a lambda would outlive it).
        state.worker.changed.connect(self._engine_changed)
        self.reload()

    @property
    def is_empty(self) -> bool:
        return self.model.rowCount() == 0

    def reload(self) -> None:
        """Read the conflicts on the worker (again)."""
        self._generation += 1
        generation = self._generation
        self.state.submit(load_conflicts).then(
            lambda rows: self._arrived(generation, rows), self._failed, owner=self)

    def _engine_changed(self, _changes: object) -> None:
        self.reload()

    def _arrived(self, generation: int, rows: tuple[ConflictRow, ...]) -> None:
        if generation != self._generation:
            return
        current = self.model.row_at(self.view.currentIndex().row())
        key = self.model.key_of(current) if current is not None else ""
        self.model.set_rows(rows)
        self.empty_label.setText(EMPTY)
        self.pages.setCurrentIndex(0 if not rows else 1)
        if rows:
            row = max(0, self.model.row_of(key))
            self.view.selectRow(row)
            self.view.setFocus()
        self._show_detail()
        self.loaded.emit(len(rows))

    def _failed(self, exc: BaseException) -> None:
        self.empty_label.setText(describe(exc).text)
        self.pages.setCurrentIndex(0)

    @property
    def current(self) -> ConflictRow | None:
        index = self.view.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def dismiss_current(self) -> None:
        row, actor = self.current, self.state.actor
        if row is None or actor is None:
            return
        self.dismiss_button.setEnabled(False)
        seq = row.seq
        self.state.submit(dismiss_conflict, actor, seq).then(
            lambda _none: self._dismissed(seq), self._dismiss_failed, owner=self)

    def _dismissed(self, seq: int) -> None:
        self.dismissed.emit(seq)
        self.reload()

    def _dismiss_failed(self, exc: BaseException) -> None:
        self._show_detail()
        self.detail.setText(f"{self.detail.text()}\nNot dismissed: {describe(exc).text}")

    def resolve_current(self) -> None:
        row = self.current
        if row is not None and row.definition is not None:
            self.resolve_requested.emit(row.definition[0], row.definition[1], row.seq)
            self.accept()

    def _show_detail(self) -> None:
        row = self.current
        self.detail.setVisible(row is not None)
        self.dismiss_button.setEnabled(row is not None and self.state.may(Action.DISMISS_CHANGE))
        self.dismiss_button.setToolTip("" if self.state.may(Action.DISMISS_CHANGE)
                                       else "Managers and admins only")
        self.resolve_button.setVisible(row is not None and row.definition is not None)
        self.resolve_button.setEnabled(self.state.may(Action.EDIT_DEFINITIONS))
        if row is None:
            self.detail.clear()
            return
        parts = [row.what]
        if row.customer != NONE:
            parts.append(f"for {row.customer}")
        if row.staff != NONE:
            parts.append(f"by {row.staff}")
        self.detail.setText(f"{row.headline or row.reason}.\n"
                            f"{' '.join(parts)}, {fmt.day_time(row.occurred_at, self.model.tz)}; "
                            f"{row.outcome}.\nThe hub's reason: {row.reason}")
