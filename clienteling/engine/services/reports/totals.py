"""Reading the kept totals (``engine/report_totals.py``) for spans of time.

A report asks for labelled spans of expiry instants — "from now to the end of this local
month", "that local month", "five years on and later". Each span is cut into UTC-aligned
pieces: whole UTC months and whole UTC days are read from ``report_totals`` (a few rows per
store and definition), and the part-days at the span's ends from the rewards or benefits
themselves (at most two days' worth of rows per edge, through the ``expires_at`` index).
The sum of the pieces is the span's sum exactly, in any time zone (docs/reports.md, Speed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, literal, or_, select, union_all

from clienteling.engine.models import ReportTotal, ReportTotalDelta
from clienteling.engine.report_totals import DAY, MONTH

ROWS = "rows"


@dataclass(frozen=True)
class Piece:
    """Part of a labelled span: ``grain`` ROWS (instants ``lo``..``hi``) or a totals grain
    (bucket keys ``lo``..``hi``); ``hi`` None = no end."""

    grain: str
    lo: Any
    hi: Any
    label: str


def _floor_day(t: datetime) -> datetime:
    return t.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _ceil_day(t: datetime) -> datetime:
    floor = _floor_day(t)
    return floor if floor == t else floor + timedelta(days=1)


def _floor_month(t: datetime) -> datetime:
    return _floor_day(t).replace(day=1)


def _ceil_month(t: datetime) -> datetime:
    floor = _floor_month(t)
    return floor if floor == t else (floor.replace(day=28) + timedelta(days=4)).replace(day=1)


def _day_key(t: datetime) -> str:
    return t.date().isoformat()


def _month_key(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m")


def split(lo: datetime, hi: datetime | None, label: str) -> list[Piece]:
    """Cut ``[lo, hi)`` (UTC instants; ``hi`` None = no end) into rows, days and months."""
    d0 = _ceil_day(lo)
    if hi is not None and d0 >= hi:
        return [Piece(ROWS, lo, hi, label)]
    out = [Piece(ROWS, lo, d0, label)] if d0 > lo else []
    d1 = None if hi is None else _floor_day(hi)
    m0 = _ceil_month(d0)
    m1 = None if d1 is None else _floor_month(d1)
    if m1 is None or m0 < m1:
        if d0 < m0:
            out.append(Piece(DAY, _day_key(d0), _day_key(m0), label))
        out.append(Piece(MONTH, _month_key(m0), _month_key(m1), label))
        if m1 is not None and d1 is not None and m1 < d1:
            out.append(Piece(DAY, _day_key(m1), _day_key(d1), label))
    elif d1 is not None and d0 < d1:
        out.append(Piece(DAY, _day_key(d0), _day_key(d1), label))
    if hi is not None and d1 is not None and d1 < hi:
        out.append(Piece(ROWS, d1, hi, label))
    return out


def labelled(column: Any, pieces: Sequence[Piece]) -> tuple[Any, Any]:
    """``(label, where)`` for pieces of one grain: ``where`` keeps the column's values inside
    some piece, ``label`` names the piece each falls in (pieces are disjoint and sorted)."""
    ordered = sorted(pieces, key=lambda p: p.lo)
    ranges = [and_(column >= p.lo, column < p.hi) if p.hi is not None else column >= p.lo
              for p in ordered]
    whens = [(column < p.hi, p.label) for p in ordered if p.hi is not None]
    open_end = ordered[-1].label if ordered[-1].hi is None else None
    label = case(*whens, else_=open_end) if whens else literal(open_end)
    # The span of all the pieces first, so the index is read only there.
    span = column >= ordered[0].lo
    if ordered[-1].hi is not None:
        span = and_(span, column < ordered[-1].hi)
    return label, and_(span, or_(*ranges))


def stacked(pieces: Sequence[Piece], column: Any,
            build: Callable[[Piece, Any], Any]) -> Any:
    """``build(piece, in_piece)`` once per piece, stacked (UNION ALL): one index range each,
    where an OR of many ranges makes SQLite read everything between them."""
    parts = [build(p, and_(column >= p.lo, column < p.hi) if p.hi is not None
                   else column >= p.lo) for p in pieces]
    return parts[0] if len(parts) == 1 else union_all(*parts)


_COLUMNS = ("kind", "grain", "bucket", "store_id", "definition_id", "n", "amount", "unlimited")


def kept(dialect: str) -> Any:
    """What the totals say: ``report_totals`` itself on SQLite; on PostgreSQL with the
    deltas not yet folded in added (``report_totals.fold``), so a report is exact in its
    own snapshot whatever was committed since the fold."""
    if dialect == "sqlite":
        return ReportTotal.__table__
    totals, deltas = ReportTotal.__table__, ReportTotalDelta.__table__
    return union_all(select(*[totals.c[c] for c in _COLUMNS]),
                     select(*[deltas.c[c] for c in _COLUMNS])).subquery("kept")


def totals_where(source: Any, kind: str, grain: str, store_id: str | None) -> list[Any]:
    out = [source.c.kind == kind, source.c.grain == grain]
    if store_id is not None:
        out.append(source.c.store_id == store_id)
    return out


def pieces_of(spans: Sequence[tuple[datetime, datetime | None, str]]) -> dict[str, list[Piece]]:
    """Every span's pieces, by grain."""
    out: dict[str, list[Piece]] = {ROWS: [], DAY: [], MONTH: []}
    for lo, hi, label in spans:
        for piece in split(lo, hi, label):
            out[piece.grain].append(piece)
    return out
