"""What the admin's editors (definitions, reactions) share: a list beside a form, saved through
the engine with the version it was based on, so that a change made elsewhere is a conflict shown
side by side in words, never silently overwritten (SPEC §6) — the conflict banner, "Load their
version" / "Save mine over it" after a refused save, and "Take theirs" / "Keep mine" for an edit
the hub refused at sync time; and edits not saved are never dropped without a word: picking
another record, starting a new one or closing the window first asks "Discard changes?".

Each editor supplies only what differs: its form, list and words, and the engine calls it makes
(:meth:`VersionedEditor._load_job`, :meth:`VersionedEditor._save_job`,
:attr:`VersionedEditor.conflict_calls`)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.errors import VersionConflict
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.ui.common.errors import describe, field_label
from clienteling.ui.common.polish import repolish
from clienteling.ui.common.rows_model import RowsModel
from clienteling.ui.state import AppState
from clienteling.ui.worker import Job

#: fields the engine sets: a change to them is not the other admin's edit
_SERVER_SET = ("version", "updated_at", "created_at", "total_global_redemptions", "total_issued")
#: the conflict buttons' words after a refused save; at sync time they are "Take theirs" and
#: "Keep mine"
LOAD_THEIRS = "Load their version"
SAVE_MINE_OVER = "Save mine over it"


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(", ", ": "))[:120]
    return str(value)[:120]


def conflict_rows(base: dict[str, Any], mine: dict[str, Any],
                  theirs: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(field, yours, theirs) for each field either side changed since ``base`` was loaded."""
    fields = [k for k in mine] + [
        k for k in theirs if k not in mine and k not in _SERVER_SET and theirs[k] != base.get(k)]
    return [(field_label(k), _shown(mine[k]) if k in mine else "(unchanged)", _shown(theirs.get(k)))
            for k in fields]


def conflict_table(rows: Sequence[tuple[str, str, str]], yours: str, theirs: str) -> str:
    """The side-by-side table (rich text): a row a field, "yours" then "theirs"."""
    body = "".join(
        f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(mine)}</td>"
        f"<td>{html.escape(other)}</td></tr>" for label, mine, other in rows)
    return (f"<table cellspacing='6'><tr><th align='left'>Field</th><th align='left'>"
            f"{html.escape(yours)}</th><th align='left'>{html.escape(theirs)}</th></tr>"
            f"{body}</table>")


class EditorForm(Protocol):
    """The form an editor shows: wire values in and out, the engine's messages under fields."""

    def load(self, values: dict[str, Any]) -> None: ...

    def values(self) -> tuple[dict[str, Any], dict[str, str]]: ...

    def show_errors(self, errors: dict[str, str]) -> list[str]: ...


@dataclass(frozen=True)
class ConflictCalls:
    """The engine calls (operations) that settle an edit the hub refused at sync time."""

    #: (this till's refused edit, the hub's version)
    load: Callable[[Clienteling, int], tuple[dict[str, Any], dict[str, Any]]]
    #: the hub's version stands
    take_theirs: Callable[[Clienteling, Actor, int], None]
    #: this till's edit again on top of the hub's version; the record as it now is
    keep_mine: Callable[[Clienteling, Actor, int], dict[str, Any]]


