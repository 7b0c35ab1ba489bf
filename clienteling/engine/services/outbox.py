"""The till's outbox: what is waiting for the hub, what the hub refused, which of a customer's
records are not yet confirmed ("pending sync", SPEC §5), and the state machine the pusher
(clienteling/sync) drives.

Every unit of work writes its entries (``context.UnitOfWork``), each with the entities it
touches (``outbox_entities``) and the id of its unit. An entry's life::

    pending --claim_next--> in_flight --mark_done--> done
       ^                        |------mark_conflict--> conflict --dismiss--> dismissed
       |---------mark_retry-----|
       |---------release_stale--| (the sender crashed)
    pending --park--> parked --dismiss--> dismissed

Each move is one conditional ``UPDATE … WHERE seq = :seq AND status = :expected`` whose row
count decides, so two processes on one till file (or a crashed sender's retry) can never
both claim, or both settle, the same entry; a move from the wrong state raises
``OutboxStateError`` and changes nothing.

Entry B *depends on* an earlier entry A when they belong to the same unit, or share an
entity that at least one of them creates or changes (a redeem of benefit X depends on the
claim that created X; two issues to one profile, which only refer to it, do not). Once A
is refused (conflict, or parked behind a refusal) it changed nothing at the hub, so a B that
only changes a record A referred to (an edit of the customer after a refused redeem) no
longer depends on it: B is sent, not parked or held back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from clienteling.engine.context import Context
from clienteling.engine.errors import DomainError, NotFound
from clienteling.engine.models import OutboxEntity, OutboxEntry
from clienteling.engine.permissions import Action, Actor, require

PENDING, IN_FLIGHT, DONE, CONFLICT, PARKED, DISMISSED = (
    "pending", "in_flight", "done", "conflict", "parked", "dismissed")
#: Waiting for the hub to confirm: their records show as "pending sync".
UNCONFIRMED = (PENDING, IN_FLIGHT)
#: Not settled: each holds back the entries that depend on it.
UNSETTLED = (PENDING, IN_FLIGHT, CONFLICT, PARKED)
#: Refused, directly or through what it depends on, until a manager dismisses it.
REFUSED = (CONFLICT, PARKED)
DEPENDS_ON_REFUSED = "depends_on_refused"


#: What ``mark_done`` and ``mark_done_many`` write besides the hub's answer.
_DONE: dict[str, Any] = {"status": DONE, "last_error": None, "last_code": None,
                         "next_attempt_at": None}

#: ``mark_done`` for many entries at once (``mark_done_many``): one statement, run per entry.
_SETTLE = (update(OutboxEntry)
           .where(OutboxEntry.seq == bindparam("s"), OutboxEntry.status == IN_FLIGHT)
           .values(updated_at=bindparam("now"), response=bindparam("r"), **_DONE))


class OutboxStateError(DomainError):
    """An outbox entry is not in the state a move expects (someone else moved it first)."""

    code = "outbox_state"

    def __init__(self, seq: int, expected: Sequence[str], actual: str | None) -> None:
        where = f"is {actual}" if actual is not None else "does not exist"
        super().__init__(f"Outbox entry {seq} {where}, not {' or '.join(expected)}")
        self.seq = seq
        self.expected = tuple(expected)
        self.actual = actual


@dataclass(frozen=True)
class OutboxCounts:
    pending: int
    conflicts: int


@dataclass(frozen=True)
class OutboxItem:
    """One outbox entry as read (a frozen record, not an ORM object): the request to send,
    what it does (``action``), who made it and when, its state, and the entities it touches
    as (type, id, role)."""

    seq: int
    id: str
    idempotency_key: str
    method: str
    path: str
    body: Any
    headers: Any
    occurred_at: datetime
    staff_id: str | None
    store_id: str | None
    entity_type: str
    entity_id: str
    profile_id: str | None
    unit_id: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    last_code: str | None
    response: Any
    created_at: datetime
    updated_at: datetime
    #: what it does, as its audit event says ("benefit.redeem"; a unit sent as one call:
    #: "benefit.claim+benefit.redeem"); None for an old entry nobody could tell
    action: str | None = None
    entities: tuple[tuple[str, str, str], ...] = ()


_ITEM_FIELDS = tuple(f for f in OutboxItem.__dataclass_fields__ if f != "entities")


@dataclass
class _Node:
    seq: int
    unit_id: str
    status: str
    next_attempt_at: datetime | None
    entities: dict[tuple[str, str], str]


class _Reach:
    """A growing set of entries, answering "does this later entry depend on one of them?"
    in time proportional to that entry's entities."""

    def __init__(self) -> None:
        self.units: set[str] = set()
        self.changed: set[tuple[str, str]] = set()  # created or changed by one of them
        self.referred: set[tuple[str, str]] = set()  # only referred to

    def add(self, node: _Node, *, refs: bool = True) -> None:
        """``refs=False`` for a refused entry (conflict, or parked behind one): it changed
        nothing at the hub, so a later change to a record it only referred to (the
        customer's profile, for a redeem) does not depend on it; what it created or changed,
        and its unit, still hold back what comes after."""
        self.units.add(node.unit_id)
        for key, role in node.entities.items():
            if role != "ref":
                self.changed.add(key)
            elif refs:
                self.referred.add(key)

    def reaches(self, node: _Node) -> bool:
        if node.unit_id in self.units:
            return True
        return any(key in self.changed or (role != "ref" and key in self.referred)
                   for key, role in node.entities.items())


