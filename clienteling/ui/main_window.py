"""The till's main window: sign-in/lock screen, then the search list and the open profile,
with the sync status always visible (SPEC §5, UX "Main window")."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.clock import Clock
from clienteling.engine.context import Policy
from clienteling.engine.permissions import Action, Actor
from clienteling.engine.services import Changes, Clienteling
from clienteling.sync.progress import Progress
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common import theme
from clienteling.ui.common.elided_label import ElidedLabel
from clienteling.ui.common.errors import describe
from clienteling.ui.keyboard import InputRouter
from clienteling.ui.operations.signin import sign_in
from clienteling.ui.operations.sync import (
    GETTING_READY,
    NEW,
    READY,
    Readiness,
    connect_first_run,
    open_store_name,
    save_connection,
    till_readiness,
)
from clienteling.ui.profile.details_dialog import ProfileDetailsDialog
from clienteling.ui.profile.panel import ProfilePanel
from clienteling.ui.search.panel import SearchPanel
from clienteling.ui.signin.page import SignInPage
from clienteling.ui.state import AppState
from clienteling.ui.sync.controller import SyncController
from clienteling.ui.sync.getting_ready import TOKEN_REFUSED, GettingReadyPage
from clienteling.ui.sync.network import Outcome
from clienteling.ui.sync.status_bar import SyncStatus
from clienteling.ui.worker import EngineWorker, GuiThreadGuard, NetworkWorker, guard_gui_thread

if TYPE_CHECKING:
    from clienteling.sync.connect import Connection
    from clienteling.ui.sync.first_run import FirstRunDialog

DEFAULT_IDLE_LOCK_MS = 5 * 60 * 1000
NOTICE_MS = 8000
SYNCING = "Syncing with the hub…"


def open_engine(database_url: str, clock: Clock | None = None,
                policy: Policy | None = None) -> tuple[Clienteling, str]:
    """Open (and migrate) the database; runs on the worker. Returns the engine and the store name."""
    cl = Clienteling.open(database_url, clock=clock, policy=policy)
    stores = cl.staff.stores()
    return cl, stores[0].name if len(stores) == 1 else ""


class MainWindow(QMainWindow):
    """One till session on one database. Use :meth:`create` to open the engine first."""

    def __init__(self, worker: EngineWorker, engine: Clienteling, *, store_name: str = "",
                 idle_lock_ms: int | None = None, guard: GuiThreadGuard | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("Clienteling")
        self.resize(1280, 800)
        self.setMinimumSize(980, 640)
        worker.setParent(self)
        self.worker = worker
        self.engine = engine
        self.guard = guard
        # Sync's cycles with the hub run here, never queued behind (or in front of) engine work.
        self.network = NetworkWorker(self)
        self.state = AppState(worker, engine, self, network=self.network)
        self.state.store_name = store_name
        self.sync = SyncController(self.state, self.network, parent=self)
        self.readiness: Readiness | None = None
        self.refused_url: str | None = None  # the hub that refused a first sync's token
        self._shut_down = False
        self._locked = False
        self._last_actor: Actor | None = None
        self.definitions_window: QWidget | None = None
        self.reactions_window: QWidget | None = None
        self.reports_window: QWidget | None = None

        worker.listen(engine.subscribe)
        worker.failed.connect(lambda exc: self.show_notice(str(exc)))
        self.state.notice.connect(self.show_notice)
        self.state.actor_changed.connect(self._actor_changed)

        # -- pages ----------------------------------------------------------------------
        self.signin = SignInPage(worker, self)
        self.signin.signed_in.connect(self._signed_in)
        self.search = SearchPanel(self.state, self)
        self.search.open_requested.connect(self.open_profile)
        self.search.message.connect(self.show_search_message)
        self.profile = ProfilePanel(self.state, self)
        self.top_bar = self._top_bar()

        self._sized = False
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("mainSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.setHandleWidth(1)
        splitter.addWidget(self.search)
        splitter.addWidget(self.profile)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 880])
        self.search.setMinimumWidth(320)

        work = QWidget(self)
        work.setObjectName("workPage")
        work_layout = QVBoxLayout(work)
        work_layout.setContentsMargins(0, 0, 0, 0)
        work_layout.setSpacing(0)
        work_layout.addWidget(self.top_bar)
        work_layout.addWidget(splitter, 1)

        self.getting_ready = GettingReadyPage(self)
        self.getting_ready.cancel_requested.connect(self._cancel_first_sync)
        self.getting_ready.resume_requested.connect(self._resume_first_sync)
        self.getting_ready.connect_requested.connect(self._connect_new_till)
        self.getting_ready.demo_requested.connect(self._demo_new_till)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.signin)
        self.stack.addWidget(work)
        self.stack.addWidget(self.getting_ready)
        self.setCentralWidget(self.stack)

        # -- status bar -----------------------------------------------------------------
        self.sync_status = SyncStatus(self.state, self)
        self.status_message = ElidedLabel("", self)
        self.status_message.setObjectName("statusMessage")
        self.statusBar().setSizeGripEnabled(False)
        # The sync status gets the room its text needs; a notice what is left, elided to it
        # (never cut at the window's edge), at the right-hand end.
        self.status_message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status_message.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.statusBar().addWidget(self.sync_status, 0)
        self.statusBar().addWidget(self.status_message, 1)
        self.sync_status.conflicts_requested.connect(self.open_conflicts)
        self.sync.finished.connect(self._synced)
        self.sync.progressed.connect(self._sync_progressed)
        self.sync.failed.connect(self.show_notice)
        self._notice_timer = QTimer(self)
        self._notice_timer.setSingleShot(True)
        self._notice_timer.timeout.connect(self.status_message.clear)

        # -- keys and the idle lock -------------------------------------------------------
        self.idle_lock_ms = DEFAULT_IDLE_LOCK_MS if idle_lock_ms is None else idle_lock_ms
        self.idle_timer = QTimer(self)
        self.idle_timer.setSingleShot(True)
        self.idle_timer.setInterval(self.idle_lock_ms)
        self.idle_timer.timeout.connect(self.lock)
        self._actions()
        self.router = InputRouter(
            self, search_box=lambda: self.search.box, take_keys=self.search.take_keys,
            scanning=self.search.is_scanning, finish_scan=self.search.submit,
            active=lambda: self.is_signed_in, on_input=self._input)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.router)
        worker.changed.connect(self._changed)

        self.signin.set_engine(engine, store_name)
        # Asked before the window shows (one small read on the worker), so a till that is not
        # ready never flashes a sign-in screen it must not offer.
        self._apply_readiness(worker.run_sync(till_readiness, engine))
        self.sync_status.refresh()
        self._show_brand()
        self.sync.start()

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def create(  # type: ignore[override]  # a factory, not QWidget.create(window id); never called as that
            cls, database_url: str, *, clock: Clock | None = None,
            policy: Policy | None = None, idle_lock_ms: int | None = None) -> MainWindow:
        """Open the engine on a new worker (blocking, at start-up) and build the window."""
        worker = EngineWorker()
        try:
            engine, store_name = worker.run_sync(open_engine, database_url, clock, policy)
        except BaseException:
            worker.stop()
            raise
        guard = guard_gui_thread(engine, threading.get_ident())
        return cls(worker, engine, store_name=store_name, idle_lock_ms=idle_lock_ms, guard=guard)

    def _top_bar(self) -> QFrame:
        bar = QFrame(self)
        bar.setObjectName("topBar")
        self.brand = QLabel("Clienteling", bar)
        self.brand.setObjectName("brandLabel")
        self.brand_store = QLabel("", bar)
        self.brand_store.setObjectName("brandStore")
        self.user_button = QPushButton("", bar)
        self.user_button.setObjectName("userButton")
        self.user_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.user_button.setIcon(theme.icon("user"))
        self.user_menu = QMenu(self.user_button)
        self.user_menu.setObjectName("userMenu")
        self.user_button.setMenu(self.user_menu)
        self.lock_button = QPushButton("Lock", bar)
        self.lock_button.setObjectName("lockButton")
        self.lock_button.setIcon(theme.icon("lock"))
        self.lock_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.lock_button.setToolTip("Lock the till (F12 or Ctrl+L)")
        self.lock_button.clicked.connect(self.lock)
        hint = QLabel("F12", bar)
        hint.setObjectName("lockHint")
        layout = QHBoxLayout(bar)
        layout.setContentsMargins(16, 6, 12, 6)
        layout.setSpacing(6)
        layout.addWidget(self.brand)
        layout.addWidget(self.brand_store)
        layout.addStretch(1)
        layout.addWidget(self.user_button)
        layout.addWidget(self.lock_button)
        layout.addWidget(hint)
        return bar

    def _action(self, text: str, keys: list[str], slot: Any, name: str) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _actions(self) -> None:
        self.search_action = self._action("Search", ["F2"], self.focus_search, "searchAction")
        self.new_profile_action = self._action("New customer…", ["Ctrl+N"], self.new_profile,
                                               "newProfileAction")
        self.edit_details_action = self._action("Edit customer details…", ["Ctrl+E"], self._edit_details,
                                                "editDetailsAction")
        self.issue_reward_action = self._action("Issue reward…", ["Ctrl+I"], self._issue_reward,
                                                "issueRewardAction")
        self.redeem_rewards_action = self._action("Redeem reward dollars…", ["Ctrl+R"],
                                                  self._redeem_rewards, "redeemRewardsAction")
        self.checkout_action = self._action("Counter checkout…", ["Ctrl+K"], self._checkout,
                                            "checkoutAction")
        self.sync_action = self._action("Sync now", ["F5"], self.sync_now, "syncAction")
        self.lock_action = self._action("Lock", ["F12", "Ctrl+L"], self.lock, "lockAction")
        self.back_action = self._action("Back to search", ["Esc"], self.back_to_search, "backAction")
        self.definitions_action = self._action("Definitions editor…", ["Ctrl+Shift+D"],
                                               self.open_definitions_editor, "definitionsAction")
        # Beside the definitions editor, for the same admins (SPEC 3.9 RX1).
        self.reactions_action = self._action("Reactions editor…", ["Ctrl+Shift+E"],
                                             self.open_reactions_editor, "reactionsAction")
        self.hub_action = QAction("Hub connection…", self)
        self.hub_action.setObjectName("hubConnectionAction")
        self.hub_action.triggered.connect(self.open_hub_connection)
        self.reports_action = self._action("Reports…", ["Ctrl+Shift+R"], self.open_reports,
                                           "reportsAction")
        self.conflicts_action = QAction("Conflicts…", self)
        self.conflicts_action.setObjectName("conflictsAction")
        self.conflicts_action.triggered.connect(self.open_conflicts)
        self.switch_action = QAction("Switch user…", self)
        self.switch_action.triggered.connect(self.lock)
        menu = self.user_menu
        menu.addAction(self.new_profile_action)
        menu.addAction(self.definitions_action)
        menu.addAction(self.reactions_action)
        menu.addAction(self.reports_action)
        menu.addAction(self.sync_action)
        menu.addAction(self.conflicts_action)
        menu.addAction(self.hub_action)
        menu.addSeparator()
        menu.addAction(self.switch_action)
        menu.addAction(self.lock_action)
        # F1 works on the sign-in screen too: the version and the paths hold no customer data.
        self.about_action = self._action("About Clienteling…", ["F1"], self.show_about, "aboutAction")
        menu.addSeparator()
        menu.addAction(self.about_action)

    # -- signing in and locking ------------------------------------------------------------------
    @property
    def actor(self) -> Actor | None:
        return self.state.actor

    @property
    def is_signed_in(self) -> bool:
        return self.state.actor is not None and not self._locked

    @property
    def is_locked(self) -> bool:
        return self._locked

    def sign_in(self, username: str, pin: str) -> Actor:
        """Sign in synchronously (start-up and tests); raises ``AuthenticationFailed``."""
        actor: Actor = self.worker.run_sync(sign_in, self.engine, username, pin)
        self._signed_in(actor)
        return actor

    def _signed_in(self, actor: Actor) -> None:
        switched = self._last_actor is not None and self._last_actor.staff_id != actor.staff_id
        self._locked = False
        self._last_actor = actor
        self.state.set_actor(actor)
        self.stack.setCurrentIndex(1)
        self.idle_timer.start()
        if switched:
            self.show_notice(f"Switched to {actor.display_name}")
        if self.profile.data is not None:
            self.profile.benefits_view.setFocus()
        else:
            self.focus_search()

    def lock(self) -> None:
        """Lock now (F12 / Ctrl+L / idle): the sign-in screen covers everything."""
        if self.state.actor is None or self._locked:
            return
        self._locked = True
        self.idle_timer.stop()
        for dialog in self.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        if self.definitions_window is not None:
            self.definitions_window.close()
        if self.reactions_window is not None:
            self.reactions_window.close()
        if self.reports_window is not None:
            self.reports_window.close()
        previous = self.state.actor
        self.state.set_actor(None)
        self.stack.setCurrentIndex(0)
        self.signin.show_locked(previous)

    def _input(self) -> None:
        if self.is_signed_in:
            self.idle_timer.start()

    def _actor_changed(self, actor: Actor | None) -> None:
        if actor is None:
            self.user_button.setText("")
        else:
            self.user_button.setText(f"{actor.display_name} ({fmt.role_name(actor.role.value)})")
        # The menu, the handlers and the engine ask the same question of the role table
        # (engine/permissions.py); disabling an item is only for clarity.
        self.definitions_action.setEnabled(actor is not None and actor.may(Action.EDIT_DEFINITIONS))
        self.reactions_action.setEnabled(actor is not None and actor.may(Action.EDIT_DEFINITIONS))
        self.hub_action.setEnabled(actor is not None and actor.may(Action.CONNECT_TILL))
        # An associate has no reports at all (SPEC §3.7), so no Reports item either.
        may_report = actor is not None and actor.may(Action.VIEW_REPORTS)
        self.reports_action.setVisible(may_report)
        self.reports_action.setEnabled(may_report)
        if not may_report and self.reports_window is not None:
            self.reports_window.close()
            self.reports_window.deleteLater()
            self.reports_window = None
        for action in (self.new_profile_action, self.edit_details_action, self.issue_reward_action,
                       self.redeem_rewards_action, self.checkout_action, self.sync_action,
                       self.conflicts_action, self.back_action, self.search_action):
            action.setEnabled(actor is not None)

    def _show_brand(self) -> None:
        name = self.state.store_name
        self.brand_store.setText(f"·  {name}" if name else "")
        self.setWindowTitle(f"Clienteling · {name}" if name else "Clienteling")

    # -- commands ---------------------------------------------------------------------------------
    def focus_search(self) -> None:
        if self.is_signed_in:
            self.search.focus_search()

    def back_to_search(self) -> None:
        self.focus_search()

    def open_profile(self, profile_id: str, benefit_id: str = "") -> None:
        if self.is_signed_in:
            self.search.clear_message()
            self.profile.open_profile(profile_id, benefit_id)

    def new_profile(self) -> None:
        if not self.is_signed_in:
            return
        dialog = ProfileDetailsDialog(self.state, parent=self)
        dialog.accepted.connect(lambda: self._created(dialog.saved_id))
        self.profile.open_dialog(dialog)

    def _created(self, profile_id: str | None) -> None:
        if profile_id:
            self.open_profile(profile_id)
            self.show_notice("Customer created")

    def _edit_details(self) -> None:
        if self.is_signed_in:
            self.profile.commands.edit_details()

    def open_conflicts(self) -> None:
        """The status bar's "Conflicts (N)": the changes the hub refused, with the reasons."""
        if not self.is_signed_in:
            return  # locked: customer names stay behind the sign-in screen
        from clienteling.ui.conflicts.dialog import ConflictsDialog

        if isinstance(self.active_dialog, ConflictsDialog) and self.active_dialog.isVisible():
            return
        dialog = ConflictsDialog(self.state, self)
        dialog.resolve_requested.connect(self.resolve_definition_conflict)
        self.profile.open_dialog(dialog)

    def resolve_definition_conflict(self, kind: str, ident: str, seq: int) -> None:
        """From Conflicts: the definitions editor with both versions side by side (admins), or
        the reactions editor for a reaction (SPEC 3.9 RX1)."""
        from clienteling.ui.definitions.editor import DefinitionsEditor

        if kind == "reaction":
            from clienteling.ui.reactions.editor import ReactionsEditor

            self.open_reactions_editor()
            if isinstance(self.reactions_window, ReactionsEditor):
                self.reactions_window.resolve_sync_conflict(ident, seq)
            return

        self.open_definitions_editor()
        if isinstance(self.definitions_window, DefinitionsEditor):
            self.definitions_window.resolve_sync_conflict(kind, ident, seq)

    def _issue_reward(self) -> None:
        if self.is_signed_in:
            self.profile.commands.open_issue_reward()

    def _checkout(self) -> None:
        if self.is_signed_in:
            self.profile.commands.open_checkout()

    def _redeem_rewards(self) -> None:
        if self.is_signed_in:
            self.profile.commands.open_redeem_rewards()

    def sync_now(self) -> None:
        """F5: a sync cycle now, on the network worker; what it brings shows in place."""
        if not self.is_signed_in:
            return
        self.sync_status.refresh()
        self.sync.sync_now(force=True)
        self.show_notice(SYNCING)

    def _synced(self, outcome: Outcome) -> None:
        self.sync_status.show_outcome(outcome)
        if outcome.report is not None:
            self.state.standalone = False  # a manager connected it: its changes wait again
        if self.status_message.text() == SYNCING:
            self.status_message.clear()  # the cycle F5 asked for has finished
        report = outcome.report
        if not self.is_ready:
            # Whether the first sync finished, stopped or failed, the engine's state says
            # where the till is; the page follows it.
            problem = report.error if report is not None else None
            cancelled = report is not None and report.cancelled
            refused = report is not None and report.token_rejected
            # Where the refused token was used: the page's "Connect again" starts from it.
            self.refused_url = outcome.hub_url if refused else None
            self.state.submit(till_readiness).then(
                lambda r: self._apply_readiness(r, problem=problem, cancelled=cancelled,
                                                refused=refused),
                owner=self)
        elif report is not None and report.cancelled:
            self.show_notice("Sync stopped: the next sync carries on from where it stopped")
        if report is not None and report.pulled and not self.state.store_name:
            # A first sync brought the store: name it in the title bar and on the sign-in screen.
            self.state.submit(open_store_name).then(self._named, owner=self)

    def _named(self, name: str) -> None:
        if name:
            self.state.store_name = name
            self._show_brand()
            self.signin.set_engine(self.engine, name)

    # -- getting ready (SPEC §6): no counter work until the first sync has finished ----------
    @property
    def is_ready(self) -> bool:
        return self.readiness is not None and self.readiness.state == READY

    def _apply_readiness(self, readiness: Readiness, *, problem: str | None = None,
                         cancelled: bool = False, refused: bool = False) -> None:
        was_ready = self.is_ready
        self.readiness = readiness
        if readiness.timezone != "UTC" or self.state.actor is None:
            # Times before sign-in are the till's store's too (an actor's store wins after).
            self.state.timezone = (self.state.actor.timezone if self.state.actor is not None
                                   else readiness.timezone)
        self.sync_status.set_readiness(readiness)
        self.state.standalone = readiness.state == READY and not readiness.connected
        page = self.getting_ready
        if readiness.state == READY:
            if self.stack.currentWidget() is page:
                self.stack.setCurrentWidget(self.signin)
                self.signin.set_engine(self.engine, self.state.store_name)
                self.state.submit(open_store_name).then(self._named, owner=self)
            return
        if was_ready:
            return  # never takes a working counter away
        self.stack.setCurrentWidget(page)
        if readiness.state == NEW:
            page.show_new()
        elif refused:
            # Nobody can sign in on a till getting ready, so no manager can reach Hub
            # connection…: the page itself connects again (issue 16, no dead end).
            page.done, page.total = readiness.done, readiness.total
            page.show_stopped(TOKEN_REFUSED, reconnect=True)
        elif cancelled or (problem and not self.sync.running):
            page.done, page.total = readiness.done, readiness.total
            page.show_stopped(problem)
        elif readiness.state == GETTING_READY and (not page.running or page.done < readiness.done):
            page.show_running(readiness.done, readiness.total)

    def _sync_progressed(self, progress: Progress) -> None:
        if progress.phase == "first_sync":
            self.sync_status.show_progress(progress)
            if not self.is_ready:
                self.getting_ready.show_progress(progress)

    def _cancel_first_sync(self) -> None:
        """Cancel: the first sync stops at its next page and stays stopped (no timer resumes
        it behind the page's back) until Resume."""
        self.sync.stop()

    def _resume_first_sync(self) -> None:
        page = self.getting_ready
        page.show_running(page.done, page.total)
        self.sync.start()

    def connect_first_run(self, url: str, token: str,
                          connection: Connection | None = None) -> None:
        """First run, "Connect to a hub": keep the URL and token, then the first sync on the
        getting-ready page; the sign-in screen opens, with the staff it brings, once done.

        ``connection``: what the hub proved when the form checked URL and token (issue 16);
        it is saved as ``Hub connection…`` saves one, audited, with the till's store."""
        self.stack.setCurrentWidget(self.getting_ready)
        self.getting_ready.show_running(0, None)

        def failed(exc: BaseException) -> None:
            self.getting_ready.show_new()
            self.getting_ready.problem.setText(describe(exc).text)

        def stored(_where: str) -> None:
            self.readiness = None  # not ready: every cycle's end asks the engine again
            self.sync.start()

        def saved(value: str) -> None:
            self.network.submit(self.sync.link.save_token, value, token).then(
                stored, failed, owner=self)

        if connection is not None:
            self.state.submit(save_connection, None, connection).then(saved, failed, owner=self)
        else:
            self.state.submit(connect_first_run, url).then(saved, failed, owner=self)

    def _connect_new_till(self) -> FirstRunDialog:
        """The welcome page's "Connect to a hub": the URL and token form, then the first sync."""
        from clienteling.ui.sync.first_run import CONNECT, FirstRunDialog

        dialog = FirstRunDialog(self)
        dialog.pages.setCurrentIndex(1)
        if self.refused_url:  # connecting again: the address it had, to keep or change
            dialog.url_field.setText(self.refused_url)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.connect_first_run(
            dialog.url, dialog.token, dialog.connection) if dialog.choice == CONNECT else None)
        dialog.open()
        dialog.url_field.setFocus()
        return dialog

    def _demo_new_till(self) -> None:
        """The welcome page's "Try it with demo data": a demo store on this computer only."""
        from clienteling.ui.operations.demo import make_demo

        self.getting_ready.demo_button.setEnabled(False)
        self.getting_ready.label.setText("Setting up a demo store…")
        self.state.submit(make_demo).then(self._apply_readiness, owner=self)

    def open_hub_connection(self) -> None:
        """Connect (or reconnect) this till to a hub: managers and admins (SPEC §3.7, §6) —
        on a till that is the store's manager, since admins act only on admin devices."""
        if not self.is_signed_in or not self.state.allows(Action.CONNECT_TILL):
            return
        from clienteling.ui.sync.connect_dialog import ConnectDialog

        self.profile.open_dialog(ConnectDialog(self.state, self.sync, self))

    def open_definitions_editor(self) -> None:
        if not self.is_signed_in or not self.state.allows(Action.EDIT_DEFINITIONS):
            return
        from clienteling.ui.definitions.editor import DefinitionsEditor

        if self.definitions_window is None:
            editor = DefinitionsEditor(self.state, profile_source=self._profile_for_conditions,
                                       parent=self)
            editor.reactions_requested.connect(self.open_reactions_editor)
            self.definitions_window = editor
        self.definitions_window.show()
        self.definitions_window.raise_()

    def open_reactions_editor(self) -> None:
        """Reactions (admins, offline too): what issues itself, beside the definitions editor."""
        if not self.is_signed_in or not self.state.allows(Action.EDIT_DEFINITIONS):
            return
        from clienteling.ui.reactions.editor import ReactionsEditor

        if self.reactions_window is None:
            self.reactions_window = ReactionsEditor(
                self.state, sync=self.sync, profile_source=self._profile_for_conditions, parent=self)
        self.reactions_window.show()
        self.reactions_window.raise_()

    def open_reports(self) -> None:
        """Reports (managers and admins): a store's computed on the worker from this till's
        database; an admin's chain asked of the hub when the till is connected (issue 18)."""
        if not self.is_signed_in or not self.state.allows(Action.VIEW_REPORTS):
            return
        from clienteling.ui.reports.window import ReportsWindow

        if self.reports_window is None:
            window = ReportsWindow(self.state, parent=self, sync=self.sync)
            self.reports_window = window
            window.refresh_all()
        self.reports_window.show()
        self.reports_window.raise_()

    def show_about(self) -> QDialog:
        """The About dialog (F1): version, database path, log file path."""
        from clienteling.ui.about import AboutDialog

        dialog = AboutDialog(self.engine.database_url, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _profile_for_conditions(self) -> tuple[str, dict[str, Any]] | None:
        data = self.profile.data
        if data is None:
            return None
        return data.header.name, data.header.condition_data

    @property
    def active_dialog(self) -> QDialog | None:
        return self.profile.active_dialog

    # -- messages -------------------------------------------------------------------------------
    def show_notice(self, text: str) -> None:
        self.status_message.setText(text)
        self._notice_timer.start(NOTICE_MS)

    def show_search_message(self, text: str) -> None:
        self.search.show_message(text)
        self.show_notice(text)

    def _changed(self, changes: Changes) -> None:
        self.search.model.on_changes(changes)
        if "staff" in changes.areas:
            self.signin.reload_staff()

    # -- shutting down --------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the workers and close the database; idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        self.idle_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.router)
        engine = self.engine
        try:
            self.sync.stop()
            self.network.submit(self.sync.link.close)  # its client lives on the network thread
            self.network.stop()  # first: a sync cycle may still hand work to the engine
            self.worker.run_sync(engine.close)
        finally:
            self.worker.stop()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._sized:  # the search list gets about a third of the first window
            self._sized = True
            QTimer.singleShot(0, self._size_splitter)

    def _size_splitter(self) -> None:
        width = self.splitter.width() or self.width()
        left = max(340, min(440, width * 31 // 100))
        self.splitter.setSizes([left, max(1, width - left)])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.definitions_window is not None:
            self.definitions_window.close()
        if self.reactions_window is not None:
            self.reactions_window.close()
        self.shutdown()
        super().closeEvent(event)
