"""The Conflicts list (SPEC §5 sync status, §6 outbox): changes from this till that the hub
refused, as plain rows — when, what (in words), the customer, the staff member and the hub's
reason (read by :func:`clienteling.ui.operations.conflicts.load_conflicts`).

``describe_request`` turns an outbox entry's Omneo-style request (method, path, body) into what
staff would call it: ``POST /profiles/{id}/benefits/{id}/redeem`` is "Redeem benefit".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from clienteling.engine.money import format_money

NONE = "—"
API_PREFIX = "/api/v3"


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
    #: ("benefit" | "reward", definition id) when an admin's edit met another's (SPEC §6)
    definition: tuple[str, str] | None = None


_ID = r"[^/]+"

#: (method, path pattern, what it is in words); the first that matches wins
REQUESTS: tuple[tuple[str, str, str], ...] = (
    ("POST", r"/profiles", "Create customer"),
    ("PUT", rf"/profiles/{_ID}", "Edit customer details"),
    ("POST", rf"/profiles/{_ID}/benefits/claim", "Claim benefit"),
    ("POST", rf"/profiles/{_ID}/benefits/claim-redeem", "Claim and redeem benefit"),
    ("POST", rf"/profiles/{_ID}/benefits/(?P<benefit>{_ID})/redeem", "Redeem benefit"),
    ("POST", rf"/profiles/{_ID}/redeem", "Redeem reward dollars"),
    ("POST", r"/benefits/definitions", "Create benefit definition"),
    ("PUT", rf"/benefits/definitions/(?P<definition>{_ID})", "Edit benefit definition"),
    ("DELETE", rf"/benefits/definitions/(?P<definition>{_ID})", "Delete benefit definition"),
    ("POST", r"/rewards/definitions", "Create reward definition"),
    ("PUT", rf"/rewards/definitions/(?P<reward_definition>{_ID})", "Edit reward definition"),
    ("DELETE", rf"/rewards/definitions/(?P<reward_definition>{_ID})", "Delete reward definition"),
    ("POST", r"/benefits", "Issue benefit"),
    ("POST", r"/benefits/extend", "Extend benefit"),
    ("PUT", rf"/benefits/(?P<benefit>{_ID})", "Change benefit"),
    ("DELETE", rf"/benefits/(?P<benefit>{_ID})", "Delete benefit"),
    ("POST", r"/rewards", "Issue reward"),
    ("POST", r"/rewards/extend", "Extend reward"),
    ("POST", rf"/redemptions/{_ID}/reversal", "Void redemption"),
)

_VERBS = {"POST": "Create", "PUT": "Change", "PATCH": "Change", "DELETE": "Delete"}


@dataclass(frozen=True)
class Names:
    """Lookups for the detail after the words ("· Free Alterations"); each answers None when the
    record is not on this till."""

    benefit: Callable[[str], str | None] = lambda _id: None
    benefit_definition: Callable[[str], str | None] = lambda _key: None
    reward_definition: Callable[[str], str | None] = lambda _id: None


def api_path(path: str) -> str:
    """The path without a query, a trailing slash or the hub's ``/api/v3`` prefix."""
    path = path.split("?", 1)[0].rstrip("/") or "/"
    if path.startswith(API_PREFIX + "/"):
        path = path[len(API_PREFIX):]
    return path


def _money(value: Any) -> str | None:
    try:
        return format_money(Decimal(str(value))) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


def describe_request(method: str, path: str, body: Any = None, names: Names | None = None) -> str:
    """What an outbox request does, in words, with the record it is about when known."""
    words, detail = describe_parts(method, path, body, names)
    return f"{words} · {detail}" if detail else words


def describe_parts(method: str, path: str, body: Any = None,
                   names: Names | None = None) -> tuple[str, str | None]:
    """:func:`describe_request` as (words, the record's name or None)."""
    names = names or Names()
    method = method.upper()
    path = api_path(path)
    data: dict[str, Any] = body if isinstance(body, dict) else {}
    for verb, pattern, words in REQUESTS:
        if verb != method:
            continue
        match = re.fullmatch(pattern, path)
        if match is None:
            continue
        groups = match.groupdict()
        detail: str | None = None
        if words == "Change benefit":
            if "profile_id" in data:
                words = "Move benefit to another customer"
            elif "expires_at" in data:
                words = "Change benefit expiry"
        if "benefit" in groups:
            detail = names.benefit(groups["benefit"])
        elif "definition" in groups:
            detail = names.benefit_definition(groups["definition"])
        elif "reward_definition" in groups:
            detail = names.reward_definition(groups["reward_definition"])
        elif words in ("Claim benefit", "Claim and redeem benefit"):
            detail = names.benefit_definition(str(data.get("definition") or ""))
        elif words == "Issue benefit":
            detail = names.benefit_definition(str(data.get("benefit_definition_id") or ""))
        elif words == "Extend benefit" and isinstance(data.get("ids"), list) and data["ids"]:
            detail = names.benefit(str(data["ids"][0]))
        elif words == "Issue reward":
            detail = _money(data.get("value_initial"))
        elif words == "Redeem reward dollars":
            detail = _money(data.get("amount"))
        elif words.startswith("Create") and words.endswith("definition"):
            detail = str(data.get("name") or "") or None
        return words, detail
    resource = next((p for p in reversed(path.split("/")) if p and not re.search(r"\d", p)), "record")
    return f"{_VERBS.get(method, method.capitalize())} {resource.replace('-', ' ')}", None


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
