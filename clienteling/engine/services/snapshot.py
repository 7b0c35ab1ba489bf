"""A first sync's snapshot (SPEC §7): every synced record, paged by keyset ``(type, id)``.

Types come in dependency order (``SYNC_TYPES``) so a till can insert each page as it
arrives; within a type rows come in id order, and a page resumes after the last
``(type, id)`` it returned — never OFFSET, so a page costs the same at row 1 and at row
300,000, and a cancelled first sync resumes where it stopped.

Why a snapshot read over many transactions is still exact: each page carries ``cursor``, the
highest change-log seq visible to the page's read transaction, read *before* the page's
rows. A till keeps the cursor of its FIRST page and, once the snapshot is done, reads the
change feed from there. By the feed's ordering argument (``hub.changes``: seqs become
visible in commit order), every change with seq <= that cursor was committed before any row
was read, so every row of every later page already reflects it. A row read on a later page
may also reflect changes after the cursor (it is newer than the first page) — harmless: the
feed from the first cursor repeats those changes, and feed entries carry the record's
current state (or a delete), so applying them again converges on the hub's state. A row
created after the cursor and read by the snapshot comes again as an upsert; a row deleted
after the cursor but read earlier comes again as a delete. What the till must never do is
start the feed from a LATER page's cursor: changes to rows on earlier pages, made between
the pages, would then be lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from clienteling.engine.context import Context
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    ChangeLog,
    Profile,
    Redemption,
    Reward,
    RewardDefinition,
    Staff,
    Store,
)

# Dependency order: a row only refers to rows of types before it.
SYNC_TYPES: dict[str, Any] = {
    "store": Store,
    "staff": Staff,
    "benefit_definition": BenefitDefinition,
    "reward_definition": RewardDefinition,
    "profile": Profile,
    "benefit": Benefit,
    "reward": Reward,
    "redemption": Redemption,
}
_DEFINITIONS: dict[str, tuple[Any, Any]] = {
    "benefit": (Benefit.definition, BenefitDefinition),
    "reward": (Reward.definition, RewardDefinition),
}
DEFAULT_SNAPSHOT_PAGE = 1000
MAX_SNAPSHOT_PAGE = 5000


@dataclass(frozen=True)
class SnapshotPage:
    cursor: int  # the highest change-log seq visible when this page was read
    rows: list[tuple[str, Any]]  # (type, record), in (type order, id) order
    totals: dict[str, int]  # rows of each type when this page was read
    next: str | None  # resume token, None when this was the last page


def parse_token(token: str | None) -> tuple[int, str | None]:
    """(index of the type, last id returned) from a ``next`` token: ``<type>:<id>``."""
    if token is None or token == "":
        return 0, None
    kind, sep, last = token.partition(":")
    if not sep or kind not in SYNC_TYPES or not 1 <= len(last) <= 200:
        raise ValidationError.field("next", "is not a token this hub gave (use the meta.next "
                                    "of the previous page, or leave it out to start)")
    return list(SYNC_TYPES).index(kind), last


def snapshot_page(ctx: Context, token: str | None, limit: int) -> SnapshotPage:
    """One page of at most ``limit`` rows after ``token`` (see the module docstring)."""
    if not 1 <= limit <= MAX_SNAPSHOT_PAGE:
        raise ValidationError.field("limit", f"must be between 1 and {MAX_SNAPSHOT_PAGE}")
    index, last = parse_token(token)
    kinds = list(SYNC_TYPES)
    with ctx.reading() as s:
        # The cursor first: every row read after it reflects every change up to it.
        cursor = int(s.scalar(select(func.coalesce(func.max(ChangeLog.seq), 0))) or 0)
        totals = {kind: int(s.scalar(select(func.count()).select_from(model)) or 0)
                  for kind, model in SYNC_TYPES.items()}
        rows: list[tuple[str, Any]] = []
        while index < len(kinds) and len(rows) < limit:
            kind = kinds[index]
            model = SYNC_TYPES[kind]
            wanted = limit - len(rows)
            query = select(model).order_by(model.id).limit(wanted)
            if last is not None:
                query = query.where(model.id > last)
            definitions = _DEFINITIONS.get(kind)
            if definitions is not None:
                # The ORM's joined load of each benefit's (reward's) definition cost more than
                # the rest of the page: the few definitions are loaded once instead, and each
                # row's many-to-one is then found in the session without a query (and set
                # before the session closes, as renderers read it).
                relation, definition_model = definitions
                held = list(s.scalars(select(definition_model)))
                query = query.options(lazyload(relation))
            got = list(s.scalars(query).unique())
            if definitions is not None:
                for record in got:
                    _ = record.definition
                del held
            rows.extend((kind, record) for record in got)
            if len(got) < wanted:
                index, last = index + 1, None
            else:
                last = got[-1].id
        more = index < len(kinds)
        # More types left means the page filled up (limit >= 1), so it has a last row.
        next_token = f"{rows[-1][0]}:{rows[-1][1].id}" if more else None
    return SnapshotPage(cursor, rows, totals, next_token)
