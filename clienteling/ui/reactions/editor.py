"""The admin's reactions editor (SPEC 3.9 RX1, RX6, §5): beside the definitions editor and
working like it — offline, on the local engine, saved with the version it was based on so a
change made elsewhere is a conflict shown side by side, never silently overwritten.

The list says what each reaction does in words and why one does not fire (its definition
archived); the form takes the trigger as a form, the condition as JSON checked as you type,
the effect as a definition picked from a list. **Dry run** counts who it would fire for now:
at the hub when the till is connected, else on the till's own data, labelled so."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.errors import ValidationError, VersionConflict
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.confirm import ConfirmDialog, ask
from clienteling.ui.common.errors import describe
from clienteling.ui.common.polish import repolish
from clienteling.ui.common.tables import make_table
from clienteling.ui.definitions.editor import conflict_rows
from clienteling.ui.definitions.form import ProfileSource
from clienteling.ui.operations.reactions import (
    DryRun,
    EffectChoice,
    ReactionRow,
    archive_reaction,
    dry_run_here,
    keep_mine_over_theirs,
    load_effect_choices,
    load_reaction,
    load_reaction_conflict,
    load_reactions,
    save_reaction,
    take_theirs,
)
from clienteling.ui.reactions.form import NEW_REACTION, ReactionForm
from clienteling.ui.reactions.model import PROBLEM_COLUMN, ReactionsModel
from clienteling.ui.reactions.words import effect_words, limit_words, trigger_words
from clienteling.ui.state import AppState
from clienteling.ui.sync.controller import SyncController

#: the label of a dry run counted on the till (SPEC RX6: the hub holds every store's customers)
NOT_CONNECTED = "On this till's data — not connected to the hub"
HUB_FAILED = "On this till's data — the hub could not be asked"
SAMPLE_SHOWN = 10


def dry_run_words(result: DryRun, tz: str) -> str:
    """"Would fire for 12 customers now (as of 2 Mar 2026 11:00): Jane Citizen, …" and where."""
    who = "customer" if result.count == 1 else "customers"
    head = f"Would fire for {result.count:,} {who} now (as of {fmt.day_time(result.as_of, tz)})"
    names = ", ".join(result.names[:SAMPLE_SHOWN])
    more = result.count - min(len(result.names), SAMPLE_SHOWN)
    if names:
        head += f": {names}" + (f" and {more:,} more" if more > 0 else "")
    where = "At the hub, over every store's customers" if result.at_hub else (result.note or NOT_CONNECTED)
    return f"{head}.\n{where}. Nothing was issued."


class ReactionsEditor(QWidget):
    """A window of its own, next to the till and the definitions editor."""

    saved = Signal(str)  # reaction id
    loaded = Signal(str)  # reaction id ("" for a new one)
    listed = Signal()
    #: a dry run's words are shown
    dry_run_done = Signal(str)
    #: a conflict the hub found at sync time was resolved: (outbox seq, "mine" | "theirs")
    resolved = Signal(int, str)

    def __init__(self, state: AppState, *, sync: SyncController | None = None,
                 profile_source: ProfileSource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("reactionsEditor")
        self.setWindowTitle("Reactions — Clienteling")
        self.resize(1320, 820)
        self.state = state
        self._sync = sync
        self._profile_source = profile_source
        self.current: dict[str, Any] | None = None
        self._initial: dict[str, Any] = {}
        self._generation = 0
        self._dry_generation = 0
        self._conflict_version: int | None = None
        self._attempted: dict[str, Any] = {}
        self.last_dry_run: DryRun | None = None
        self._sync_seq: int | None = None  # the refused edit being resolved, if any

        # -- list ---------------------------------------------------------------------------
        title = QLabel("Reactions", self)
        title.setObjectName("dialogTitle")
        subtitle = QLabel("Benefits and rewards that issue themselves", self)
        subtitle.setObjectName("dialogSubtitle")
        self.model = ReactionsModel(self)
        self.list_view = make_table("reactionsList", self.model, self, stretch=1)
        self.list_view.selectionModel().currentRowChanged.connect(lambda *_: self._picked())
        self.new_button = QPushButton("New reaction", self)
        self.new_button.setObjectName("newReactionButton")
        self.new_button.clicked.connect(self.new_reaction)
        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(title)
        left.addWidget(subtitle)
        left.addWidget(self.list_view, 1)
        left.addWidget(self.new_button)
        left_box = QWidget(self)
        left_box.setObjectName("reactionsListPane")
        left_box.setLayout(left)
        left_box.setFixedWidth(600)

        # -- form ---------------------------------------------------------------------------
        self.heading = QLabel("", self)
        self.heading.setObjectName("dialogTitle")
        self.version_label = QLabel("", self)
        self.version_label.setObjectName("dialogSubtitle")
        self.problem = QLabel("", self)
        self.problem.setObjectName("reactionProblem")
        self.problem.setProperty("fieldError", True)
        self.problem.setWordWrap(True)
        self.problem.hide()
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

        self.form = ReactionForm(state.timezone, profile_source, self)
        self.form_scroll = QScrollArea(self)
        self.form_scroll.setObjectName("reactionScroll")
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setWidget(self.form)

        self.dry_result = QLabel("", self)
        self.dry_result.setObjectName("dryRunResult")
        self.dry_result.setWordWrap(True)
        self.dry_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dry_result.hide()
        self.message = QLabel("", self)
        self.message.setObjectName("formMessage")
        self.message.setWordWrap(True)
        self.dry_button = QPushButton("Dry run", self)
        self.dry_button.setObjectName("dryRunButton")
        self.dry_button.setToolTip("How many customers it would fire for now; nothing is issued")
        self.dry_button.clicked.connect(self.dry_run)
        self.archive_button = QPushButton("Archive…", self)
        self.archive_button.setObjectName("archiveReactionButton")
        self.archive_button.setToolTip("It never fires again; what it issued stays")
        self.archive_button.clicked.connect(self.ask_archive)
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.setObjectName("revertButton")
        self.revert_button.clicked.connect(self.reload_current)
        self.save_button = QPushButton("Save", self)
        self.save_button.setObjectName("saveReactionButton")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.archive_button)
        bottom.addWidget(self.dry_button)
        bottom.addWidget(self.revert_button)
        bottom.addWidget(self.save_button)

        head = QHBoxLayout()
        head.addWidget(self.heading)
        head.addStretch(1)
        head.addWidget(self.version_label)
        right = QVBoxLayout()
        right.setSpacing(8)
        right.addLayout(head)
        right.addWidget(self.problem)
        right.addWidget(self.conflict)
        right.addWidget(self.form_scroll, 1)
        right.addWidget(self.dry_result)
        right.addLayout(bottom)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(16)
        layout.addWidget(left_box)
        layout.addLayout(right, 1)

        state.worker.changed.connect(self._engine_changed)
        self.refresh_choices()
        self.refresh_list()

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.update_try_button()

    def update_try_button(self) -> None:
        """Name the open profile on the "try" button (it may have changed since)."""
        profile = self._profile_source() if self._profile_source else None
        field = self.form.fields["condition"]
        if field.try_button is not None:
            field.try_button.setText(f"Try against {profile[0]}" if profile
                                     else "Try against the open profile")
            field.try_button.setToolTip(
                "" if profile else "Open a customer's profile in the main window first")

    # -- the list --------------------------------------------------------------------------------
    def refresh_list(self, select: str | None = None) -> None:
        self.state.submit(load_reactions).then(lambda rows: self._listed(rows, select), owner=self)

    def refresh_choices(self) -> None:
        self.state.submit(load_effect_choices).then(self._choices, owner=self)

    def _choices(self, choices: list[EffectChoice]) -> None:
        self.form.effect.set_choices(choices)

    def _listed(self, rows: list[ReactionRow], select: str | None) -> None:
        keep = select or (self.current or {}).get("id")
        self.model.set_rows(rows)
        # The Problem column only when a reaction has one: the trigger's words need the room.
        self.list_view.setColumnHidden(PROBLEM_COLUMN, not any(r.problem for r in rows))
        shown = next((r for r in rows if r.id == (self.current or {}).get("id")), None)
        if shown is not None:  # its definition may have been archived since it was loaded
            self._show_problem(shown.problem)
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and rows and self.current is None:
            row = 0
        if row >= 0:
            self.list_view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        elif not rows and self.current is None:
            self.new_reaction()
        self.listed.emit()

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

    def _engine_changed(self, changes: Any) -> None:
        if "definitions" in changes.areas:  # reactions are edited and synced with definitions
            self.refresh_choices()
            self.refresh_list()

    # -- loading ---------------------------------------------------------------------------------
    def load(self, ident: str) -> None:
        self._generation += 1
        generation = self._generation
        self.state.submit(load_reaction, ident).then(
            lambda values: self._show(generation, values),
            lambda exc: self._say(describe(exc).text, error=True), owner=self)

    def reload_current(self) -> None:
        if self.current and self.current.get("id"):
            self.load(self.current["id"])
        else:
            self.new_reaction()

    def new_reaction(self) -> None:
        self._generation += 1
        self._show(self._generation, dict(NEW_REACTION), new=True)
        self.list_view.clearSelection()

    def _show(self, generation: int, values: dict[str, Any], *, new: bool = False) -> None:
        if generation != self._generation:
            return
        self.current = {**values, "id": None} if new else values
        self.form.load(values)
        self._initial, _ = self.form.values()
        self._conflict_version = None
        self._sync_seq = None
        self.load_theirs.setText("Load their version")
        self.keep_mine.setText("Save mine over it")
        self.conflict.hide()
        self.dry_result.hide()
        self._say("")
        self._show_problem(values.get("problem"))
        self.archive_button.setVisible(not new and not values.get("archived"))
        if new:
            self.heading.setText("New reaction")
            self.version_label.setText("")
        else:
            self.heading.setText(values.get("name") or "")
            self.version_label.setText(f"Version {values.get('version')}  ·  {values.get('handle')}")
        self.form_scroll.verticalScrollBar().setValue(0)
        self.update_try_button()
        self.loaded.emit("" if new else values.get("id") or "")

    def _show_problem(self, problem: str | None) -> None:
        self.problem.setText(f"⚠ Not firing: {problem}" if problem else "")
        self.problem.setVisible(bool(problem))

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
        self._attempted = data
        self.save_button.setEnabled(False)
        self._say("Saving…")
        self.state.submit(save_reaction, actor, ident, data, version).then(
            self._saved, self._save_failed, owner=self)

    # -- archiving -------------------------------------------------------------------------------
    def ask_archive(self) -> ConfirmDialog | None:
        current = self.current or {}
        if not current.get("id") or current.get("archived"):
            return None
        return ask(self, "Archive this reaction?",
                   f"{current.get('name')} will never issue anything again. What it has issued "
                   "stays with the customers.", "Archive", self.archive, danger=True)

    def archive(self) -> None:
        actor, current = self.state.actor, self.current or {}
        if actor is None or not current.get("id"):
            return
        self._say("Archiving…")
        self.state.submit(archive_reaction, actor, current["id"], current.get("version")).then(
            self._archived, self._save_failed, owner=self)

    def _archived(self, values: dict[str, Any]) -> None:
        self._generation += 1
        self._show(self._generation, values)
        self._say(f"Archived {values.get('name')}: it no longer fires.")
        self.refresh_list(select=values.get("id"))
        self.saved.emit(values.get("id") or "")

    # -- a conflict found at sync time (SPEC §6) -------------------------------------------------
    def resolve_sync_conflict(self, ident: str, seq: int) -> None:
        """Show this till's refused edit beside the hub's version, to keep one."""
        self.state.submit(load_reaction_conflict, seq).then(
            lambda pair: self._show_sync_conflict(ident, seq, *pair),
            lambda exc: self._say(describe(exc).text, error=True), owner=self)

    def _show_sync_conflict(self, ident: str, seq: int, mine: dict[str, Any],
                            theirs: dict[str, Any]) -> None:
        self._generation += 1
        self._show(self._generation, theirs)
        self.select(ident)
        self._sync_seq = seq
        rows = conflict_rows(self.readable(theirs), self.readable(mine),
                             self.readable({k: v for k, v in theirs.items() if k != "problem"}))
        self.conflict_text.setText(
            f"Another admin changed {html.escape(theirs.get('name') or 'this reaction')} at the "
            f"hub before this till's edit arrived, so the hub refused it."
            + self._table(rows, "Yours (not saved at the hub)",
                          f"Theirs (version {theirs.get('version')})")
            + "Keep one: the form shows theirs.")
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
            self._show(self._generation, values)
            self._say(f"Kept yours over the hub's version (now version {values.get('version')}); "
                      "it goes to the hub at the next sync.")
        else:  # the form already shows theirs
            self._sync_seq = None
            self.conflict.hide()
            self._say("The hub's version stands.")
        self.resolved.emit(seq, kept)

    @staticmethod
    def _table(rows: list[tuple[str, str, str]], yours: str, theirs: str) -> str:
        body = "".join(
            f"<tr><td><b>{html.escape(label)}</b></td><td>{html.escape(mine)}</td>"
            f"<td>{html.escape(other)}</td></tr>" for label, mine, other in rows)
        return (f"<table cellspacing='6'><tr><th align='left'>Field</th><th align='left'>"
                f"{html.escape(yours)}</th><th align='left'>{html.escape(theirs)}</th></tr>"
                f"{body}</table>")

    def save_over(self) -> None:
        if self._conflict_version is not None:
            self.save(expected_version=self._conflict_version)

    def _saved(self, values: dict[str, Any]) -> None:
        self.save_button.setEnabled(True)
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
            self._say("Not saved: someone else changed this reaction.", error=True)
            ident = self.current.get("id") if self.current else None
            if ident is not None:  # both versions side by side (SPEC §6), as definitions do
                mine, base = dict(self._attempted), dict(self.current or {})
                self.state.submit(load_reaction, ident).then(
                    lambda theirs: self._show_both(exc, base, mine, theirs), owner=self)
            return
        self._show_failure("Not saved", exc)

    def _show_failure(self, what: str, exc: BaseException) -> None:
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
        rows = conflict_rows(self.readable(base), self.readable(mine),
                             self.readable({k: v for k, v in theirs.items() if k != "problem"}))
        self.conflict_text.setText(
            f"{html.escape(exc.message)}."
            + self._table(rows, "Yours", f"Theirs (version {exc.actual})")
            + "Load their version, or save yours over it.")

    def readable(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with the trigger, effect and limit in words, for the side-by-side table."""
        out = dict(values)
        if "trigger" in out:
            out["trigger"] = trigger_words(out["trigger"])
        if "limit" in out:
            out["limit"] = limit_words(out["limit"])
        if "effect" in out:
            out["effect"] = effect_words(out["effect"], self.form.effect.choices)
        return out

    # -- dry run (RX6) ---------------------------------------------------------------------------
    def hub_online(self) -> bool:
        """Whether the last sync cycle reached the hub: only then is the hub asked."""
        last = self._sync.last if self._sync is not None else None
        return bool(last is not None and last.report is not None and last.report.online
                    and not self.state.standalone)

    def dry_run(self) -> None:
        actor = self.state.actor
        if actor is None:
            return
        values, problems = self.form.values()
        if problems:
            self.form.show_errors(problems)
            self._say("Please fix the fields marked in red.", error=True)
            return
        body = {k: v for k, v in values.items() if v not in (None, [], "")}
        # A reaction not yet named can be counted all the same: the name and handle do not
        # change who it fires for.
        body.setdefault("name", "Dry run")
        body.setdefault("handle", "dry-run")
        self._dry_generation += 1
        generation = self._dry_generation
        self.form.show_errors({})
        self.dry_button.setEnabled(False)
        self._say("Counting…")
        if self._sync is not None and self.hub_online() and self.state.network is not None:
            link = self._sync.link
            self.state.network.submit(link.dry_run_reaction, self.state.engine, actor.staff_id,
                                      body).then(
                lambda result: self._hub_answered(generation, body, result),
                lambda exc: self._hub_failed(generation, body, exc), owner=self)
        else:
            self._run_here(generation, body, NOT_CONNECTED)

    def _hub_answered(self, generation: int, body: dict[str, Any], result: Any) -> None:
        if generation != self._dry_generation:
            return
        if result is None:  # no hub or token any more
            self._run_here(generation, body, NOT_CONNECTED)
            return
        self._dry_ran(generation, DryRun(result.count, tuple(n for _p, n in result.sample),
                                         result.as_of, at_hub=True))

    def _hub_failed(self, generation: int, body: dict[str, Any], exc: BaseException) -> None:
        if generation != self._dry_generation:
            return
        if isinstance(exc, ValidationError):  # the hub judged the body: same words as a save
            self.dry_button.setEnabled(True)
            self._show_failure("Not counted", exc)
            return
        reason = getattr(exc, "message", "") or describe(exc).text
        self._run_here(generation, body, f"{HUB_FAILED} ({reason.rstrip('.')})")

    def _run_here(self, generation: int, body: dict[str, Any], note: str) -> None:
        actor = self.state.actor
        if actor is None:
            return
        self.state.submit(dry_run_here, actor, body, note).then(
            lambda result: self._dry_ran(generation, result),
            lambda exc: self._dry_failed(generation, exc), owner=self)

    def _dry_ran(self, generation: int, result: DryRun) -> None:
        if generation != self._dry_generation:
            return
        self.dry_button.setEnabled(True)
        self.last_dry_run = result
        text = dry_run_words(result, self.state.timezone)
        self.dry_result.setText(text)
        self.dry_result.setProperty("local", not result.at_hub)
        repolish(self.dry_result)
        self.dry_result.show()
        self._say("")
        self.dry_run_done.emit(text)

    def _dry_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._dry_generation:
            return
        self.dry_button.setEnabled(True)
        self._show_failure("Not counted", exc)

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setProperty("error", error)
        repolish(self.message)