PAGE = 500  # entries read at a time while deciding what may be sent


def _nodes(s: Session, *where: Any) -> Iterator[_Node]:
    """The entries matching ``where`` with their entities, in seq order, read a page at a
    time: whether an entry may go depends only on earlier ones, so a claim that has found
    enough stops reading instead of loading the whole outbox."""
    after, page = 0, PAGE
    while True:
        heads = s.execute(
            select(OutboxEntry.seq, OutboxEntry.unit_id, OutboxEntry.status,
                   OutboxEntry.next_attempt_at)
            .where(*where, OutboxEntry.seq > after).order_by(OutboxEntry.seq).limit(page)
        ).all()
        if not heads:
            return
        nodes = {seq: _Node(seq, unit_id, status, next_at, {})
                 for seq, unit_id, status, next_at in heads}
        for seq, entity_type, entity_id, role in s.execute(
            select(OutboxEntity.outbox_seq, OutboxEntity.entity_type, OutboxEntity.entity_id,
                   OutboxEntity.role).where(OutboxEntity.outbox_seq.in_(list(nodes)))
        ):
            nodes[seq].entities[(entity_type, entity_id)] = role
        yield from nodes.values()
        if len(heads) < page:
            return
        after = heads[-1].seq


def _items(s: Session, where: Any, order: Any, limit: int | None = None) -> list[OutboxItem]:
    query = select(*(getattr(OutboxEntry, f) for f in _ITEM_FIELDS)).where(where).order_by(order)
    if limit is not None:
        query = query.limit(limit)
    rows: Sequence[Row[Any]] = s.execute(query).all()
    if not rows:
        return []
    seqs = [r.seq for r in rows]
    entities: dict[int, list[tuple[str, str, str]]] = {seq: [] for seq in seqs}
    for seq, entity_type, entity_id, role in s.execute(
        select(OutboxEntity.outbox_seq, OutboxEntity.entity_type, OutboxEntity.entity_id,
               OutboxEntity.role).where(OutboxEntity.outbox_seq.in_(seqs))
        .order_by(OutboxEntity.outbox_seq, OutboxEntity.entity_type, OutboxEntity.entity_id)
    ):
        entities[seq].append((entity_type, entity_id, role))
    return [OutboxItem(**r._asdict(), entities=tuple(entities[r.seq])) for r in rows]


