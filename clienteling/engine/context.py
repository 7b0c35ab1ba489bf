"""The engine's context and its unit of work.

Every state change runs inside ``Context.transaction(actor)``: the change, its
hash-chained audit event, its change-feed row (on the hub) and its outbox
entry (on a till) are written in one database transaction, or none are.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Insert, Table, insert, text
from sqlalchemy.orm import Session

from clienteling.engine import audit
from clienteling.engine.bulk_insert import insert_many
from clienteling.engine.changes import Area, Changes, areas_of
from clienteling.engine.clock import Clock, SystemClock
from clienteling.engine.db import Database
from clienteling.engine.models import (
    AuditEvent,
    Base,
    ChangeLog,
    OutboxEntity,
    OutboxEntry,
    new_id,
)
from clienteling.engine.offline import explaining_lateness
from clienteling.engine.permissions import Actor

__all__ = ["Area", "Changes", "Context", "HubCall", "Policy", "UnitOfWork"]

log = logging.getLogger(__name__)

Mode = Literal["till", "hub"]

# Any constant will do: every writer that appends to the journal takes this
# PostgreSQL advisory lock and holds it to commit, so change-feed sequence
# numbers become visible in commit order and a reader never sees a gap filled
# later (SPEC §7). SQLite writers are already serialised by BEGIN IMMEDIATE.
JOURNAL_LOCK = 731_2026


@dataclass(frozen=True)
class Policy:
    """The loyalty programme's rules that a deployment may tune: the manager's reward cap
    (SPEC §3.7), the offline allowance (§6), the currency and the sign-in lockout."""

    manager_reward_cap: Decimal = Decimal("100.00")
    offline_allowance: timedelta = timedelta(hours=72)
    currency: str = "AUD"
    lockout_attempts: int = 5
    lockout_duration: timedelta = timedelta(minutes=5)


@dataclass(frozen=True)
class HubCall:
    """The Omneo-style API request that performs a local change on the hub (SPEC §6)."""

    method: str
    path: str
    body: Any = None
    headers: dict[str, str] | None = None


# The entity types whose rows a change only counts against (a redeem bumps its definition's
# global count): entries that share one of them do not depend on each other for that.
_COUNTED = frozenset({"benefit_definition", "reward_definition"})

Entity = tuple[str, str, str]  # (entity_type, entity_id, role), role: created | changed | ref


@dataclass
class _Record:
    action: str
    entity_type: str
    entity_id: str
    profile_id: str | None
    before: Any
    after: Any
    meta: Any
    call: HubCall | None
    entities: list[Entity] = field(default_factory=list)


def _merge(entities: Iterable[Entity]) -> list[Entity]:
    """One row per entity, keeping its strongest role (created > changed > ref)."""
    rank = {"created": 2, "changed": 1, "ref": 0}
    best: dict[tuple[str, str], str] = {}
    for entity_type, entity_id, role in entities:
        key = (entity_type, entity_id)
        if key not in best or rank[role] > rank[best[key]]:
            best[key] = role
    return [(t, i, r) for (t, i), r in best.items()]


@dataclass
class UnitOfWork:
    session: Session
    actor: Actor | None
    now: datetime
    judged_at: datetime
    mode: Mode
    records: list[_Record] = field(default_factory=list)
    touched: list[tuple[str, str, str]] = field(default_factory=list)
    # ``touched`` as a set, so a unit that touches thousands (a bulk import, a daily run of
    # reactions) checks each in constant time rather than scanning the list.
    _touched_keys: set[tuple[str, str, str]] = field(default_factory=set)
    areas: set[Area] = field(default_factory=set)
    profile_ids: set[str] = field(default_factory=set)
    # One id for every outbox entry this unit writes: sync sends them all or none.
    unit_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    # Side effects touched since the last record: they belong to the next record's entry.
    _side: list[tuple[str, str]] = field(default_factory=list)
    # The one hub request that repeats the whole unit, when its records have none of their own.
    _unit_call: HubCall | None = None
    # Fingerprints a writer computed from exactly what it wrote (``written``), by type and
    # id; a record touched again after is read back instead.
    _known: dict[str, dict[str, int]] = field(default_factory=dict)
    # Rows ``append`` wrote, in order, with the values bound: their fingerprints need no
    # read back (``fingerprints.of_appended``).
    _appended: list[tuple[Table, dict[str, Any]]] = field(default_factory=list)

    def record(
        self,
        action: str,
        entity_type: str,
        entity_id: str,
        *,
        profile_id: str | None = None,
        before: Any = None,
        after: Any = None,
        meta: Any = None,
        call: HubCall | None = None,
        refs: Iterable[tuple[str, str]] = (),
    ) -> None:
        """One audited change; ``call`` is what the hub must do to repeat it.

        The outbox entry of ``call`` records the entities it touches: this one (created when
        there is an ``after`` and no ``before``, else changed), those ``touch``ed since the
        previous record (changed; definitions whose counters moved are only referred to),
        and ``refs`` plus the profile (referred to)."""
        side, self._side = self._side, []
        merged: list[Entity] = []
        if self.mode == "till":
            # Only a till's outbox entries carry their entities; the hub writes none, and
            # a hub import records a million of these (issue 16).
            entities: list[Entity] = [
                (entity_type, entity_id,
                 "created" if before is None and after is not None else "changed")]
            entities += [(t, i, "ref" if t in _COUNTED else "changed") for t, i in side]
            if profile_id is not None:
                entities.append(("profile", profile_id, "ref"))
            entities += [(t, i, "ref") for t, i in refs]
            merged = _merge(entities)
        self.records.append(_Record(action, entity_type, entity_id, profile_id, before, after,
                                    meta, call, merged))
        self._touch(entity_type, entity_id, "delete" if action.endswith(".delete") else "upsert")
        self.areas |= areas_of((entity_type,))
        if profile_id is not None:
            self.profile_ids.add(profile_id)

    def send_as(self, call: HubCall) -> None:
        """Say that this whole unit reaches the hub as the one request ``call`` (a claim and
        its redeem are one ``claim-redeem``): it writes one outbox entry touching every
        entity of its records, instead of one per record. Its records carry no call."""
        if any(rec.call is not None for rec in self.records):
            raise RuntimeError("a unit sent as one call cannot also have calls per record")
        self._unit_call = call

    def append(self, *rows: Base) -> None:
        """Write new rows of an append-only record (a redemption and its items) with Core
        INSERTs on the session's connection, in order.

        The ORM's flush of a redemption cost more than everything else a redeem does; these
        rows are never changed in the transaction that makes them, so they need none of it.
        The objects stay transient (outside the session) and keep the values they were built
        with. As with the ORM, only attributes that were set are written; unset columns get
        their defaults (a foreign key the ORM would fill from a relationship must be set)."""
        conn = self.session.connection()
        for row in rows:
            table: Table = row.__table__  # type: ignore[assignment]
            state = row.__dict__
            values = {c.key: state[c.key] for c in table.columns if c.key in state}
            conn.execute(_insert_into(table), values)
            self._appended.append((table, values))

    def touch(self, entity_type: str, entity_id: str, op: str = "upsert") -> None:
        """A record the change feed must carry (an entity changed as a side effect); the next
        ``record``'s outbox entry counts it among the entities it touches."""
        self._side.append((entity_type, entity_id))
        self._touch(entity_type, entity_id, op)

    def written(self, entity_type: str, fingerprints: dict[str, int]) -> None:
        """The kept-digest fingerprints of records this unit just made, computed from the
        values written (``Fingerprints.of_written``), so the journal need not read them back.
        Call after their ``record``: any later change to one of them drops its fingerprint."""
        self._known.setdefault(entity_type, {}).update(fingerprints)

    def _touch(self, entity_type: str, entity_id: str, op: str) -> None:
        if self._known:
            known = self._known.get(entity_type)
            if known is not None:
                known.pop(entity_id, None)
        key = (entity_type, entity_id, op)
        seen = self._touched_keys
        if len(seen) != len(self.touched):  # the list was cut back (a savepoint undone)
            seen.clear()
            seen.update(self.touched)
        if key not in seen:
            seen.add(key)
            self.touched.append(key)

    def write_journal(self) -> None:
        if not self.records and not self.touched:
            return
        session = self.session
        session.flush()
        # Audit and change-log rows are written with Core INSERTs on the session's
        # connection: they are never read back in this transaction, and the ORM's unit of
        # work cost more than the rest of a redeem put together.
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            conn.execute(_JOURNAL_LOCK)
        self._keep_digests()
        prev = audit.last_hash(session)
        actor = self.actor
        staff_id = actor.staff_id if actor else None
        store_id = actor.store_id if actor else None
        events: list[dict[str, Any]] = []
        outbox: list[tuple[OutboxEntry, list[Entity]]] = []
        for rec in self.records:
            meta = dict(rec.meta or {})
            if actor is not None and actor.authorised_by is not None:
                meta["authorised_by"] = actor.authorised_by.staff_id
            if actor is not None and actor.occurred_at is not None:
                meta["occurred_at"] = actor.occurred_at.isoformat()
            event: dict[str, Any] = {
                "id": new_id(),
                "at": self.now,
                "staff_id": staff_id,
                "store_id": store_id,
                "action": rec.action,
                "entity_type": rec.entity_type,
                "entity_id": rec.entity_id,
                "profile_id": rec.profile_id,
                "before": rec.before,
                "after": rec.after,
                "meta": meta or None,
                "prev_hash": prev,
            }
            event["hash"] = prev = audit.event_hash(event, prev)
            events.append(event)
            if self.mode == "till" and rec.call is not None:
                outbox.append((self._entry(rec.call, rec), rec.entities))
        if self.mode == "till" and self._unit_call is not None and self.records:
            entities = _merge(e for rec in self.records for e in rec.entities)
            action = "+".join(dict.fromkeys(rec.action for rec in self.records))
            outbox.append((self._entry(self._unit_call, self.records[-1], action), entities))
        if events:
            # seq must follow the hash chain, so the events go in in order: SQLite's
            # executemany runs its rows one after another (a bulk import writes thousands of
            # events in one unit); elsewhere one statement per event, since a driver may
            # batch an executemany into one multi-row INSERT.
            if conn.dialect.name == "sqlite" and len(events) > 1:
                insert_many(conn, _AUDIT_TABLE, events)
            else:
                for event in events:
                    conn.execute(_AUDIT_INSERT, event)
        if outbox:
            session.add_all([entry for entry, _ in outbox])
            session.flush()  # gives each entry its seq
            conn.execute(_ENTITY_INSERT, [
                {"outbox_seq": entry.seq, "entity_type": t, "entity_id": i, "role": r}
                for entry, entities in outbox for t, i, r in entities
            ])
        if self.mode == "hub" and self.touched:
            insert_many(conn, _CHANGE_TABLE, [
                {"entity_type": entity_type, "entity_id": entity_id, "op": op, "at": self.now}
                for entity_type, entity_id, op in self.touched
            ])
        session.flush()

    def _keep_digests(self) -> None:
        """The kept digests of every synced record this unit touched, in its transaction
        and under the journal lock (``engine.digest_keeper``). The feed carries exactly
        these records to the tills, so they are all a change can have altered."""
        # Imported on first use: the registry imports the models and renderers, which need
        # not load with the context (as ``changes.areas``).
        from clienteling.engine.digest_keeper import keep

        affected: dict[str, list[str]] = {}
        for entity_type, entity_id, _op in self.touched:
            affected.setdefault(entity_type, []).append(entity_id)
        if not affected:
            return
        known = self._known
        if self._appended:
            from clienteling.engine.entities import ENTITIES
            from clienteling.engine.fingerprints import of_appended

            made = of_appended(ENTITIES, self._appended, affected)
            known = {t: {**made.get(t, {}), **known.get(t, {})} for t in {*made, *known}}
        keep(self.session, affected, known)

    def _entry(self, call: HubCall, rec: _Record, action: str | None = None) -> OutboxEntry:
        actor = self.actor
        headers = dict(call.headers or {})
        if actor is not None and actor.authorised_by is not None:
            # The hub re-checks the role, so it must know a manager authorised this.
            headers["X-Authorised-By"] = actor.authorised_by.staff_id
        return OutboxEntry(
            idempotency_key=str(uuid.uuid4()),
            method=call.method,
            path=call.path,
            body=call.body,
            headers=headers or None,
            action=action or rec.action,
            occurred_at=actor.occurred_at if actor and actor.occurred_at else self.now,
            staff_id=actor.staff_id if actor else None,
            store_id=actor.store_id if actor else None,
            entity_type=rec.entity_type,
            entity_id=rec.entity_id,
            profile_id=rec.profile_id,
            unit_id=self.unit_id,
            status="pending",
            attempts=0,
            created_at=self.now,
            updated_at=self.now,
        )


