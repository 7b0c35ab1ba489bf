"""Who may sign in, signing in, and a manager's PIN override, on the engine worker. The engine
checks the PIN and the role and counts wrong PINs; its message is shown as it is."""

from __future__ import annotations

from dataclasses import dataclass

from clienteling.engine.permissions import Action, Actor, role_may
from clienteling.engine.services import Clienteling
from clienteling.ui.common import formatting as fmt


@dataclass(frozen=True)
class StaffRow:
    id: str
    username: str
    display_name: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.display_name}  ·  {fmt.role_name(self.role)}"


def load_staff(cl: Clienteling) -> list[StaffRow]:
    return [StaffRow(s.id, s.username, s.display_name, s.role) for s in cl.staff.list_staff()]


def load_managers(cl: Clienteling) -> list[StaffRow]:
    """The staff who may authorise an override (:attr:`Action.AUTHORISE_OVERRIDE`)."""
    return [s for s in load_staff(cl) if role_may(s.role, Action.AUTHORISE_OVERRIDE)]


def sign_in(cl: Clienteling, username: str, pin: str) -> Actor:
    return cl.staff.sign_in(username, pin)


def authorise_override(cl: Clienteling, username: str, pin: str) -> Actor:
    return cl.staff.authorise_override(username, pin)
