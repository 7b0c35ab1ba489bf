"""The one door into the domain (GUIDE principle 1): the UI and the hub call these services;
neither writes SQL nor holds an ORM session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from clienteling.engine.clock import Clock
from clienteling.engine.context import Area, Changes, Context, Listener, Mode, Policy, UnitOfWork
from clienteling.engine.db import current_revision, open_database
from clienteling.engine.permissions import Actor
from clienteling.engine.records import BenefitRow, ProfileOverview, TimelineRow
from clienteling.engine.services.benefits import BenefitItem, BenefitService, ClaimOption
from clienteling.engine.services.checkout import CheckoutService
from clienteling.engine.services.definitions import DefinitionService
from clienteling.engine.services.digest import DigestService, StaffScope
from clienteling.engine.services.outbox import OutboxCounts, OutboxService
from clienteling.engine.services.overview import OverviewReader
from clienteling.engine.services.profiles import (
    ProfileRow,
    ProfileService,
    ScanResult,
    SearchCursor,
    SearchPage,
)
from clienteling.engine.services.purchases import PurchaseService
from clienteling.engine.services.reactions import ReactionService
from clienteling.engine.services.refetch import RefetchService
from clienteling.engine.services.remote import RemoteResult, RemoteService
from clienteling.engine.services.reports import ReportService
from clienteling.engine.services.rewards import RewardService
from clienteling.engine.services.staff import StaffService
from clienteling.engine.services.sync_state import SyncStateService
from clienteling.engine.services.timeline import TIMELINE_LIMIT, TimelineReader

if TYPE_CHECKING:  # the hub's services, made on first use (a till never needs them)
    from clienteling.engine.services.devices import DeviceService
    from clienteling.engine.services.feed import FeedService
    from clienteling.engine.services.idempotency import IdempotencyStore
    from clienteling.engine.services.listing import ListingService
    from clienteling.engine.services.snapshot import RecordsPage, RowsPage
    from clienteling.engine.services.token_failures import TokenFailures
    from clienteling.engine.services.transfer import TransferService


class Clienteling:
    """The engine: ``Clienteling.open(url)`` on a till, ``mode="hub"`` on the hub.

    Its context (database, clock, policy, listeners) is private: the layers above use the
    services and the few named members below, never a session or the ORM."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self.staff = StaffService(ctx)
        self.profiles = ProfileService(ctx)
        self.definitions = DefinitionService(ctx)
        self.benefits = BenefitService(ctx)
        self.rewards = RewardService(ctx)
        self.purchases = PurchaseService(ctx)
        self.reactions = ReactionService(ctx)
        self.checkout = CheckoutService(ctx, self.benefits, self.rewards, self.purchases)
        self.outbox = OutboxService(ctx)
        self._overview = OverviewReader(ctx, self.profiles, self.benefits, self.rewards, self.outbox)
        self._timeline = TimelineReader(ctx, self.outbox)
        self.remote = RemoteService(ctx)
        self.digest = DigestService(ctx)
        self.sync_state = SyncStateService(ctx)
        self.refetch = RefetchService(ctx)
        self.reports = ReportService(ctx)

    @classmethod
    def open(
        cls,
        database: str,
        *,
        clock: Clock | None = None,
        policy: Policy | None = None,
        mode: Mode = "till",
    ) -> Clienteling:
        return cls(Context(open_database(database), clock, policy, mode))

    # -- what the layers above may know about this engine ------------------------------------

    @property
    def mode(self) -> Mode:
        return self._ctx.mode

    @property
    def policy(self) -> Policy:
        """The programme's rules in force: reward cap, offline allowance, currency, lockout."""
        return self._ctx.policy

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    def now(self) -> datetime:
        """The engine's present (aware UTC), from its clock."""
        return self._ctx.clock.now()

    @property
    def database_url(self) -> str:
        return self._ctx.db.url

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._ctx.db.dialect

    def schema_revision(self) -> str | None:
        """The Alembic revision the database is at (None for an empty one)."""
        return current_revision(self._ctx.db)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(changes)`` after every committed change; returns the unsubscribe."""
        return self._ctx.subscribe(listener)

    def notify(self, changes: Changes) -> None:
        """Tell the listeners about a change committed outside a unit of work (the pusher
        marking outbox entries sent)."""
        self._ctx.notify(changes)

    def on_statement(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback`` with each SQL statement just before it runs, on the thread that
        runs it (the desktop's GUI-thread guard); returns the call that stops it."""
        return self._ctx.db.on_statement(callback)

    def close(self) -> None:
        self._ctx.db.dispose()

    def __enter__(self) -> Clienteling:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- the hub's side: one request's unit of work, listings, devices, keys, first sync ----

    @contextmanager
    def shared_unit(self, actor: Actor | None) -> Iterator[UnitOfWork]:
        """One unit of work every service call inside joins (this thread or task) and that
        commits once at its end: the hub stores a request's key and response with its
        change this way (``Context.transaction(shared=True)``)."""
        with self._ctx.transaction(actor, shared=True) as uow:
            yield uow

    @contextmanager
    def reads_together(self) -> Iterator[None]:
        """Single-statement reads inside share one connection (``Database.reads_together``)."""
        with self._ctx.db.reads_together():
            yield

    @cached_property
    def listing(self) -> ListingService:
        from clienteling.engine.services.listing import ListingService

        return ListingService(self._ctx)

    @cached_property
    def feed(self) -> FeedService:
        """The change feed's pages with their stored entries (``engine.services.feed``)."""
        from clienteling.engine.services.feed import FeedService

        return FeedService(self._ctx)

    @cached_property
    def token_failures(self) -> TokenFailures:
        """Failed device-token checks in the database (a hub of several processes)."""
        from clienteling.engine.services.token_failures import TokenFailures

        return TokenFailures(self._ctx)

    @cached_property
    def devices(self) -> DeviceService:
        from clienteling.engine.services.devices import DeviceService

        return DeviceService(self._ctx)

    @cached_property
    def transfer(self) -> TransferService:
        """Importing and exporting a retailer's data (``hub import`` / ``hub export``)."""
        from clienteling.engine.services.transfer import TransferService

        return TransferService(self._ctx)

    @cached_property
    def idempotency(self) -> IdempotencyStore:
        from clienteling.engine.services.idempotency import IdempotencyStore

        return IdempotencyStore(self._ctx)

    def digest_for(self, staff_scope: StaffScope) -> DigestService:
        """The digest over what one device receives (staff PIN hashes in its scope only)."""
        return DigestService(self._ctx, staff_scope=staff_scope)

    def snapshot_records(self, token: str | None, limit: int) -> RecordsPage:
        """One page of a first sync's snapshot as records (``engine.services.snapshot``)."""
        from clienteling.engine.services.snapshot import snapshot_records

        return snapshot_records(self._ctx, token, limit)

    def snapshot_rows(self, token: str | None, limit: int) -> RowsPage:
        """One page of the snapshot in the rows-v2 format."""
        from clienteling.engine.services.snapshot import snapshot_rows

        return snapshot_rows(self._ctx, token, limit)

    def render_current(self, model: Any, ids: list[str],
                       render: Callable[[Any], Any]) -> list[tuple[str, Any]]:
        """``(id, render(record))`` for each id, or ``(id, None)`` when there is no such record,
        rendered inside one read (the hub's ``/sync/records``)."""
        # Read as the feed reads its records: the pusher reads back every record of each
        # batch it pushed (issue 19). Imported on first use, as the hub's services are.
        from clienteling.engine.services.feed import records_by_id

        with self._ctx.reading() as s:
            found = records_by_id(s, model, ids)
            return [(ident, None if (record := found.get(ident)) is None else render(record))
                    for ident in ids]

    def overview(self, profile_id: str, tz: str | None = None, *,
                 claims: bool = True) -> ProfileOverview:
        """Everything the profile panel shows, as frozen records, read in one transaction."""
        return self._overview.overview(profile_id, tz, claims=claims)

    def timeline(self, profile_id: str, tz: str = "UTC", *,
                 limit: int = TIMELINE_LIMIT) -> tuple[TimelineRow, ...]:
        """The customer's history in words, newest first (what the History tab lists)."""
        return self._timeline.timeline(profile_id, tz, limit=limit)

    def checkout_rows(self, profile_id: str) -> tuple[tuple[BenefitRow, ...], Decimal]:
        """The benefits a checkout can apply now and the reward balance, in one read."""
        return self._overview.checkout_rows(profile_id)


__all__ = [
    "Area",
    "BenefitItem",
    "BenefitRow",
    "Changes",
    "ClaimOption",
    "Clienteling",
    "Context",
    "OutboxCounts",
    "Policy",
    "ProfileOverview",
    "ProfileRow",
    "RemoteResult",
    "ScanResult",
    "SearchCursor",
    "SearchPage",
    "TimelineRow",
]
