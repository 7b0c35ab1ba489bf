"""The admin's reactions editor (SPEC 3.9 RX1, RX6, §5): beside the definitions editor and
working like it — offline, on the local engine, saved with the version it was based on so a
change made elsewhere is a conflict shown side by side, never silently overwritten.

The list says what each reaction does in words and why one does not fire (its definition
archived); the form takes the trigger as a form, the condition as JSON checked as you type,
the effect as a definition picked from a list. **Dry run** counts who it would fire for now:
at the hub when the till is connected, else on the till's own data, labelled so."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.errors import ValidationError
from clienteling.engine.permissions import Actor
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.confirm import ConfirmDialog, ask
from clienteling.ui.common.errors import describe
from clienteling.ui.common.polish import repolish
from clienteling.ui.common.tables import make_table
from clienteling.ui.common.versioned_editor import ConflictCalls, VersionedEditor, conflict_rows
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
from clienteling.ui.worker import Job

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


class ReactionsEditor(VersionedEditor):
    """A window of its own, next to the till and the definitions editor."""

    listed = Signal()
    #: a dry run's words are shown
    dry_run_done = Signal(str)

    noun = "reaction"
    conflict_calls = ConflictCalls(load_reaction_conflict, take_theirs, keep_mine_over_theirs)

    def __init__(self, state: AppState, *, sync: SyncController | None = None,
                 profile_source: ProfileSource | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(state, parent)
        self.setObjectName("reactionsEditor")
        self.setWindowTitle("Reactions — Clienteling")
        self.resize(1320, 820)
        self._sync = sync
        self._profile_source = profile_source
        self._dry_generation = 0
        self.last_dry_run: DryRun | None = None

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
        self.new_button.clicked.connect(self._new_clicked)
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
        self._build_head()
        self.problem = QLabel("", self)
        self.problem.setObjectName("reactionProblem")
        self.problem.setProperty("fieldError", True)
        self.problem.setWordWrap(True)
        self.problem.hide()

        self._form = ReactionForm(state.timezone, profile_source, self)
        self.form_scroll = QScrollArea(self)
        self.form_scroll.setObjectName("reactionScroll")
        self.form_scroll.setWidgetResizable(True)
        self.form_scroll.setWidget(self._form)

        self.dry_result = QLabel("", self)
        self.dry_result.setObjectName("dryRunResult")
        self.dry_result.setWordWrap(True)
        self.dry_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dry_result.hide()
        self.dry_button = QPushButton("Dry run", self)
        self.dry_button.setObjectName("dryRunButton")
        self.dry_button.setToolTip("How many customers it would fire for now; nothing is issued")
        self.dry_button.clicked.connect(self.dry_run)
        self.archive_button = QPushButton("Archive…", self)
        self.archive_button.setObjectName("archiveReactionButton")
        self.archive_button.setToolTip("It never fires again; what it issued stays")
        self.archive_button.clicked.connect(self.ask_archive)
        bottom = self._build_save_row("saveReactionButton", self.archive_button, self.dry_button)
        self._place(left_box, bottom, above=[self.problem], below=[self.dry_result])

        state.worker.changed.connect(self._engine_changed)
        self.refresh_choices()
        self.refresh_list()

    @property
    def form(self) -> ReactionForm:
        return self._form

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        self.update_try_button()

    def update_try_button(self) -> None:
        """Name the open profile on the "try" button (it may have changed since)."""
        profile = self._profile_source() if self._profile_source else None
        self.form.fields["condition"].name_profile(profile)

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
        if not self._select_kept(keep, rows) and not rows and self.current is None:
            self.new_record()
        self.listed.emit()

    def _engine_changed(self, changes: Any) -> None:
        if "definitions" in changes.areas:  # reactions are edited and synced with definitions
            self.refresh_choices()
            self.refresh_list()

    # -- loading ---------------------------------------------------------------------------------
    def _load_job(self, ident: str) -> Job[dict[str, Any]]:
        return self.state.submit(load_reaction, ident)

    def new_record(self) -> None:
        """A new reaction, switched off (``NEW_REACTION``)."""
        self._generation += 1
        self._show(self._generation, dict(NEW_REACTION), new=True)
        self.list_view.clearSelection()

    def _showing(self, values: dict[str, Any], *, new: bool) -> None:
        self.dry_result.hide()
        self._show_problem(values.get("problem"))
        self.archive_button.setVisible(not new and not values.get("archived"))
        self.update_try_button()

    def _new_heading(self) -> str:
        return "New reaction"

    def _show_problem(self, problem: str | None) -> None:
        self.problem.setText(f"⚠ Not firing: {problem}" if problem else "")
        self.problem.setVisible(bool(problem))

    # -- saving ----------------------------------------------------------------------------------
    def _save_job(self, actor: Actor, ident: str | None, data: dict[str, Any],
                  version: int | None) -> Job[dict[str, Any]]:
        return self.state.submit(save_reaction, actor, ident, data, version)

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
        self._fetch_sync_conflict(ident, seq)

    def _conflict_rows(self, base: dict[str, Any], mine: dict[str, Any],
                       theirs: dict[str, Any]) -> list[tuple[str, str, str]]:
        # In words, and without the hub's "problem", which is not an edit.
        return conflict_rows(self.readable(base), self.readable(mine),
                             self.readable({k: v for k, v in theirs.items() if k != "problem"}))

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
