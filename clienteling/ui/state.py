"""What the panels share: the engine (reached only through the worker), who is signed in,
and the store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from clienteling.engine.permissions import Action, Actor
from clienteling.engine.services import Clienteling
from clienteling.ui.common.errors import describe
from clienteling.ui.worker import EngineWorker, Job

ROLE_HINTS = {
    Action.ISSUE_BENEFIT: "Managers and admins only",
    Action.ISSUE_REWARD: "Managers and admins only",
    Action.MANAGE_INSTANCE: "Managers and admins only",
    Action.VOID: "Managers and admins only",
    Action.DELETE_BENEFIT: "Admins only",
    Action.EDIT_DEFINITIONS: "Admins only",
}


class AppState(QObject):
    """The signed-in session of one till window."""

    actor_changed = Signal(object)  # Actor | None
    #: a short message for the status bar (text)
    notice = Signal(str)

    def __init__(self, worker: EngineWorker, engine: Clienteling, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        self.engine = engine
        self.actor: Actor | None = None
        self.store_name = ""
        self.timezone = "UTC"

    def set_actor(self, actor: Actor | None) -> None:
        self.actor = actor
        if actor is not None:
            self.timezone = actor.timezone
        self.actor_changed.emit(actor)

    def may(self, action: Action) -> bool:
        return self.actor is not None and self.actor.may(action)

    def submit(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None, owner: QObject | None = None,
               **kwargs: Any) -> Job:
        """Run ``fn(engine, *args)`` on the worker; errors without a handler become a notice."""
        def report(exc: BaseException) -> None:
            self.notice.emit(describe(exc).text)

        return self.worker.submit(fn, self.engine, *args, on_done=on_done,
                                  on_error=on_error or report, owner=owner, **kwargs)
