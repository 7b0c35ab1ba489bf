"""The role table of SPEC §3.7, enforced here (and again by the hub), never only in the UI."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from clienteling.engine.errors import PermissionDenied


class Role(StrEnum):
    ASSOCIATE = "associate"
    MANAGER = "manager"
    ADMIN = "admin"


class Action(StrEnum):
    VIEW = "view profiles, benefits and rewards"
    EDIT_PROFILE = "create or edit a profile"
    REDEEM = "claim or redeem for a customer"
    REDEEM_REWARD = "redeem reward dollars"
    ISSUE_BENEFIT = "issue a benefit manually"
    ISSUE_REWARD = "issue a customer-service reward"
    ISSUE_REWARD_UNCAPPED = "issue a reward above the manager's cap"
    MANAGE_INSTANCE = "extend, expire or reassign"
    VOID = "void a redemption"
    DELETE_BENEFIT = "delete a benefit"
    EDIT_DEFINITIONS = "create, edit or archive definitions"
    MANAGE_STAFF = "manage staff"
    DISMISS_CHANGE = "dismiss a change the hub refused"
    CONNECT_TILL = "connect or reconnect this till to a hub"
    CONNECT_TILL_ANY_STORE = "connect this till with another store's till token"
    AUTHORISE_OVERRIDE = "authorise an associate's action with their PIN"
    RECORD_PURCHASE = "record a purchase or a return"
    RECORD_PURCHASE_ANY_STORE = "record a purchase at another store"
    VIEW_REPORTS = "view reports for their store"
    VIEW_CHAIN_REPORTS = "view reports for every store (chain-wide) or another store"
    # What a reaction issued at a till's counter (RX4), repeated on the hub: whoever was at
    # the counter, since the reaction issued it, not the staff member.
    SEND_REACTION_ISSUE = "send what a reaction issued at this till"


_EVERYONE = frozenset(Role)
_MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
_ADMINS = frozenset({Role.ADMIN})

ALLOWED: dict[Action, frozenset[Role]] = {
    Action.VIEW: _EVERYONE,
    Action.EDIT_PROFILE: _EVERYONE,
    Action.REDEEM: _EVERYONE,
    Action.REDEEM_REWARD: _EVERYONE,
    Action.ISSUE_BENEFIT: _MANAGERS,
    Action.ISSUE_REWARD: _MANAGERS,
    Action.ISSUE_REWARD_UNCAPPED: _ADMINS,  # a manager's single issue is capped (SPEC R2)
    Action.MANAGE_INSTANCE: _MANAGERS,
    Action.VOID: _MANAGERS,
    Action.DELETE_BENEFIT: _ADMINS,
    Action.EDIT_DEFINITIONS: _ADMINS,
    Action.MANAGE_STAFF: _ADMINS,
    Action.DISMISS_CHANGE: _MANAGERS,
    # Managers too, not admins alone: an admin acts only on an admin device (docs/security.md),
    # so on a till no admin can sign in, and a till whose token was revoked could never be
    # reconnected (SPEC §3.7, §6 "Connecting a till").
    Action.CONNECT_TILL: _MANAGERS,
    # A till's staff serve one store: a manager connects it only with their own store's token.
    Action.CONNECT_TILL_ANY_STORE: _ADMINS,
    # Whose PIN lifts an associate to their role for one action (manager override, SPEC §5).
    Action.AUTHORISE_OVERRIDE: _MANAGERS,
    Action.RECORD_PURCHASE: _EVERYONE,  # SPEC §3.7 "record a purchase (checkout)"
    Action.RECORD_PURCHASE_ANY_STORE: _ADMINS,  # everyone else records at their own store
    # Reports (SPEC §3.7, §5): a manager their own store's, an admin any store's or the chain's.
    Action.VIEW_REPORTS: _MANAGERS,
    Action.VIEW_CHAIN_REPORTS: _ADMINS,
    Action.SEND_REACTION_ISSUE: _EVERYONE,
}

# Actions only an admin may take: the hub accepts them only from a device enrolled with the
# admin capability (``hub token create --admin``), so a stolen till cannot take them.
ADMIN_ACTIONS: frozenset[Action] = frozenset(a for a, roles in ALLOWED.items() if roles == _ADMINS)


@dataclass(frozen=True)
class Actor:
    """Who acts, for which store, and (for a replayed offline change) when it happened.

    ``authorised_by`` is a manager who entered their PIN to authorise an
    associate's action (manager override); their role then decides.
    """

    staff_id: str
    username: str
    display_name: str
    role: Role
    store_id: str
    timezone: str
    occurred_at: datetime | None = None
    authorised_by: Actor | None = None

    @property
    def effective_role(self) -> Role:
        return self.authorised_by.role if self.authorised_by is not None else self.role

    def at(self, occurred_at: datetime | None) -> Actor:
        return replace(self, occurred_at=occurred_at)

    def with_override(self, manager: Actor) -> Actor:
        return replace(self, authorised_by=manager)

    def may(self, action: Action) -> bool:
        return role_may(self.effective_role, action)


def role_may(role: Role | str, action: Action) -> bool:
    """Whether staff with ``role`` may take ``action`` (a staff list filtered by role, where
    there is no :class:`Actor` yet)."""
    return Role(role) in ALLOWED[action]


def denial(actor: Actor, action: Action) -> PermissionDenied:
    """The refusal for ``actor`` taking ``action``, in the words :func:`require` raises it with,
    for a caller that says no without raising (a menu item's handler)."""
    return PermissionDenied(action.value, actor.effective_role.value)


def require(actor: Actor, action: Action) -> None:
    if not actor.may(action):
        raise denial(actor, action)
