"""outbox entries store what they do (their audit action)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:30:00

The Conflicts list said what a refused change was by parsing its request's URL (issue 15).
Each entry now stores its action as the unit of work recorded it (``benefit.redeem``; a unit
sent as one call, its records' actions joined by "+": ``benefit.claim+benefit.redeem``).

Entries written before this are given theirs once, here: from their request, by the calls
the engine made up to this revision (a frozen copy, never to be extended: new entries carry
their action), else from the audit event the same unit wrote for the entry's record at the
same moment; an entry neither tells keeps none (the list then says what it did from its
method and record type).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic import op

from clienteling.engine.types import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_ID = r"[^/]+"
#: (method, path, action) of every call a till's outbox held before 0006; first match wins.
_CALLS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), action) for method, pattern, action in (
        ("POST", r"/profiles", "profile.create"),
        ("PUT", rf"/profiles/{_ID}", "profile.update"),
        ("POST", rf"/profiles/{_ID}/benefits/claim", "benefit.claim"),
        ("POST", rf"/profiles/{_ID}/benefits/claim-redeem", "benefit.claim+benefit.redeem"),
        ("POST", rf"/profiles/{_ID}/benefits/{_ID}/redeem", "benefit.redeem"),
        ("POST", rf"/profiles/{_ID}/redeem", "reward.redeem"),
        ("POST", r"/benefits/definitions", "benefit_definition.create"),
        ("PUT", rf"/benefits/definitions/{_ID}", "benefit_definition.update"),
        ("DELETE", rf"/benefits/definitions/{_ID}", "benefit_definition.delete"),
        ("POST", r"/rewards/definitions", "reward_definition.create"),
        ("PUT", rf"/rewards/definitions/{_ID}", "reward_definition.update"),
        ("DELETE", rf"/rewards/definitions/{_ID}", "reward_definition.delete"),
        ("POST", r"/benefits", "benefit.issue"),
        ("POST", r"/benefits/extend", "benefit.extend"),
        ("PUT", rf"/benefits/{_ID}", "benefit.update"),
        ("DELETE", rf"/benefits/{_ID}", "benefit.delete"),
        ("POST", r"/rewards", "reward.issue"),
        ("POST", r"/rewards/extend", "reward.extend"),
        ("POST", rf"/redemptions/{_ID}/reversal", "redemption.void"),
    ))

_outbox = sa.table(
    "outbox", sa.column("seq", sa.Integer), sa.column("method", sa.String),
    sa.column("path", sa.String), sa.column("body", sa.JSON),
    sa.column("entity_type", sa.String), sa.column("entity_id", sa.String),
    sa.column("created_at", UTCDateTime(timezone=True)), sa.column("action", sa.String))
_audit = sa.table(
    "audit_events", sa.column("seq", sa.Integer), sa.column("action", sa.String),
    sa.column("entity_type", sa.String), sa.column("entity_id", sa.String),
    sa.column("at", UTCDateTime(timezone=True)))


def action_of_call(method: str, path: str, body: Any) -> str | None:
    """The action of a call the engine wrote before 0006, or None."""
    path = path.split("?", 1)[0].rstrip("/") or "/"
    if path.startswith("/api/v3/"):
        path = path[len("/api/v3"):]
    for verb, pattern, action in _CALLS:
        if verb == method.upper() and pattern.fullmatch(path):
            if action == "benefit.update" and isinstance(body, dict) and "profile_id" in body:
                return "benefit.reassign"
            return action
    return None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("action", sa.String(200), nullable=True))
    conn = op.get_bind()
    found: list[dict[str, Any]] = []
    unknown = []
    for row in conn.execute(sa.select(
            _outbox.c.seq, _outbox.c.method, _outbox.c.path, _outbox.c.body,
            _outbox.c.entity_type, _outbox.c.entity_id, _outbox.c.created_at)
            .order_by(_outbox.c.seq)):
        action = action_of_call(row.method, row.path, row.body)
        if action is None:
            unknown.append(row)
        else:
            found.append({"s": row.seq, "a": action})
    for row in unknown:
        # The unit of work wrote the entry and its record's audit event at one moment.
        events = conn.execute(sa.select(_audit.c.action, _audit.c.at).where(
            _audit.c.entity_type == row.entity_type, _audit.c.entity_id == row.entity_id)
            .order_by(_audit.c.seq)).all()
        action = next((e.action for e in events if e.at == row.created_at), None)
        if action is not None:
            found.append({"s": row.seq, "a": action})
    update = (sa.update(_outbox).where(_outbox.c.seq == sa.bindparam("s"))
              .values(action=sa.bindparam("a")))
    for start in range(0, len(found), 1000):
        conn.execute(update, found[start:start + 1000])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("action")
