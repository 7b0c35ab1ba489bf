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

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, func, select

from clienteling.engine.context import Context
from clienteling.engine.errors import ValidationError
from clienteling.engine.models import (
    Benefit,
    BenefitDefinition,
    ChangeLog,
    Identity,
    Profile,
    Redemption,
    RedemptionItem,
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
_DEFINITIONS: dict[str, tuple[str, Table]] = {
    "benefit": ("benefit_definition_id", BenefitDefinition.__table__),  # type: ignore[dict-item]
    "reward": ("reward_definition_id", RewardDefinition.__table__),  # type: ignore[dict-item]
}
_IDENTITIES: Table = Identity.__table__  # type: ignore[assignment]
_ITEMS: Table = RedemptionItem.__table__  # type: ignore[assignment]
_CHILD_CHUNK = 500  # ids per IN (...): well under every backend's bound-parameter limit
DEFAULT_SNAPSHOT_PAGE = 1000
MAX_SNAPSHOT_PAGE = 5000


@dataclass(frozen=True)
class SnapshotPage:
    cursor: int  # the highest change-log seq visible when this page was read
    rows: list[tuple[str, Any]]  # (type, Record), in (type order, id) order
    totals: dict[str, int]  # rows of each type when this page was read
    next: str | None  # resume token, None when this was the last page


class Record:
    """A row read with a Core select, with its columns as attributes (and a benefit's or
    reward's ``definition``, a profile's ``identities``, a redemption's ``items``), so the
    ``wire`` renderers read it as they read a model instance.

    Why not ORM instances: building, identity-mapping and lazy-loading ~300,000 of them was
    most of the time a first sync spent on the hub (docs/performance.md)."""

    def __init__(self, values: Any) -> None:
        self.__dict__.update(values)


def _records(result: Any) -> list[Any]:
    keys = list(result.keys())  # once per result: a row's own _mapping is slow to build
    return [Record(zip(keys, row, strict=True)) for row in result]


def _children(s: Any, table: Table, key: str, ids: list[str],
              order: Any = None) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    column = table.c[key]
    for start in range(0, len(ids), _CHILD_CHUNK):
        query = select(table).where(column.in_(ids[start:start + _CHILD_CHUNK]))
        if order is not None:
            query = query.order_by(column, order)
        for record in _records(s.execute(query)):
            out[getattr(record, key)].append(record)
    return out


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
            table: Table = model.__table__
            query = select(table).order_by(table.c.id).limit(wanted)
            if last is not None:
                query = query.where(table.c.id > last)
            got = _records(s.execute(query))
            definitions = _DEFINITIONS.get(kind)
            if definitions is not None and got:
                # The few definitions, read once per page; the renderers compute a
                # benefit's state from its definition.
                key, definition_table = definitions
                held = {d.id: d for d in _records(s.execute(select(definition_table)))}
                for record in got:
                    record.definition = held[getattr(record, key)]
            elif kind == "profile" and got:
                identities = _children(s, _IDENTITIES, "profile_id", [r.id for r in got])
                for record in got:
                    record.identities = identities.get(record.id, [])
            elif kind == "redemption" and got:
                items = _children(s, _ITEMS, "redemption_id", [r.id for r in got],
                                  _ITEMS.c.position)
                for record in got:
                    record.items = items.get(record.id, [])
            rows.extend((kind, record) for record in got)
            if len(got) < wanted:
                index, last = index + 1, None
            else:
                last = got[-1].id
        more = index < len(kinds)
        # More types left means the page filled up (limit >= 1), so it has a last row.
        next_token = f"{rows[-1][0]}:{rows[-1][1].id}" if more else None
    return SnapshotPage(cursor, rows, totals, next_token)
