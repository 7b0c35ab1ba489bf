"""What the panels share: the engine (reached only through the workers), who is signed in,
and the store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from PySide6.QtCore import QObject, Signal

from clienteling.engine.permissions import ALLOWED, Action, Actor, Role, denial
from clienteling.engine.services import Clienteling
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.errors import describe
from clienteling.ui.worker import EngineWorker, Job, NetworkWorker

P = ParamSpec("P")
R = TypeVar("R")


def role_hint(action: Action) -> str:
    """Who may take ``action``, from the role table: "Managers and admins only" (a disabled
    button's tooltip)."""
    names = [f"{fmt.role_name(role.value).lower()}s" for role in Role if role in ALLOWED[action]]
    if not names:
        return "Not allowed for your role"
    text = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{text[:1].upper()}{text[1:]} only"


class AppState(QObject):
    """The signed-in session of one till window."""

    actor_changed = Signal(object)  # Actor | None
    #: a short message for the status bar (text)
    notice = Signal(str)

    def __init__(self, worker: EngineWorker, engine: Clienteling, parent: QObject | None = None, *,
                 network: NetworkWorker | None = None) -> None:
        super().__init__(parent)
        self.worker = worker
        #: the worker for network work (sync with the hub); the main window owns it
        self.network = network
        self.engine = engine
        self.actor: Actor | None = None
        self.store_name = ""
        self.timezone = "UTC"
        #: not connected to a hub (a demo till): nothing it does waits to be sent (issue 16)
        self.standalone = False

    def set_actor(self, actor: Actor | None) -> None:
        self.actor = actor
        if actor is not None:
            self.timezone = actor.timezone
        self.actor_changed.emit(actor)

    def may(self, action: Action) -> bool:
        return self.actor is not None and self.actor.may(action)

    def allows(self, action: Action) -> bool:
        """:meth:`may`, for a command's handler: when the signed-in staff member may not, the
        notice says so in the engine's words (``PermissionDenied``) and this returns False."""
        if self.may(action):
            return True
        if self.actor is not None:
            self.notice.emit(describe(denial(self.actor, action)).text)
        return False

    def submit(self, fn: Callable[Concatenate[Clienteling, P], R], *args: P.args,
               **kwargs: P.kwargs) -> Job[R]:
        """Run ``fn(engine, *args, **kwargs)`` on the engine worker (an operation from
        :mod:`clienteling.ui.operations`); attach callbacks with ``.then(...)``. Errors without
        a handler become a notice."""
        return self.worker.submit(fn, self.engine, *args, **kwargs).or_else(self._report)

    def _report(self, exc: BaseException) -> None:
        self.notice.emit(describe(exc).text)