_INSERTS: dict[Any, Insert] = {}


def _insert_into(table: Any) -> Insert:
    # One statement per table, built once, so its cache key is computed once.
    statement = _INSERTS.get(table)
    if statement is None:
        statement = _INSERTS[table] = insert(table)
    return statement


_JOURNAL_LOCK = text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=JOURNAL_LOCK)
_AUDIT_INSERT = insert(AuditEvent)
_AUDIT_TABLE: Table = AuditEvent.__table__  # type: ignore[assignment]
_CHANGE_TABLE: Table = ChangeLog.__table__  # type: ignore[assignment]
_ENTITY_INSERT = insert(OutboxEntity)


Listener = Callable[[Changes], None]

# Work to do first inside the next unit of work opened in this context (thread or
# task), once: the hub claims a request's idempotency key this way, in the same
# transaction as the change the key guards, so a change and its key commit together.
_FIRST_IN_TRANSACTION: ContextVar[Callable[[UnitOfWork], None] | None] = ContextVar(
    "first_in_transaction", default=None
)


@contextmanager
def first_in_transaction(hook: Callable[[UnitOfWork], None]) -> Iterator[None]:
    """Run ``hook(uow)`` at the start of the next ``Context.transaction`` in this context.

    The hook runs once; if it raises, that transaction rolls back and the error propagates.
    """
    token = _FIRST_IN_TRANSACTION.set(hook)
    try:
        yield
    finally:
        _FIRST_IN_TRANSACTION.reset(token)


