"""The one door into the domain (GUIDE principle 1): the UI and the hub call these services;
neither writes SQL nor holds an ORM session."""

from __future__ import annotations

from decimal import Decimal

from clienteling.engine.clock import Clock
from clienteling.engine.context import Area, Changes, Context, Mode, Settings
from clienteling.engine.db import Database, open_database
from clienteling.engine.records import BenefitRow, ProfileOverview, TimelineRow
from clienteling.engine.services.benefits import BenefitItem, BenefitService, ClaimOption
from clienteling.engine.services.checkout import CheckoutService
from clienteling.engine.services.definitions import DefinitionService
from clienteling.engine.services.digest import DigestService
from clienteling.engine.services.outbox import OutboxCounts, OutboxService
from clienteling.engine.services.overview import OverviewReader
from clienteling.engine.services.profiles import (
    ProfileRow,
    ProfileService,
    ScanResult,
    SearchCursor,
    SearchPage,
)
from clienteling.engine.services.remote import RemoteResult, RemoteService
from clienteling.engine.services.rewards import RewardService
from clienteling.engine.services.staff import StaffService
from clienteling.engine.services.timeline import TIMELINE_LIMIT, TimelineReader


class Clienteling:
    """The engine: ``Clienteling.open(url)`` on a till, ``mode="hub"`` on the hub."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.staff = StaffService(ctx)
        self.profiles = ProfileService(ctx)
        self.definitions = DefinitionService(ctx)
        self.benefits = BenefitService(ctx)
        self.rewards = RewardService(ctx)
        self.checkout = CheckoutService(ctx, self.benefits, self.rewards)
        self.outbox = OutboxService(ctx)
        self._overview = OverviewReader(ctx, self.profiles, self.benefits, self.rewards, self.outbox)
        self._timeline = TimelineReader(ctx, self.outbox)
        self.remote = RemoteService(ctx)
        self.digest = DigestService(ctx)

    @classmethod
    def open(
        cls,
        database: str,
        *,
        clock: Clock | None = None,
        settings: Settings | None = None,
        mode: Mode = "till",
    ) -> Clienteling:
        return cls(Context(open_database(database), clock, settings, mode))

    @property
    def db(self) -> Database:
        return self.ctx.db

    def close(self) -> None:
        self.ctx.db.dispose()

    def __enter__(self) -> Clienteling:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

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
    "ProfileOverview",
    "ProfileRow",
    "RemoteResult",
    "ScanResult",
    "SearchCursor",
    "SearchPage",
    "Settings",
    "TimelineRow",
]
