"""The admin's definitions editor (SPEC §5, UX "Dialogs"): every field of the benefit and
reward definitions in sections, conditions as JSON with live validation and a "try against
this profile" check, the claim timeframe as a weekly table — saved through the engine with the
version it was based on, so a change made elsewhere is a conflict shown in words, never
silently overwritten. Works offline: it only talks to the local engine."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.errors import VersionConflict
from clienteling.ui.common.errors import describe, field_label
from clienteling.ui.common.polish import repolish
from clienteling.ui.common.tables import make_table
from clienteling.ui.definitions.fields import (
    BENEFIT_DEFAULTS,
    REWARD_DEFAULTS,
)
from clienteling.ui.definitions.form import DefinitionForm, Field, ProfileSource
from clienteling.ui.definitions.model import DefinitionsModel
from clienteling.ui.operations.definitions import (
    DefinitionRow,
    keep_mine_over_theirs,
    load_definition,
    load_definition_conflict,
    load_definitions,
    save_definition,
    take_theirs,
)
from clienteling.ui.state import AppState

_SERVER_SET = ("version", "updated_at", "created_at", "total_global_redemptions", "total_issued")


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


# -- the window --------------------------------------------------------------------------------

class DefinitionsEditor(QWidget):
    """A window of its own, next to the till."""

    saved = Signal(str)  # definition id
    loaded = Signal(str)  # definition id ("" for a new one)
    listed = Signal(str)  # kind
    #: a conflict the hub found at sync time was resolved: (outbox seq, "mine" | "theirs")
    resolved = Signal(int, str)
    #: "Reactions…": the reactions editor, beside this one (SPEC 3.9 RX1)
    reactions_requested = Signal()

    def __init__(self, state: AppState, *, profile_source: ProfileSource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("definitionsEditor")
        self.setWindowTitle("Definitions — Clienteling")
        self.resize(1180, 820)
        self.state = state
        self._profile_source = profile_source
        self.kind = "benefit"
        self.current: dict[str, Any] | None = None
        self._initial: dict[str, Any] = {}
        self._dirty = False
        self._generation = 0
        self._conflict_version: int | None = None
        self._attempted: dict[str, Any] = {}
        self._sync_seq: int | None = None  # the refused edit being resolved, if any

        # -- list ---------------------------------------------------------------------------
        self.kind_tabs = QTabBar(self)
        self.kind_tabs.setObjectName("definitionKindTabs")
        self.kind_tabs.addTab("Benefits")
        self.kind_tabs.addTab("Rewards")
        self.kind_tabs.setExpanding(True)
        self.kind_tabs.currentChanged.connect(
            lambda i: self.show_kind("benefit" if i == 0 else "reward"))
        self.model = DefinitionsModel(self)
        self.list_view = make_table("definitionsList", self.model, self)
        self.list_view.selectionModel().currentRowChanged.connect(lambda *_: self._picked())
        self.new_button = QPushButton("New definition", self)
        self.new_button.setObjectName("newDefinitionButton")
        self.new_button.clicked.connect(self.new_definition)
        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(self.kind_tabs)
        left.addWidget(self.list_view, 1)
        left.addWidget(self.new_button)
        self.reactions_button = QPushButton("Reactions…  (Ctrl+Shift+E)", self)
        self.reactions_button.setObjectName("openReactionsButton")
        self.reactions_button.setToolTip("Benefits and rewards that issue themselves")
        self.reactions_button.clicked.connect(self.reactions_requested.emit)
        left.addWidget(self.reactions_button)
        left_box = QWidget(self)
        left_box.setObjectName("definitionsListPane")
        left_box.setLayout(left)
        left_box.setFixedWidth(300)

        # -- form ---------------------------------------------------------------------------
        self.heading = QLabel("", self)
        self.heading.setObjectName("dialogTitle")
        self.version_label = QLabel("", self)
        self.version_label.setObjectName("dialogSubtitle")
        self.conflict = QFrame(self)
        self.conflict.setObjectName("conflictBanner")
        self.conflict_text = QLabel("", self.conflict)
        self.conflict_text.setWordWrap(True)
        self.load_theirs = QPushButton("Load their version", self.conflict)
        self.load_theirs.setObjectName("loadTheirsButton")
        self.load_theirs.clicked.connect(self._load_theirs_clicked)
        self.keep_mine = QPushButton("Save mine over it", self.conflict)
        self.keep_mine.setObjectName("keepMineButton")
        self.keep_mine.clicked.connect(self._keep_mine_clicked)
        conflict_layout = QHBoxLayout(self.conflict)
        conflict_layout.addWidget(self.conflict_text, 1)
        conflict_layout.addWidget(self.load_theirs)
        conflict_layout.addWidget(self.keep_mine)
        self.conflict.hide()

        tz = state.timezone
        self.forms = {k: DefinitionForm(k, tz, profile_source, self) for k in ("benefit", "reward")}
        self.form_scroll = QScrollArea(self)
        self.form_scroll.setObjectName("definitionScroll")
        self.form_scroll.setWidgetResizable(True)
        self.form_holder = QWidget(self.form_scroll)
        holder_layout = QVBoxLayout(self.form_holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        for form in self.forms.values():
            form.edited.connect(self._edited)
            holder_layout.addWidget(form)
        self.form_scroll.setWidget(self.form_holder)

        self.message = QLabel("", self)
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.setObjectName("revertButton")
        self.revert_button.clicked.connect(self.reload_current)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("saveDefinitionButton")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)

        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addStretch(1)
        head.addWidget(self.version_label)
        right = QVBoxLayout()
        right.setSpacing(8)
        right.addLayout(head)
        right.addWidget(self.conflict)
        right.addWidget(self.form_scroll, 1)
        right.addLayout(bottom)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(16)
        layout.addWidget(left_box)
        layout.addLayout(right, 1)

        state.worker.changed.connect(self._engine_changed)
        self.show_kind("benefit")

    # -- which form ------------------------------------------------------------------------------
    @property
    def form(self) -> DefinitionForm:
        return self.forms[self.kind]

    def field(self, name: str) -> Field:
        return self.form.fields[name]

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.update_try_buttons()

    def update_try_buttons(self) -> None:
        """Name the open profile on the "try" buttons (it may have changed since)."""
        profile = self._profile_source() if self._profile_source else None
        text = f"Try against {profile[0]}" if profile else "Try against the open profile"
        for form in self.forms.values():
            for field in form.fields.values():
                if field.try_button is not None:
                    field.try_button.setText(text)
                    field.try_button.setToolTip(
                        "" if profile else "Open a customer's profile in the main window first")

    def show_kind(self, kind: str) -> None:
        self.kind = kind
        index = 0 if kind == "benefit" else 1
        if self.kind_tabs.currentIndex() != index:
            self.kind_tabs.setCurrentIndex(index)
            return
        for k, form in self.forms.items():
            form.setVisible(k == kind)
        self.current = None
        self.refresh_list()

    def refresh_list(self, select: str | None = None) -> None:
        kind = self.kind
        self.state.submit(load_definitions, kind).then(
            lambda rows: self._listed(kind, rows, select), owner=self)

    def _listed(self, kind: str, rows: list[DefinitionRow], select: str | None) -> None:
        if kind != self.kind:
            return
        keep = select or (self.current or {}).get("id")
        self.model.set_rows(rows)
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and rows and self.current is None:
            row = 0
        if row >= 0:
            self.list_view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        elif not rows:
            self.new_definition()
        self.listed.emit(kind)

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
        self.load(row.id)

    # -- loading ---------------------------------------------------------------------------------
    def load(self, ident: str) -> None:
        self._generation += 1
        generation = self._generation
        kind = self.kind
        self.state.submit(load_definition, kind, ident).then(
            lambda values: self._show(generation, kind, values),
            lambda exc: self._say(describe(exc).text, error=True), owner=self)

    def reload_current(self) -> None:
        if self.current and self.current.get("id"):
            self.load(self.current["id"])
        else:
            self.new_definition()

    def new_definition(self) -> None:
        self._generation += 1
        defaults = BENEFIT_DEFAULTS if self.kind == "benefit" else REWARD_DEFAULTS
        self._show(self._generation, self.kind, dict(defaults), new=True)
        self.list_view.clearSelection()

    def _show(self, generation: int, kind: str, values: dict[str, Any], *, new: bool = False) -> None:
        if generation != self._generation or kind != self.kind:
            return
        self.current = values if not new else {**values, "id": None}
        self.form.load(values)
        self._initial, _ = self.form.values()
        self._dirty = False
        self._conflict_version = None
        self._sync_seq = None
        self.load_theirs.setText("Load their version")
        self.keep_mine.setText("Save mine over it")
        self.conflict.hide()
        self._say("")
        noun = "benefit" if kind == "benefit" else "reward"
        if new:
            self.heading.setText(f"New {noun} definition")
            self.version_label.setText("")
        else:
            self.heading.setText(values.get("name") or "")
            self.version_label.setText(f"Version {values.get('version')}  ·  {values.get('handle')}")
        self.form_scroll.verticalScrollBar().setValue(0)
        self.loaded.emit(values.get("id") or "" if not new else "")

    def _edited(self) -> None:
        self._dirty = True

    def _engine_changed(self, changes: Any) -> None:
        if "definitions" in changes.areas:
            self.refresh_list()

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
        kind = self.kind
        self._attempted = data
        self.save_button.setEnabled(False)
        self._say("Saving…")
        self.state.submit(save_definition, actor, kind, ident, data, version).then(
            lambda values: self._saved(kind, values), self._save_failed, owner=self)

    # -- a conflict found at sync time (SPEC §6) -------------------------------------------------
    def resolve_sync_conflict(self, kind: str, ident: str, seq: int) -> None:
        """Show this till's refused edit beside the hub's version, to keep one."""
        self.show_kind(kind)
        self.state.submit(load_definition_conflict, seq).then(
            lambda pair: self._show_sync_conflict(kind, ident, seq, *pair),
            lambda exc: self._say(describe(exc).text, error=True), owner=self)

    def _show_sync_conflict(self, kind: str, ident: str, seq: int, mine: dict[str, Any],
                            theirs: dict[str, Any]) -> None:
        self._generation += 1
        self._show(self._generation, kind, theirs)
        self.select(ident)
        self._sync_seq = seq
        rows = conflict_rows(theirs, mine, theirs)
        table = "".join(
            f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(yours)}</td>"
            f"<td>{html.escape(other)}</td></tr>" for label, yours, other in rows)
        self.conflict_text.setText(
            f"Another admin changed {html.escape(theirs.get('name') or 'this definition')} at the "
            f"hub before this till's edit arrived, so the hub refused it."
            f"<table cellspacing='6'><tr><th align='left'>Field</th><th align='left'>Yours "
            f"(not saved at the hub)</th><th align='left'>Theirs (version {theirs.get('version')}"
            f")</th></tr>{table}</table>Keep one: the form shows theirs.")
        self.load_theirs.setText("Take theirs")
        self.keep_mine.setText("Keep mine")
        self.conflict.show()
        self._say("Choose which version to keep.")

    def _load_theirs_clicked(self) -> None:
        seq, actor = self._sync_seq, self.state.actor
        if seq is None or actor is None:
            self.reload_current()
            return
        self.state.submit(take_theirs, actor, seq).then(
            lambda _none: self._sync_resolved(seq, "theirs", None),
            lambda exc: self._say(f"Not resolved: {describe(exc).text}", error=True), owner=self)

    def _keep_mine_clicked(self) -> None:
        seq, actor = self._sync_seq, self.state.actor
        if seq is None or actor is None:
            self.save_over()
            return
        self.state.submit(keep_mine_over_theirs, actor, seq).then(
            lambda values: self._sync_resolved(seq, "mine", values),
            lambda exc: self._say(f"Not resolved: {describe(exc).text}", error=True), owner=self)

    def _sync_resolved(self, seq: int, kept: str, values: dict[str, Any] | None) -> None:
        if values is not None:
            self._generation += 1
            self._show(self._generation, self.kind, values)
            self._say(f"Kept yours over the hub's version (now version {values.get('version')}); "
                      "it goes to the hub at the next sync.")
        else:  # the form already shows theirs
            self._sync_seq = None
            self.conflict.hide()
            self._say("The hub's version stands.")
        self.resolved.emit(seq, kept)

    def save_over(self) -> None:
        if self._conflict_version is not None:
            self.save(expected_version=self._conflict_version)

    def _saved(self, kind: str, values: dict[str, Any]) -> None:
        self.save_button.setEnabled(True)
        if kind != self.kind:
            return
        self._generation += 1
        self._show(self._generation, kind, values)
        self._say(f"Saved {values.get('name')} (version {values.get('version')}).")
        self.refresh_list(select=values.get("id"))
        self.saved.emit(values.get("id") or "")

    def _save_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(exc, VersionConflict):
            self._conflict_version = exc.actual
            self.conflict_text.setText(
                f"{exc.message}. Load their version, or save yours over it.")
            self.conflict.show()
            self._say("Not saved: someone else changed this definition.", error=True)
            ident = self.current.get("id") if self.current else None
            if ident is not None:  # show both versions side by side (SPEC §6)
                kind, mine, base = self.kind, dict(self._attempted), dict(self.current or {})
                self.state.submit(load_definition, kind, ident).then(
                    lambda theirs: self._show_both(exc, base, mine, theirs), owner=self)
            return
        message = describe(exc)
        if message.fields:
            unplaced = self.form.show_errors({k: " ".join(v) for k, v in message.fields.items()})
            self._say("Not saved. " + ("; ".join(unplaced) if unplaced else
                                       "Please fix the fields marked in red."), error=True)
        else:
            self._say(f"Not saved: {message.text}", error=True)

    def _show_both(self, exc: VersionConflict, base: dict[str, Any], mine: dict[str, Any],
                   theirs: dict[str, Any]) -> None:
        if not self.conflict.isVisible():
            return
        rows = conflict_rows(base, mine, theirs)
        table = "".join(
            f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(yours)}</td>"
            f"<td>{html.escape(other)}</td></tr>" for label, yours, other in rows)
        self.conflict_text.setText(
            f"{html.escape(exc.message)}.<table cellspacing='6'><tr><th align='left'>Field</th>"
            f"<th align='left'>Yours</th><th align='left'>Theirs (version {exc.actual})</th></tr>"
            f"{table}</table>Load their version, or save yours over it.")

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("error", error)
        repolish(self.message)