class OutboxService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- what the desktop shows ------------------------------------------------------------
    def counts(self) -> OutboxCounts:
        """``pending``: waiting for the hub (pending or in flight); ``conflicts``: refused,
        directly or because they depend on a refused change (conflict or parked)."""
        with self.ctx.reading() as s:
            rows: dict[str, int] = {
                status: count for status, count in s.execute(
                    select(OutboxEntry.status, func.count())
                    .where(OutboxEntry.status.in_(UNSETTLED))
                    .group_by(OutboxEntry.status)
                )
            }
        return OutboxCounts(sum(int(rows.get(st, 0)) for st in UNCONFIRMED),
                            sum(int(rows.get(st, 0)) for st in REFUSED))

    def conflicts(self, *, limit: int = 200) -> list[OutboxItem]:
        """Changes the hub refused (or parked behind one), newest first, each with its reason
        in ``last_error`` and the hub's code in ``last_code``."""
        with self.ctx.reading() as s:
            return _items(s, OutboxEntry.status.in_(REFUSED), OutboxEntry.seq.desc(), limit)

    def get(self, seq: int) -> OutboxItem:
        with self.ctx.reading() as s:
            found = _items(s, OutboxEntry.seq == seq, OutboxEntry.seq)
        if not found:
            raise NotFound("outbox entry", seq)
        return found[0]

    def pending(self, *, limit: int | None = None) -> list[OutboxItem]:
        """Entries not yet confirmed by the hub (pending or in flight), oldest first."""
        with self.ctx.reading() as s:
            return _items(s, OutboxEntry.status.in_(UNCONFIRMED), OutboxEntry.seq, limit)

    def pending_ids(self, profile_id: str) -> frozenset[str]:
        """Ids of this profile's records that changes still waiting for the hub create or
        change: exactly the entities those entries recorded (not ones they only refer to)."""
        with self.ctx.reading() as s:
            return frozenset(s.scalars(
                select(OutboxEntity.entity_id).distinct()
                .join(OutboxEntry, OutboxEntry.seq == OutboxEntity.outbox_seq)
                .where(OutboxEntry.status.in_(UNCONFIRMED), OutboxEntry.profile_id == profile_id,
                       OutboxEntity.role != "ref")
            ))

    def dependents(self, seq: int) -> list[int]:
        """Seqs of the pending or in-flight entries after ``seq`` that depend on it, directly
        or through one another (same unit, or an entity one of the pair creates or changes),
        in order. The pusher parks these when the hub refuses ``seq``."""
        with self.ctx.reading() as s:
            nodes = _nodes(s, or_(OutboxEntry.seq == seq,
                                  and_(OutboxEntry.seq > seq, OutboxEntry.status.in_(UNCONFIRMED))))
            first = next(nodes, None)
            if first is None or first.seq != seq:
                raise NotFound("outbox entry", seq)
            reach = _Reach()
            # ``seq`` is being refused and its dependents parked: refused entries only.
            reach.add(first, refs=False)
            out: list[int] = []
            for node in nodes:
                if reach.reaches(node):
                    reach.add(node, refs=False)
                    out.append(node.seq)
        return out

    # -- the pusher's moves ------------------------------------------------------------------
    def claim_next(self, limit: int, now: datetime | None = None) -> list[OutboxItem]:
        """Claim up to ``limit`` entries to send now, oldest first, moving each pending ->
        in_flight (attempts + 1) by a conditional UPDATE: an entry another process claimed
        first is left to it. Skipped: entries whose ``next_attempt_at`` is after ``now``, and
        entries depending on an earlier one that is not settled (in flight, waiting for a
        retry, refused or parked) — the hub must see a record's changes in order. An entry
        and those depending on it may come in one batch: send them in the order given and
        settle each with ``mark_done``, ``mark_retry`` or ``mark_conflict``; when one is
        refused, ``park`` its ``dependents`` (those of this batch included) instead of
        sending them, and when one must be retried, retry the rest of the batch too."""
        if limit <= 0:
            return []
        when = now or self.ctx.clock.now()
        with self.ctx.db.write() as s:
            blocked = _Reach()
            claimed: list[int] = []
            for node in _nodes(s, OutboxEntry.status.in_(UNSETTLED)):
                if len(claimed) >= limit:
                    break
                due = node.next_attempt_at is None or node.next_attempt_at <= when
                if node.status == PENDING and due and not blocked.reaches(node):
                    won = s.connection().execute(
                        update(OutboxEntry)
                        .where(OutboxEntry.seq == node.seq, OutboxEntry.status == PENDING)
                        .values(status=IN_FLIGHT, attempts=OutboxEntry.attempts + 1,
                                updated_at=when)
                    ).rowcount
                    if won == 1:
                        claimed.append(node.seq)
                        continue
                blocked.add(node, refs=node.status not in REFUSED)
            return _items(s, OutboxEntry.seq.in_(claimed), OutboxEntry.seq) if claimed else []

    def mark_done(self, seq: int, response: Any = None) -> None:
        """in_flight -> done: the hub accepted it; ``response`` is what it answered."""
        self._move(seq, (IN_FLIGHT,), response=response, **_DONE)

    def mark_done_many(self, answers: Sequence[tuple[int, Any]]) -> list[int]:
        """``mark_done`` for each (seq, response), in one write transaction: a pushed batch's
        applied entries are settled with one commit, not one each. Returns the seqs that were
        no longer in flight — another sender on this till file settled them first, and its
        answer stands."""
        if not answers:
            return []
        with self.ctx.db.write() as s:
            now = self.ctx.clock.now()
            conn = s.connection()
            # One read of the batch's states and one UPDATE run for every entry still in
            # flight: building and running an UPDATE per entry was a third of the till's CPU
            # in a push (issue 19). The write transaction holds the file's write lock, so
            # what the read saw in flight is still in flight when the UPDATE runs.
            flying = {seq for seq, status in conn.execute(
                select(OutboxEntry.seq, OutboxEntry.status)
                .where(OutboxEntry.seq.in_([seq for seq, _ in answers]))) if status == IN_FLIGHT}
            rest = [{"s": seq, "r": response, "now": now}
                    for seq, response in answers if seq in flying]
            if rest:
                won = conn.execute(_SETTLE, rest).rowcount
                if conn.dialect.supports_sane_multi_rowcount and won != len(rest):
                    raise OutboxStateError(rest[0]["s"], (IN_FLIGHT,), "settled meanwhile")
        return [seq for seq, _ in answers if seq not in flying]

    def mark_retry(self, seq: int, error: str, next_attempt_at: datetime) -> None:
        """in_flight -> pending: not delivered (network, 5xx); try again from
        ``next_attempt_at``. The entries behind it wait with it."""
        self._move(seq, (IN_FLIGHT,), status=PENDING, last_error=error,
                   next_attempt_at=next_attempt_at)

    def retry_now(self) -> int:
        """Pending entries waiting out a back-off become due now ("Sync now"); returns how
        many."""
        with self.ctx.db.write() as s:
            return int(s.connection().execute(
                update(OutboxEntry)
                .where(OutboxEntry.status == PENDING, OutboxEntry.next_attempt_at.is_not(None))
                .values(next_attempt_at=None)).rowcount)

    def unclaim(self, seq: int) -> None:
        """in_flight -> pending, as if never claimed (attempts - 1): the pusher claimed it in a
        batch but holds it back, because it depends on an earlier entry of that batch whose
        answer it must see first (a refused one parks it instead of sending it)."""
        self._move(seq, (IN_FLIGHT,), status=PENDING, attempts=OutboxEntry.attempts - 1)

    def mark_conflict(self, seq: int, code: str, message: str, response: Any = None) -> None:
        """in_flight -> conflict: the hub refused it for good (``code``: its reason code).
        Park its ``dependents`` next; a manager sees it in Conflicts and may dismiss it."""
        self._move(seq, (IN_FLIGHT,), status=CONFLICT, last_code=code, last_error=message,
                   response=response, next_attempt_at=None)

    def park(self, seq: int, reason: str) -> None:
        """pending | in_flight -> parked: it depends on a refused change, so sending it would
        fail or do the wrong thing (in flight: claimed in the refused one's batch and not
        sent); it shows with the conflicts, with ``reason``."""
        self._move(seq, UNCONFIRMED, status=PARKED, last_code=DEPENDS_ON_REFUSED,
                   last_error=reason, next_attempt_at=None)

    def dismiss(self, seq: int, actor: Actor) -> None:
        """conflict | parked -> dismissed, by a manager or admin: the refused change is given
        up (the hub's version of its records stands). Audited as ``outbox.dismiss``."""
        require(actor, Action.DISMISS_CHANGE)
        with self.ctx.transaction(actor) as uow:
            entry = uow.session.get(OutboxEntry, seq)
            if entry is None:
                raise NotFound("outbox entry", seq)
            before = {"status": entry.status, "last_code": entry.last_code,
                      "last_error": entry.last_error}
            self._move_in(uow.session, seq, REFUSED, uow.now, status=DISMISSED)
            uow.record("outbox.dismiss", "outbox", entry.id, profile_id=entry.profile_id,
                       before=before, after={"status": DISMISSED},
                       meta={"seq": seq, "request": f"{entry.method} {entry.path}"})

    def release_stale(self, older_than: datetime) -> list[int]:
        """in_flight -> pending for entries claimed before ``older_than`` (their sender
        crashed or was killed); returns their seqs. The hub's idempotency keys make a resend
        of one it did receive harmless."""
        with self.ctx.db.write() as s:
            seqs = list(s.scalars(select(OutboxEntry.seq).where(
                OutboxEntry.status == IN_FLIGHT, OutboxEntry.updated_at < older_than)))
            now = self.ctx.clock.now()
            return [seq for seq in seqs if s.connection().execute(
                update(OutboxEntry)
                .where(OutboxEntry.seq == seq, OutboxEntry.status == IN_FLIGHT,
                       OutboxEntry.updated_at < older_than)
                .values(status=PENDING, updated_at=now)).rowcount == 1]

    def _move(self, seq: int, expected: Sequence[str], **values: Any) -> None:
        with self.ctx.db.write() as s:
            self._move_in(s, seq, expected, self.ctx.clock.now(), **values)

    @staticmethod
    def _move_in(s: Session, seq: int, expected: Sequence[str], now: datetime,
                 **values: Any) -> None:
        won = s.connection().execute(
            update(OutboxEntry)
            .where(OutboxEntry.seq == seq, OutboxEntry.status.in_(tuple(expected)))
            .values(updated_at=now, **values)
        ).rowcount
        if won != 1:
            actual = s.scalar(select(OutboxEntry.status).where(OutboxEntry.seq == seq))
            raise OutboxStateError(seq, expected, actual)
