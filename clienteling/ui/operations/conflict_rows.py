"""The Conflicts list (SPEC §5 sync status, §6 outbox): changes from this till that the hub
refused, as plain rows — when, what (in words), the customer, the staff member and the hub's
reason. They sit in the operations layer, below the Conflicts dialog that shows them, beside
:func:`clienteling.ui.operations.conflicts.load_conflicts`, which builds them.

What a change was is read from the outbox entry's own recorded action (its audit action,
``benefit.redeem``), never from its request's URL: :func:`describe_entry` says it as staff
would, "Redeem benefit · Free Alterations", naming the record from the entities the entry
touched (or, for what it created, from its body).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from clienteling.engine.money import format_money

NONE = "—"


@dataclass(frozen=True)
class ConflictRow:
    id: str
    occurred_at: datetime
    what: str  # "Redeem benefit · Free Alterations"
    request: str  # "POST /profiles/…/benefits/…/redeem"
    customer: str  # the customer's name, or "—"
    staff: str  # the staff member's display name, or "—"
    reason: str  # the hub's reason, in its words
    seq: int = 0  # the outbox entry, for dismissing it
    code: str = ""  # the hub's reason code ("exhausted", "version_conflict", …)
    #: "Not redeemed at the hub: VIP Lounge was already used up at another till"
    headline: str = ""
    #: what the till did about it: "the till's copy was corrected from the hub"
    outcome: str = ""
    #: ("benefit" | "reward" | "reaction", its id) when an admin's edit met another's (SPEC §6)
    definition: tuple[str, str] | None = None


class Entry(Protocol):
    """What the list reads of an outbox entry (``engine.services.outbox.OutboxItem``)."""

    @property
    def action(self) -> str | None: ...
    @property
    def method(self) -> str: ...
    @property
    def body(self) -> Any: ...
    @property
    def entity_type(self) -> str: ...
    @property
    def entity_id(self) -> str: ...
    @property
    def entities(self) -> Sequence[tuple[str, str, str]]: ...


#: What each action is in words; a unit sent as one call has its records' actions joined
#: by "+" (the engine's ``UnitOfWork``).
ACTIONS: dict[str, str] = {
    "profile.create": "Create customer",
    "profile.update": "Edit customer details",
    "benefit.claim": "Claim benefit",
    "benefit.claim+benefit.redeem": "Claim and redeem benefit",
    "benefit.redeem": "Redeem benefit",
    "reward.redeem": "Redeem reward dollars",
    "benefit_definition.create": "Create benefit definition",
    "benefit_definition.update": "Edit benefit definition",
    "benefit_definition.delete": "Delete benefit definition",
    "reward_definition.create": "Create reward definition",
    "reward_definition.update": "Edit reward definition",
    "reward_definition.delete": "Delete reward definition",
    "reaction.create": "Create reaction",
    "reaction.update": "Edit reaction",
    "reaction.archive": "Archive reaction",
    "benefit.issue": "Issue benefit",
    "benefit.extend": "Extend benefit",
    "benefit.update": "Change benefit",
    "benefit.reassign": "Move benefit to another customer",
    "benefit.delete": "Delete benefit",
    "reward.issue": "Issue reward",
    "reward.extend": "Extend reward",
    "redemption.void": "Void redemption",
}
#: Definition edits an admin can resolve side by side (SPEC §6): action -> kind. Reactions
#: are edited like definitions (SPEC 3.9 RX1) and resolved in their own editor.
DEFINITION_EDITS = {"benefit_definition.update": "benefit",
                    "reward_definition.update": "reward",
                    "reaction.update": "reaction"}

_VERBS = {"POST": "Create", "PUT": "Change", "PATCH": "Change", "DELETE": "Delete"}


@dataclass(frozen=True)
class Names:
    """Lookups for the detail after the words ("· Free Alterations"); each answers None when the
    record is not on this till."""

    benefit: Callable[[str], str | None] = lambda _id: None
    benefit_definition: Callable[[str], str | None] = lambda _key: None
    reward_definition: Callable[[str], str | None] = lambda _id: None
    reaction: Callable[[str], str | None] = lambda _id: None


def _money(value: Any) -> str | None:
    try:
        return format_money(Decimal(str(value))) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


def _unknown(action: str | None, method: str, entity_type: str) -> str:
    """Words for an action this list does not know ("reaction.create": "Create reaction"),
    or for an old entry without one (its method and record type)."""
    if action and "+" not in action and "." in action:
        thing, _, verb = action.rpartition(".")
        return f"{verb.replace('_', ' ').capitalize()} {thing.replace('_', ' ')}"
    return f"{_VERBS.get(method.upper(), method.capitalize())} {entity_type.replace('_', ' ')}"


def describe_entry(entry: Entry, names: Names | None = None) -> str:
    """What an outbox entry does, in words, with the record it is about when known."""
    words, detail = describe_parts(entry, names)
    return f"{words} · {detail}" if detail else words


def describe_parts(entry: Entry, names: Names | None = None) -> tuple[str, str | None]:
    """:func:`describe_entry` as (words, the record's name or None)."""
    names = names or Names()
    action = entry.action or ""
    data: dict[str, Any] = entry.body if isinstance(entry.body, dict) else {}
    words = ACTIONS.get(action)
    if words is None:
        return _unknown(entry.action, entry.method, entry.entity_type), None
    if action == "benefit.update" and "expires_at" in data:
        words = "Change benefit expiry"
    kind = action.partition("+")[0].rpartition(".")[0]  # the type its record is
    detail: str | None = None
    if action in ("benefit.claim", "benefit.claim+benefit.redeem"):
        detail = names.benefit_definition(str(data.get("definition") or ""))
    elif action == "benefit.issue":
        detail = names.benefit_definition(str(data.get("benefit_definition_id") or ""))
    elif action == "reward.issue":
        detail = _money(data.get("value_initial"))
    elif action == "reward.redeem":
        detail = _money(data.get("amount"))
    elif action.endswith("definition.create") or action == "reaction.create":
        detail = str(data.get("name") or "") or None
    elif kind == "benefit_definition":
        detail = names.benefit_definition(entry.entity_id)
    elif kind == "reward_definition":
        detail = names.reward_definition(entry.entity_id)
    elif kind == "reaction":
        detail = names.reaction(entry.entity_id)
    elif kind == "benefit":
        # The benefit it redeemed, changed or moved: the entity it recorded.
        benefit = next((i for t, i, _ in entry.entities if t == "benefit"),
                       entry.entity_id if entry.entity_type == "benefit" else "")
        detail = names.benefit(benefit) if benefit else None
    return words, detail


def edited_definition(entry: Entry) -> tuple[str, str] | None:
    """("benefit" | "reward", definition id) when the entry is an edit of a definition."""
    kind = DEFINITION_EDITS.get(entry.action or "")
    return (kind, entry.entity_id) if kind is not None else None


#: what did not happen, by the words of the request (the start of the words is enough)
_NOT_DONE = (
    ("Claim and redeem", "Not claimed at the hub"),
    ("Redeem", "Not redeemed at the hub"),
    ("Claim", "Not claimed at the hub"),
    ("Issue", "Not issued at the hub"),
    ("Extend", "Not extended at the hub"),
    ("Void", "Not voided at the hub"),
    ("Create customer", "Customer not created at the hub"),
    ("Edit", "Not saved at the hub"),
    ("Change", "Not changed at the hub"),
    ("Move", "Not moved at the hub"),
    ("Create", "Not created at the hub"),
    ("Delete", "Not deleted at the hub"),
    ("Archive", "Not archived at the hub"),
)

PARKED = "depends_on_refused"
VERSION_CONFLICT = "version_conflict"


def _because(code: str, thing: str, customer: str, reason: str) -> str:
    """The hub's reason code as a sentence about this record; its own words otherwise."""
    named = thing or "this benefit"
    who = customer if customer != NONE else "this customer"
    sentences = {
        "exhausted": f"{named} was already used up at another till",
        "global_limit_reached": f"{named} reached its overall limit at the hub",
        "max_redemptions_reached": f"{who} already used {named} the most times allowed",
        "allocations_exhausted": f"every {named} had already been given out",
        "already_claimed": f"{who} already holds {named}",
        "expired": f"{named} had expired",
        "window_closed": f"the redemption window for {named} had closed",
        "over_balance": f"{who}'s reward balance at the hub was too low",
        "already_reversed": "it had already been voided at another till",
        VERSION_CONFLICT: f"another admin changed {thing or 'this definition'} first",
        PARKED: "it depends on a change the hub refused",
    }
    return sentences.get(code) or reason.rstrip(".")


def headline(words: str, detail: str | None, code: str, customer: str, reason: str) -> str:
    """"Not redeemed at the hub: VIP Lounge was already used up at another till"."""
    not_done = next((text for start, text in _NOT_DONE if words.startswith(start)),
                    "Refused by the hub")
    because = _because(code, detail if detail and not detail[:1].isdigit() and "$" not in detail
                       else "", customer, reason)
    return f"{not_done}: {because}"


def outcome(code: str, definition: bool) -> str:
    """What the till did about a refusal (the pusher's part, SPEC §6)."""
    if code == PARKED:
        return "the till did not send it; dismiss the refused change it depends on first"
    if code == VERSION_CONFLICT and definition:
        return "the till shows the hub's version; resolve it to keep yours or take theirs"
    return "the till's copy was corrected from the hub"
