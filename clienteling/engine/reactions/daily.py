"""The daily run of the time triggers (SPEC 3.9 RX2, RX4) and the dry run (RX6).

Set-based: for each reaction, one query per timezone its customers' home stores are in finds
the profiles (a birthday or join anniversary on that local day or month, or no purchase for N
days) — never a Python loop over every profile. The ids of what they get are derived (RX3) and
inserted in batches with ``INSERT … ON CONFLICT (id) DO NOTHING``, each batch one transaction
with an audit event and a change-feed row per instance issued, as every hub write has. So a
run that crashes part way keeps the batches it committed, and running again (the same day, on
another hub process, after downtime with ``--at``) issues only what is missing.

Only one process runs it at a time where several share a PostgreSQL database: the run holds
``pg_try_advisory_lock(DAILY_LOCK)`` and a process that does not get it skips the run. On
SQLite the guard is a no-op: several workers each run it, and the derived ids keep what they
issue exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, exists, extract, or_, select, text
from sqlalchemy.orm import Session

from clienteling.engine import conditions, frozen, wire
from clienteling.engine.context import Context, UnitOfWork
from clienteling.engine.db import Database
from clienteling.engine.frozen import DailyRunResult, DryRunResult
from clienteling.engine.models import Benefit, Profile, Reaction, Reward, Store
from clienteling.engine.permissions import Actor
from clienteling.engine.profile_data import condition_data
from clienteling.engine.reaction_shapes import TIME_TRIGGERS
from clienteling.engine.reactions import keys
from clienteling.engine.reactions.fire import (
    Target,
    allocate,
    insert_absent,
    instance_row,
    is_active,
    live,
    problem,
    source_of,
    target,
)

BATCH = 1000
DAILY_LOCK = 731_2027  # any constant; the journal's is 731_2026
_SAMPLE = 10
_CHUNK = 500


@dataclass(frozen=True)
class Zone:
    """The profiles whose home store is in one timezone (or who have none: UTC)."""

    tz: str
    store_ids: tuple[str, ...]
    no_store: bool  # also the profiles without a home store

    def where(self) -> Any:
        clause = Profile.home_store_id.in_(self.store_ids) if self.store_ids else None
        if self.no_store:
            none = Profile.home_store_id.is_(None)
            return none if clause is None else or_(clause, none)
        return clause

    def local(self, at: datetime) -> date:
        return keys.local_day(at, self.tz)

    def start(self, day: date) -> datetime:
        """Midnight of ``day`` in this zone, in UTC."""
        try:
            zone = ZoneInfo(self.tz)
        except (KeyError, ValueError):
            zone = ZoneInfo("UTC")
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def zones(s: Session) -> list[Zone]:
    by_tz: dict[str, list[str]] = {}
    for store_id, tz in s.execute(select(Store.id, Store.timezone)):
        valid = tz if _valid(tz) else "UTC"
        by_tz.setdefault(valid, []).append(store_id)
    out = [Zone(tz, tuple(ids), tz == "UTC") for tz, ids in sorted(by_tz.items())]
    if "UTC" not in by_tz:
        out.append(Zone("UTC", (), True))
    return out


def _valid(tz: str | None) -> bool:
    try:
        ZoneInfo(tz or "")
        return True
    except (KeyError, ValueError):
        return False


def _same_day(column: Any, day: date) -> Any:
    """``column``'s month and day are ``day``'s; 29 February counts as 28 February in a year
    without one (RX2)."""
    same = and_(extract("month", column) == day.month, extract("day", column) == day.day)
    if day.month == 2 and day.day == 28 and not _leap(day.year):
        same = or_(same, and_(extract("month", column) == 2, extract("day", column) == 29))
    return same


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _period_start(limit: str, day: date, every_year: bool) -> date | None:
    """The first local day of the period a firing on ``day`` belongs to (None: ever)."""
    if limit == "once":
        return None
    if limit == "once_per_month":
        return day.replace(day=1)
    if limit == "once_per_year" or every_year:
        return day.replace(month=1, day=1)
    return day


def _not_issued(reaction: Reaction, tgt: Target, since: datetime | None,
                after_column: Any = None) -> Any:
    """No instance of this reaction for the profile issued in the current period (a filter
    that spares the insert most conflicts; the insert's own ``ON CONFLICT`` still decides)."""
    model: Any = Benefit if tgt.kind == "benefit" else Reward
    definition_column = (Benefit.benefit_definition_id if tgt.kind == "benefit"
                         else Reward.reward_definition_id)
    conds = [model.profile_id == Profile.id, definition_column == tgt.definition.id,
             model.source == source_of(reaction.handle)]
    if since is not None:
        conds.append(model.issued_at >= since)
    if after_column is not None:
        conds.append(model.issued_at > after_column)
    return ~exists().where(*conds)


@dataclass(frozen=True)
class Candidate:
    profile_id: str
    period: str
    tz: str


def candidates(s: Session, reaction: Reaction, tgt: Target, at: datetime,
               *, skip_issued: bool = True, only: Zone | None = None, after_id: str | None = None,
               page: int | None = None) -> Iterator[Candidate]:
    """The profiles a time trigger fires for on the day ``at`` falls on, per zone; with
    ``only`` and ``page``, one zone's next ``page`` of them by id after ``after_id``."""
    trigger = reaction.trigger or {}
    kind = trigger.get("type")
    limit = reaction.limit
    for zone in [only] if only is not None else zones(s):
        where = zone.where()
        if where is None:
            continue
        day = zone.local(at)
        columns: list[Any] = [Profile.id]
        filters: list[Any] = [where]
        start = _period_start(limit, day, every_year=kind != "lapsed")
        since = zone.start(start) if start is not None else None
        if kind == "birthday":
            filters.append(Profile.birth_date.is_not(None))
            if trigger.get("when") == "month":
                filters.append(extract("month", Profile.birth_date) == day.month)
            else:
                filters.append(_same_day(Profile.birth_date, day))
            every = f"birthday:{day.year:04d}"
        elif kind == "join_anniversary":
            filters += [Profile.join_date.is_not(None), _same_day(Profile.join_date, day),
                        extract("year", Profile.join_date) < day.year]
            every = f"anniversary:{day.year:04d}"
        elif kind == "lapsed":
            cutoff = at - timedelta(days=int(trigger["days"]))
            filters += [Profile.last_purchase_at.is_not(None),
                        Profile.last_purchase_at <= cutoff]
            columns.append(Profile.last_purchase_at)
            every = ""
        else:
            return
        if skip_issued:
            after = Profile.last_purchase_at if kind == "lapsed" and limit == "every_time" else None
            filters.append(_not_issued(reaction, tgt, since if kind != "lapsed" or
                                       limit != "every_time" else None, after))
        query = select(*columns).where(*filters)
        if after_id is not None:
            query = query.where(Profile.id > after_id)
        if page is not None:
            query = query.order_by(Profile.id).limit(page)
        else:
            query = query.execution_options(yield_per=BATCH)
        for row in s.execute(query):
            if kind == "lapsed":
                lapse = f"lapsed:{wire.iso(row[1].astimezone(UTC))}"
                period = keys.period(limit, day, lapse)
            else:
                period = keys.period(limit, day, every)
            yield Candidate(row[0], period, zone.tz)


def _passing(s: Session, reaction: Reaction, found: list[Candidate],
             at: datetime) -> list[Candidate]:
    """Those whose profile meets the reaction's condition at ``at`` (all when it has none)."""
    if reaction.condition is None:
        return found
    check = conditions.predicate(reaction.condition)
    out: list[Candidate] = []
    for i in range(0, len(found), _CHUNK):
        chunk = found[i:i + _CHUNK]
        profiles = {p.id: p for p in s.scalars(
            select(Profile).where(Profile.id.in_([c.profile_id for c in chunk])))}
        for c in chunk:
            profile = profiles.get(c.profile_id)
            if profile is not None and check({**condition_data(profile, at),
                                              "event": {"type": reaction.trigger["type"]}}):
                out.append(c)
    return out


def _frozen_target(tgt: Target) -> Target:
    """The target with a copy of its definition, usable after its session ends."""
    d = tgt.definition
    copy = (frozen.benefit_definition(d) if tgt.kind == "benefit" else frozen.reward_definition(d))
    return replace(tgt, definition=copy)


@contextmanager
def run_lock(db: Database) -> Iterator[bool]:
    """True when this process may run (it holds the PostgreSQL advisory lock until the run
    ends); always True on SQLite."""
    if db.is_sqlite:
        yield True
        return
    with db.writer.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": DAILY_LOCK})
                   .scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": DAILY_LOCK})
                conn.commit()


def issue_batch(uow: UnitOfWork, reaction: Reaction, tgt: Target, batch: list[Candidate],
                at: datetime) -> int:
    """Insert the batch's absent instances with an audit event and feed row each; how many
    were inserted. Benefits past their definition's allocations are not issued (C1)."""
    s = uow.session
    rows = [instance_row(reaction, tgt, c.profile_id, c.period, at, c.tz, uow.now) for c in batch]
    model: Any = Benefit if tgt.kind == "benefit" else Reward
    inserted = insert_absent(s.connection(), model.__table__, rows)
    if not inserted:
        return 0
    if tgt.kind == "benefit":
        if not allocate(s, tgt.definition, len(inserted)):
            raise _Exhausted(tgt.definition.name)
        uow.touch("benefit_definition", tgt.definition.id)
    for row in rows:
        if row["id"] not in inserted:
            continue
        # What the renderers read (attributes); no ORM object needed for thousands of rows.
        instance: Any = SimpleNamespace(**row)
        after = (wire.benefit_record(instance) if tgt.kind == "benefit"
                 else wire.reward(instance, embed_definition=False))
        uow.record(f"{tgt.kind}.issue", tgt.kind, row["id"], profile_id=row["profile_id"],
                   after=after, meta={"reaction": reaction.handle,
                                      "key": keys.key(reaction.id, row["profile_id"],
                                                      row["meta"]["period"])})
    return len(inserted)


class _Exhausted(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"{name} has no allocations left")


#: SQLite's page cache for a run (negative: KiB). Each time trigger scans the profiles and
#: probes each one's instances; at a million customers with the default 2 MiB the probes went
#: to the file for nearly every row (profiled: 75 of 98 s in the queries). A cache setting
#: only, as the import's and the first sync's; PostgreSQL sizes its own.
RUN_CACHE_KIB = 262_144


def _big_cache(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{RUN_CACHE_KIB}")


def run(ctx: Context, actor: Actor | None, at: datetime, *, batch_size: int = BATCH,
        after_batch: Callable[[int], None] | None = None) -> DailyRunResult:
    """Each reaction's profiles are read a page at a time by id (one zone at a time), each
    page in a read of its own, and issued a batch at a time: a run's memory does not grow
    with the customers it finds, and no read holds one snapshot across the run's commits.
    (One long read did: SQLite could not checkpoint, and at a million customers the first
    run's log grew to 15 GB, which every read after it went through.) What a batch inserts is
    decided by the insert itself, not by the page's snapshot."""
    issued: dict[str, int] = {}
    skipped: dict[str, str] = {}
    with run_lock(ctx.db) as got:
        if not got:
            return DailyRunResult(at, issued, skipped, ran=False)
        batches = 0
        plan: list[tuple[Reaction, Target]] = []
        with ctx.db.read() as s:
            for reaction in live(s, TIME_TRIGGERS):
                if not is_active(reaction, at):
                    skipped[reaction.handle] = "outside its active window"
                    continue
                found = target(s, reaction)
                if found is None:
                    skipped[reaction.handle] = problem(s, reaction) or "its effect cannot be issued"
                    continue
                plan.append((reaction, _frozen_target(found)))
            zone_list = zones(s)
        for reaction, tgt in plan:
            issued[reaction.handle] = 0
            exhausted = False
            for zone in zone_list:
                after: str | None = None
                while not exhausted:
                    with ctx.db.read() as s:
                        _big_cache(s.connection())
                        found_page = list(candidates(s, reaction, tgt, at, only=zone, after_id=after,
                                                     page=batch_size))
                        chunk = _passing(s, reaction, found_page, at)
                    if not found_page:
                        break
                    after = found_page[-1].profile_id
                    if not chunk:
                        continue
                    try:
                        with ctx.transaction(actor) as uow:
                            _big_cache(uow.session.connection())
                            issued[reaction.handle] += issue_batch(uow, reaction, tgt, chunk, at)
                    except _Exhausted as exc:
                        skipped[reaction.handle] = str(exc)
                        exhausted = True
                        break
                    batches += 1
                    if after_batch is not None:
                        after_batch(batches)
                if exhausted:
                    break
    return DailyRunResult(at, issued, skipped)


def dry_run(s: Session, reaction: Reaction, now: datetime) -> DryRunResult:
    """RX6: the profiles it would fire for now, nothing issued. A time trigger: those the
    daily run would issue to today and has not. An event trigger: those its condition (and
    its trigger's filter: a tier, a spend already over the milestone) lets through now."""
    kind = (reaction.trigger or {}).get("type")
    tgt = target(s, reaction)
    if kind in TIME_TRIGGERS:
        if tgt is None:
            return DryRunResult(0, (), now)
        ids = [c.profile_id for c in _passing(s, reaction,
                                              list(candidates(s, reaction, tgt, now)), now)]
    else:
        query = select(Profile.id)
        if kind == "tier_changed" and reaction.trigger.get("to") is not None:
            query = query.where(Profile.tier == reaction.trigger["to"])
        if kind == "spend_milestone":
            query = query.where(Profile.lifetime_spend >= reaction.trigger["threshold"])
        all_ids = list(s.scalars(query))
        found = [Candidate(i, "", "UTC") for i in all_ids]
        ids = [c.profile_id for c in _passing(s, reaction, found, now)]
    sample = tuple((pid, f"{first} {last}".strip()) for pid, first, last in s.execute(
        select(Profile.id, Profile.first_name, Profile.last_name)
        .where(Profile.id.in_(ids[:_SAMPLE * 5])).order_by(Profile.last_name, Profile.first_name)
        .limit(_SAMPLE))) if ids else ()
    return DryRunResult(len(ids), sample, now)
