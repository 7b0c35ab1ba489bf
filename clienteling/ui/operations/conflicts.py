"""The sync conflicts on the engine worker: the changes the hub refused, with the names of what
they touched looked up on this till, and a manager dismissing one (audited by the engine)."""

from __future__ import annotations

from collections.abc import Callable

from clienteling.engine.errors import NotFound
from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.ui.operations.conflict_rows import (
    NONE,
    VERSION_CONFLICT,
    ConflictRow,
    Names,
    describe_parts,
    edited_definition,
    headline,
    outcome,
)


def _safe(fn: Callable[[str], str | None]) -> Callable[[str], str | None]:
    cache: dict[str, str | None] = {}

    def lookup(key: str) -> str | None:
        if not key:
            return None
        if key not in cache:
            try:
                cache[key] = fn(key)
            except NotFound:
                cache[key] = None
        return cache[key]

    return lookup


def load_conflicts(cl: Clienteling) -> tuple[ConflictRow, ...]:
    """The refused changes, newest first, with names looked up on this till ("—" when unknown)."""
    entries = cl.outbox.conflicts()
    if not entries:
        return ()
    benefit_definitions = cl.definitions.benefit_definitions()
    by_key = {d.id: d.name for d in benefit_definitions} | {d.handle: d.name for d in benefit_definitions}
    reward_definitions = {d.id: d.name for d in cl.definitions.reward_definitions()}
    names = Names(
        benefit=_safe(lambda bid: cl.benefits.get(bid).definition.name),
        benefit_definition=_safe(by_key.get),
        reward_definition=_safe(reward_definitions.get),
        reaction=_safe(lambda rid: cl.reactions.get(rid).name),
    )

    def profile_name(pid: str) -> str | None:
        p = cl.profiles.get(pid)
        return f"{p.first_name} {p.last_name}".strip() or None

    customer = _safe(profile_name)
    staff = _safe(lambda sid: cl.staff.get_staff(sid).display_name)
    rows = []
    for e in entries:
        words, detail = describe_parts(e, names)
        who = customer(e.profile_id or "") or NONE
        reason = (e.last_error or "").strip() or "The hub gave no reason"
        code = e.last_code or ""
        definition = edited_definition(e) if code == VERSION_CONFLICT else None
        rows.append(ConflictRow(
            id=e.id, occurred_at=e.occurred_at,
            what=f"{words} · {detail}" if detail else words,
            request=f"{e.method} {e.path}",
            customer=who,
            staff=staff(e.staff_id or "") or NONE,
            reason=reason, seq=e.seq, code=code,
            headline=headline(words, detail, code, who, reason),
            outcome=outcome(code, definition is not None),
            definition=definition,
        ))
    return tuple(rows)


def dismiss_conflict(cl: Clienteling, actor: Actor, seq: int) -> None:
    """Give up a refused change (managers and admins; the engine checks and audits it)."""
    cl.outbox.dismiss(seq, actor)
