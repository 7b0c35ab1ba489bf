"""The admin's definitions editor (SPEC §5, UX "Dialogs"): every field of the benefit and
reward definitions in sections, conditions as JSON with live validation and a "try against
this profile" check, the claim timeframe as a weekly table — saved through the engine with the
version it was based on, so a change made elsewhere is a conflict shown in words, never
silently overwritten. Works offline: it only talks to the local engine."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QPushButton,
    QScrollArea,
    QTabBar,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.permissions import Actor
from clienteling.ui.common.tables import make_table
from clienteling.ui.common.versioned_editor import ConflictCalls, VersionedEditor
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
from clienteling.ui.worker import Job


class DefinitionsEditor(VersionedEditor):
    """A window of its own, next to the till."""

    listed = Signal(str)  # kind
    #: "Reactions…": the reactions editor, beside this one (SPEC 3.9 RX1)
    reactions_requested = Signal()

    noun = "definition"
    conflict_calls = ConflictCalls(load_definition_conflict, take_theirs, keep_mine_over_theirs)

    def __init__(self, state: AppState, *, profile_source: ProfileSource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setObjectName("definitionsEditor")
        self.setWindowTitle("Definitions — Clienteling")
        self.resize(1180, 820)
        self._profile_source = profile_source
        self.kind = "benefit"

        # -- list ---------------------------------------------------------------------------
        self.kind_tabs = QTabBar(self)
        self.kind_tabs.setObjectName("definitionKindTabs")
        self.kind_tabs.addTab("Benefits")
        self.kind_tabs.addTab("Rewards")
        self.kind_tabs.setExpanding(True)
        self.kind_tabs.currentChanged.connect(self._kind_picked)
        self.model = DefinitionsModel(self)
        self.list_view = make_table("definitionsList", self.model, self)
        self.list_view.selectionModel().currentRowChanged.connect(lambda *_: self._picked())
        self.new_button = QPushButton("New definition", self)
        self.new_button.setObjectName("newDefinitionButton")
        self.new_button.clicked.connect(self._new_clicked)
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
        self._build_head()
        tz = state.timezone
        self.forms = {k: DefinitionForm(k, tz, profile_source, self) for k in ("benefit", "reward")}
        self.form_scroll = QScrollArea(self)
        self.form_scroll.setObjectName("definitionScroll")
        self.form_scroll.setWidgetResizable(True)
        self.form_holder = QWidget(self.form_scroll)
        holder_layout = QVBoxLayout(self.form_holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        for form in self.forms.values():
            holder_layout.addWidget(form)
        self.form_scroll.setWidget(self.form_holder)
        self._place(left_box, self._build_save_row("saveDefinitionButton"))

        state.worker.changed.connect(self._engine_changed)
        self.show_kind("benefit")

    # -- which form ------------------------------------------------------------------------------
    @property
    def form(self) -> DefinitionForm:
        return self.forms[self.kind]

    def field(self, name: str) -> Field:
        return self.form.fields[name]

    def _scope(self) -> str:
        return self.kind

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.update_try_buttons()

    def update_try_buttons(self) -> None:
        """Name the open profile on the "try" buttons (it may have changed since)."""
        profile = self._profile_source() if self._profile_source else None
        for form in self.forms.values():
            for field in form.fields.values():
                field.name_profile(profile)

    def _kind_picked(self, index: int) -> None:
        kind = "benefit" if index == 0 else "reward"
        if kind != self.kind and not self.may_leave():
            blocked = self.kind_tabs.blockSignals(True)
            self.kind_tabs.setCurrentIndex(0 if self.kind == "benefit" else 1)
            self.kind_tabs.blockSignals(blocked)
            return
        self.show_kind(kind)

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
        if not self._select_kept(keep, rows) and not rows:
            self.new_record()
        self.listed.emit(kind)

    # -- loading ---------------------------------------------------------------------------------
    def _load_job(self, ident: str) -> Job[dict[str, Any]]:
        return self.state.submit(load_definition, self.kind, ident)

    def new_record(self) -> None:
        """A new definition of the kind the list shows, with its defaults."""
        self._generation += 1
        defaults = BENEFIT_DEFAULTS if self.kind == "benefit" else REWARD_DEFAULTS
        self._show(self._generation, dict(defaults), new=True)
        self.list_view.clearSelection()

    def _new_heading(self) -> str:
        return f"New {'benefit' if self.kind == 'benefit' else 'reward'} definition"

    def _engine_changed(self, changes: Any) -> None:
        if "definitions" in changes.areas:
            self.refresh_list()

    # -- saving ----------------------------------------------------------------------------------
    def _save_job(self, actor: Actor, ident: str | None, data: dict[str, Any],
                  version: int | None) -> Job[dict[str, Any]]:
        return self.state.submit(save_definition, actor, self.kind, ident, data, version)

    # -- a conflict found at sync time (SPEC §6) -------------------------------------------------
    def resolve_sync_conflict(self, kind: str, ident: str, seq: int) -> None:
        """Show this till's refused edit beside the hub's version, to keep one."""
        self.show_kind(kind)
        self._fetch_sync_conflict(ident, seq)
