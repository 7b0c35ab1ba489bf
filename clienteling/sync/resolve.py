"""Resolving a definition edit the hub refused because another admin changed the definition
first (409 ``version_conflict``, SPEC §6): the Conflicts entry holds this till's edit (its
body), and the till's copy of the definition is the hub's version (re-read when the hub
refused). An admin chooses one:

- ``keep_hub``: the hub's version stands; the conflict is dismissed (audited);
- ``keep_mine``: this till's edit is made again on top of the hub's version (a new change
  with the hub's version in ``If-Match``, sent at the next sync) and the conflict dismissed,
  in one transaction.
"""

from __future__ import annotations

from typing import Any

from clienteling.engine.errors import ValidationError
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.engine.services.outbox import CONFLICT

# Reactions are edited like definitions (SPEC 3.9 RX1): conflict kind "reaction".
_DEFINITIONS = {"benefit_definition": "benefit", "reward_definition": "reward",
                "reaction": "reaction"}


def definition_versions(cl: Clienteling, seq: int) -> tuple[dict[str, Any], Any]:
    """(this till's edit, the hub's current definition) for a refused definition edit."""
    item = cl.outbox.get(seq)
    kind = _DEFINITIONS.get(item.entity_type)
    if kind is None or item.method != "PUT":
        raise ValidationError.field("seq", "is not an edit of a definition")
    current: Any
    if kind == "reaction":
        current = cl.reactions.get(item.entity_id)
    elif kind == "benefit":
        current = cl.definitions.benefit_definition(item.entity_id)
    else:
        current = cl.definitions.reward_definition(item.entity_id)
    return dict(item.body or {}), current


def keep_hub(cl: Clienteling, actor: Actor, seq: int) -> None:
    cl.outbox.dismiss(seq, actor)


def keep_mine(cl: Clienteling, actor: Actor, seq: int) -> Any:
    """Re-apply this till's edit over the hub's version; returns the definition."""
    item = cl.outbox.get(seq)
    if item.status != CONFLICT:
        raise ValidationError.field("seq", f"is {item.status}, not a conflict")
    mine, current = definition_versions(cl, seq)
    updated: Any
    with cl.shared_unit(actor):
        if item.entity_type == "reaction":
            updated = cl.reactions.update(actor, item.entity_id, mine,
                                          expected_version=current.version)
        elif item.entity_type == "benefit_definition":
            updated = cl.definitions.update_benefit_definition(
                actor, item.entity_id, mine, expected_version=current.version)
        else:
            updated = cl.definitions.update_reward_definition(
                actor, item.entity_id, mine, expected_version=current.version)
        cl.outbox.dismiss(seq, actor)
    return updated