class VersionedEditor(QWidget):
    """A window of its own: a list of records beside a form, saved with the version it showed.

    A subclass builds its list (``model``, ``list_view``), calls :meth:`_build_head` where the
    heading and conflict banner go, builds its form (the ``form`` property) in ``form_scroll``,
    then :meth:`_build_save_row` and :meth:`_place`; it supplies the hooks below."""

    #: the record's id once saved
    saved = Signal(str)
    #: the record's id ("" for a new one)
    loaded = Signal(str)
    #: a conflict the hub found at sync time was resolved: (outbox seq, "mine" | "theirs")
    resolved = Signal(int, str)

    #: what is edited, in words: "someone else changed this definition"
    noun: ClassVar[str] = "record"
    conflict_calls: ClassVar[ConflictCalls]

    model: RowsModel[Any]
    list_view: QTableView
    form_scroll: QScrollArea

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.state = state
        self.current: dict[str, Any] | None = None
        self._initial: dict[str, Any] = {}
        self._generation = 0
        self._conflict_version: int | None = None  # the version a save met, to save over
        self._attempted: dict[str, Any] = {}
        self._sync_seq: int | None = None  # the refused edit being resolved, if any

    # -- what each editor supplies ---------------------------------------------------------------
    @property
    def form(self) -> EditorForm:
        raise NotImplementedError

    def _scope(self) -> str:
        """Which list is shown, beside the record (the definitions editor's kind): a load or a
        save that comes back after it changed is not shown."""
        return ""

    def _load_job(self, ident: str) -> Job[dict[str, Any]]:
        """Read one record, in the form's wire shape."""
        raise NotImplementedError

    def _save_job(self, actor: Actor, ident: str | None, data: dict[str, Any],
                  version: int | None) -> Job[dict[str, Any]]:
        """Create (``ident`` None) or change a record, expecting ``version``."""
        raise NotImplementedError

    def _showing(self, values: dict[str, Any], *, new: bool) -> None:
        """The editor's own part of showing a record."""

    def _new_heading(self) -> str:
        raise NotImplementedError

    def _conflict_rows(self, base: dict[str, Any], mine: dict[str, Any],
                       theirs: dict[str, Any]) -> list[tuple[str, str, str]]:
        return conflict_rows(base, mine, theirs)

    def new_record(self) -> None:
        raise NotImplementedError

    def refresh_list(self, select: str | None = None) -> None:
        raise NotImplementedError

    # -- building --------------------------------------------------------------------------------
    def _build_head(self) -> None:
        """The heading, the version and the conflict banner (hidden until there is one)."""
        self.heading = QLabel("", self)
        self.heading.setObjectName("dialogTitle")
        self.version_label = QLabel("", self)
        self.version_label.setObjectName("dialogSubtitle")
        self.conflict = QFrame(self)
        self.conflict.setObjectName("conflictBanner")
        self.conflict_text = QLabel("", self.conflict)
        self.conflict_text.setWordWrap(True)
        self.load_theirs = QPushButton(LOAD_THEIRS, self.conflict)
        self.load_theirs.setObjectName("loadTheirsButton")
        self.load_theirs.clicked.connect(self._load_theirs_clicked)
        self.keep_mine = QPushButton(SAVE_MINE_OVER, self.conflict)
        self.keep_mine.setObjectName("keepMineButton")
        self.keep_mine.clicked.connect(self._keep_mine_clicked)
        conflict_layout = QHBoxLayout(self.conflict)
        conflict_layout.addWidget(self.conflict_text, 1)
        conflict_layout.addWidget(self.load_theirs)
        conflict_layout.addWidget(self.keep_mine)
        self.conflict.hide()

    def _build_save_row(self, save_name: str, *others: QWidget) -> QHBoxLayout:
        """The message line, then ``others``, Revert and Save."""
        self.message = QLabel("", self)
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.setObjectName("revertButton")
        self.revert_button.clicked.connect(self.reload_current)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName(save_name)
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        for widget in others:
            bottom.addWidget(widget)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)
        return bottom

    def _place(self, left: QWidget, bottom: QLayout, *, above: Sequence[QWidget] = (),
               below: Sequence[QWidget] = ()) -> None:
        """The list on the left; on the right the heading, ``above``, the conflict banner, the
        form, ``below`` and the save row."""
        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addStretch(1)
        head.addWidget(self.version_label)
        right = QVBoxLayout()
        right.setSpacing(8)
        right.addLayout(head)
        for widget in above:
            right.addWidget(widget)
        right.addWidget(self.conflict)
        right.addWidget(self.form_scroll, 1)
        for widget in below:
            right.addWidget(widget)
        right.addLayout(bottom)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(16)
        layout.addWidget(left)
        layout.addLayout(right, 1)

    # -- the list --------------------------------------------------------------------------------
    def _select_kept(self, keep: str | None, rows: Sequence[Any]) -> bool:
        """Select ``keep`` in the fresh list (else its first row, when nothing is shown yet);
        whether a row is selected."""
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and rows and self.current is None:
            row = 0
        if row >= 0:
            self.list_view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        return row >= 0

    def select(self, name_or_handle: str) -> bool:
        for i, r in enumerate(self.model.rows):
            if name_or_handle in (r.name, r.handle, r.id):
                self.list_view.selectRow(i)
                return True
        return False

    def _picked(self) -> None:
        index = self.list_view.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        if row is None or (self.current and self.current.get("id") == row.id):
            return
        if not self.may_leave():
            self._reselect_current()
            return
        self.load(row.id)

    def _reselect_current(self) -> None:
        """Put the list's selection back on the record being edited (after "Keep editing"):
        its row, or none for a new record."""
        if not self._select_kept((self.current or {}).get("id"), self.model.rows):
            self.list_view.selectionModel().clear()

    # -- edits not saved -------------------------------------------------------------------------
    def unsaved(self) -> bool:
        """Whether the form differs from what was loaded (or from a new record's defaults),
        including text typed that does not read as a value yet."""
        if self.current is None:
            return False
        values, problems = self.form.values()
        return bool(problems) or any(v != self._initial.get(k) for k, v in values.items())

    def may_leave(self) -> bool:
        """True when nothing typed would be lost, or the admin chose to discard it."""
        if not self.unsaved():
            return True
        name = self.heading.text() or f"this {self.noun}"
        return self.ask_discard(f"Discard your changes to {name}?")

    def ask_discard(self, question: str) -> bool:
        """Ask, with "Keep editing" the default (a stray Enter keeps the work)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Changes not saved", question,
                          parent=self)
        discard = box.addButton("Discard changes", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.exec()
        return box.clickedButton() is discard

    def _new_clicked(self) -> None:
        if self.may_leave():
            self.new_record()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        # Only the admin's own close (the window's title bar) asks: a lock or sign-out closes
        # the editors at once, and must not wait on a question.
        if event.spontaneous() and not self.may_leave():
            event.ignore()
            return
        super().closeEvent(event)

    # -- loading ---------------------------------------------------------------------------------
    def load(self, ident: str) -> None:
        self._generation += 1
        generation, scope = self._generation, self._scope()
        self._load_job(ident).then(
            lambda values: self._show(generation, values, scope=scope),
            lambda exc: self._say(describe(exc).text, error=True), owner=self)

    def reload_current(self) -> None:
        if self.current and self.current.get("id"):
            self.load(self.current["id"])
        else:
            self.new_record()

    def _show(self, generation: int, values: dict[str, Any], *, new: bool = False,
              scope: str | None = None) -> None:
        """Show ``values`` unless a later load has begun (or, with ``scope``, another list)."""
        if generation != self._generation or (scope is not None and scope != self._scope()):
            return
        self.current = {**values, "id": None} if new else values
        self.form.load(values)
        self._initial, _ = self.form.values()
        self._conflict_version = None
        self._sync_seq = None
        self.load_theirs.setText(LOAD_THEIRS)
        self.keep_mine.setText(SAVE_MINE_OVER)
        self.conflict.hide()
        self._say("")
        self._showing(values, new=new)
        if new:
            self.heading.setText(self._new_heading())
            self.version_label.setText("")
        else:
            self.heading.setText(values.get("name") or "")
            self.version_label.setText(f"Version {values.get('version')}  ·  {values.get('handle')}")
        self.form_scroll.verticalScrollBar().setValue(0)
        self.loaded.emit("" if new else values.get("id") or "")

    # -- saving ----------------------------------------------------------------------------------
    def changed_values(self) -> tuple[dict[str, Any], dict[str, str]]:
        values, problems = self.form.values()
        if self.current is None or self.current.get("id") is None:
            return {k: v for k, v in values.items() if v not in (None, [], "")}, problems
        return {k: v for k, v in values.items() if v != self._initial.get(k)}, problems

    def save(self, *, expected_version: int | None = None) -> None:
        actor = self.state.actor
        if actor is None or self.current is None:
            return
        data, problems = self.changed_values()
        if problems:
            self.form.show_errors(problems)
            self._say("Please fix the fields marked in red.", error=True)
            return
        ident = self.current.get("id")
        if ident is not None and not data:
            self._say("Nothing has changed.")
            return
        version = expected_version if expected_version is not None else self.current.get("version")
        scope = self._scope()
        self._attempted = data
        self.save_button.setEnabled(False)
        self._say("Saving…")
        self._save_job(actor, ident, data, version).then(
            lambda values: self._saved(scope, values), self._save_failed, owner=self)

    def save_over(self) -> None:
        if self._conflict_version is not None:
            self.save(expected_version=self._conflict_version)

    def _saved(self, scope: str, values: dict[str, Any]) -> None:
        self.save_button.setEnabled(True)
        if scope != self._scope():
            return
        self._generation += 1
        self._show(self._generation, values)
        self._say(f"Saved {values.get('name')} (version {values.get('version')}).")
        self.refresh_list(select=values.get("id"))
        self.saved.emit(values.get("id") or "")

    def _save_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, VersionConflict):
            self._conflict_version = exc.actual
            self.conflict_text.setText(f"{exc.message}. Load their version, or save yours over it.")
            self.conflict.show()
            self._say(f"Not saved: someone else changed this {self.noun}.", error=True)
            ident = self.current.get("id") if self.current else None
            if ident is not None:  # show both versions side by side (SPEC §6)
                mine, base = dict(self._attempted), dict(self.current or {})
                self._load_job(ident).then(
                    lambda theirs: self._show_both(exc, base, mine, theirs), owner=self)
            return
        self._show_failure("Not saved", exc)

    def _show_failure(self, what: str, exc: BaseException) -> None:
        """The engine's messages under the fields they name; the rest on the message line."""
        message = describe(exc)
        if message.fields:
            unplaced = self.form.show_errors({k: " ".join(v) for k, v in message.fields.items()})
            self._say(f"{what}. " + ("; ".join(unplaced) if unplaced else
                                     "Please fix the fields marked in red."), error=True)
        else:
            self._say(f"{what}: {message.text}", error=True)

    def _show_both(self, exc: VersionConflict, base: dict[str, Any], mine: dict[str, Any],
                   theirs: dict[str, Any]) -> None:
        if not self.conflict.isVisible():
            return
        rows = self._conflict_rows(base, mine, theirs)
        self.conflict_text.setText(
            f"{html.escape(exc.message)}."
            + conflict_table(rows, "Yours", f"Theirs (version {exc.actual})")
            + "Load their version, or save yours over it.")

    # -- a conflict found at sync time (SPEC §6) -------------------------------------------------
    def _fetch_sync_conflict(self, ident: str, seq: int) -> None:
        """Show this till's refused edit beside the hub's version, to keep one."""
        scope = self._scope()
        self.state.submit(self.conflict_calls.load, seq).then(
            lambda pair: self._show_sync_conflict(ident, seq, *pair, scope=scope),
            lambda exc: self._say(describe(exc).text, error=True), owner=self)

    def _show_sync_conflict(self, ident: str, seq: int, mine: dict[str, Any],
                            theirs: dict[str, Any], *, scope: str) -> None:
        self._generation += 1
        self._show(self._generation, theirs, scope=scope)
        self.select(ident)
        self._sync_seq = seq
        rows = self._conflict_rows(theirs, mine, theirs)
        self.conflict_text.setText(
            f"Another admin changed {html.escape(theirs.get('name') or f'this {self.noun}')} at "
            f"the hub before this till's edit arrived, so the hub refused it."
            + conflict_table(rows, "Yours (not saved at the hub)",
                             f"Theirs (version {theirs.get('version')})")
            + "Keep one: the form shows theirs.")
        self.load_theirs.setText("Take theirs")
        self.keep_mine.setText("Keep mine")
        self.conflict.show()
        self._say("Choose which version to keep.")

    def _load_theirs_clicked(self) -> None:
        self._keep("theirs", self.conflict_calls.take_theirs, self.reload_current)

    def _keep_mine_clicked(self) -> None:
        self._keep("mine", self.conflict_calls.keep_mine, self.save_over)

    def _keep(self, kept: str, call: Callable[[Clienteling, Actor, int], dict[str, Any] | None],
              after_a_save: Callable[[], None]) -> None:
        """Settle the edit the hub refused at sync time with ``call``; the banner after a refused
        save (no such edit) does ``after_a_save`` instead."""
        seq, actor = self._sync_seq, self.state.actor
        if seq is None or actor is None:
            after_a_save()
            return
        self.state.submit(call, actor, seq).then(
            lambda values: self._sync_resolved(seq, kept, values),
            lambda exc: self._say(f"Not resolved: {describe(exc).text}", error=True), owner=self)

    def _sync_resolved(self, seq: int, kept: str, values: dict[str, Any] | None) -> None:
        if values is not None:
            self._generation += 1
            self._show(self._generation, values)
            self._say(f"Kept yours over the hub's version (now version {values.get('version')}); "
                      "it goes to the hub at the next sync.")
        else:  # the form already shows theirs
            self._sync_seq = None
            self.conflict.hide()
            self._say("The hub's version stands.")
        self.resolved.emit(seq, kept)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("error", error)
        repolish(self.message)