# The unit of work opened with ``Context.transaction(..., shared=True)`` in this context.
_SHARED: ContextVar[UnitOfWork | None] = ContextVar("shared_unit_of_work", default=None)
# The read transaction opened with ``Context.snapshot()`` in this context.
_SNAPSHOT: ContextVar[Session | None] = ContextVar("snapshot_session", default=None)


class Context:
    """The database, the clock, the programme policy and whether this is a till or the hub."""

    def __init__(
        self,
        db: Database,
        clock: Clock | None = None,
        policy: Policy | None = None,
        mode: Mode = "till",
    ) -> None:
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or Policy()
        self.mode: Mode = mode
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def judged_at(self, actor: Actor | None, now: datetime) -> datetime:
        """The instant time windows are judged at (SPEC §6).

        A change replayed from a till is judged at the time it happened at the
        counter, if that is within the offline allowance and not in the future.
        """
        if actor is None or actor.occurred_at is None:
            return now
        occurred = actor.occurred_at
        if occurred > now or now - occurred > self.policy.offline_allowance:
            return now
        return occurred

    @contextmanager
    def transaction(self, actor: Actor | None, *, shared: bool = False) -> Iterator[UnitOfWork]:
        """A unit of work: committed at the end of the ``with``, rolled back by an exception.

        ``shared=True`` makes it the one every ``transaction`` and ``reading`` in this
        context (thread or task) joins until it ends: their writes and reads go through its
        session (so they see its changes) and it writes the journal and commits once, at its
        end. The hub stores a request's response this way, in the same commit as the change
        and its idempotency key. A joining call must act as the same actor.
        """
        joined = _SHARED.get()
        if joined is not None:
            if joined.actor != actor:
                raise RuntimeError("a shared unit of work can only be joined by its own actor")
            # A refusal inside a shared unit of work is often answered before it ends.
            with explaining_lateness(actor, joined.now, self.policy.offline_allowance):
                yield joined
            return
        now = self.clock.now()
        with self.db.write() as session:
            uow = UnitOfWork(session, actor, now, self.judged_at(actor, now), self.mode)
            hook = _FIRST_IN_TRANSACTION.get()
            if hook is not None:
                _FIRST_IN_TRANSACTION.set(None)
                hook(uow)
            token = _SHARED.set(uow) if shared else None
            try:
                with explaining_lateness(actor, now, self.policy.offline_allowance):
                    yield uow
            finally:
                if token is not None:
                    _SHARED.reset(token)
            uow.write_journal()
        if uow.records or uow.touched:
            self.notify(Changes(frozenset(uow.areas), frozenset(uow.profile_ids)))

    def notify(self, changes: Changes) -> None:
        """Tell every listener about a committed change. The change is already committed, so
        a listener that raises is logged and the others still run: a broken panel must not
        make a redeem look failed (and be tried again)."""
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:
                log.exception("a change listener failed on %r", changes)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        joined = _SHARED.get()
        if joined is not None:
            # Inside a shared unit of work, reads see its (uncommitted) changes.
            yield joined.session
            return
        snapshot = _SNAPSHOT.get()
        if snapshot is not None:
            yield snapshot
            return
        with self.db.read() as session:
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Session]:
        """One read transaction that every ``reading`` in this context (thread or task) joins
        until it ends: a screen assembled from several services' reads then sees one
        consistent state of the database and costs one transaction, not one per read."""
        if _SHARED.get() is not None or _SNAPSHOT.get() is not None:
            with self.reading() as session:
                yield session
            return
        with self.db.read() as session:
            token = _SNAPSHOT.set(session)
            try:
                yield session
            finally:
                _SNAPSHOT.reset(token)
