"""The records a till must read back from the hub (SPEC §6: after the hub answers an entry,
"the affected records are re-pulled"), kept in the settings table under ``sync.refetch``
so a crash between remembering and reading back costs a second read, never a stale record.

Two processes may push from one till file (the app and ``clienteling sync``), so each change
to the list is one write transaction that reads, merges and writes (``BEGIN IMMEDIATE`` on
SQLite: the other process waits for the write lock instead of writing over what it did not
read). Each remembered record carries a mark, new each time it is remembered, and ``forget``
removes a record only while its mark is the one that was read: a record remembered again by
the other process after this one read the list stays to be read back once more.

Stored as ``[[type, id, mark], …]``; a list written before marks (``[[type, id], …]``) reads
as marks of ``""``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clienteling.engine.context import Context
from clienteling.engine.models import KeyValue

KEY = "sync.refetch"
Key = tuple[str, str]


def _read(s: Session, *, lock: bool = False) -> dict[Key, str]:
    query = select(KeyValue.value).where(KeyValue.key == KEY)
    if lock:
        query = query.with_for_update()  # PostgreSQL; SQLite's BEGIN IMMEDIATE already holds it
    value: Any = s.scalar(query)
    out: dict[Key, str] = {}
    for item in value if isinstance(value, list) else ():
        if isinstance(item, list | tuple) and len(item) >= 2:
            out[(str(item[0]), str(item[1]))] = str(item[2]) if len(item) > 2 else ""
    return out


def _write(s: Session, marks: Mapping[Key, str]) -> None:
    s.execute(delete(KeyValue).where(KeyValue.key == KEY))
    if marks:
        s.add(KeyValue(key=KEY, value=[[t, i, m] for (t, i), m in sorted(marks.items())]))


class RefetchService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def remembered(self) -> dict[Key, str]:
        """The records to read back, each with its mark (for :meth:`forget`)."""
        with self.ctx.reading() as s:
            return _read(s)

    def remember(self, keys: Iterable[Key]) -> None:
        """Add ``keys`` (``(type, id)``) to the list, in one write transaction; a record
        already there gets a new mark (it must be read back after this, too)."""
        wanted = {(str(t), str(i)) for t, i in keys}
        if not wanted:
            return
        mark = uuid.uuid4().hex[:12]
        with self.ctx.db.write() as s:
            marks = _read(s, lock=True)
            marks.update(dict.fromkeys(wanted, mark))
            _write(s, marks)

    def forget(self, read: Mapping[Key, str]) -> None:
        """Remove the records of ``read`` (as :meth:`remembered` gave them) that were not
        remembered again since, in one write transaction."""
        if not read:
            return
        with self.ctx.db.write() as s:
            marks = _read(s, lock=True)
            kept = {k: m for k, m in marks.items() if read.get(k) != m}
            if len(kept) != len(marks):
                _write(s, kept)
