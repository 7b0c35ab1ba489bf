"""The one door into the domain (GUIDE principle 1): the UI and the hub call these services;
neither writes SQL nor holds an ORM session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from clienteling.engine import rules
from clienteling.engine.clock import Clock
from clienteling.engine.context import Changes, Context, Mode, Settings
from clienteling.engine.db import Database, open_database
from clienteling.engine.models import Profile, Reward
from clienteling.engine.services.benefits import BenefitItem, BenefitService, ClaimOption
from clienteling.engine.services.checkout import CheckoutService
from clienteling.engine.services.definitions import DefinitionService
from clienteling.engine.services.digest import DigestService
from clienteling.engine.services.outbox import OutboxCounts, OutboxService
from clienteling.engine.services.profiles import ProfileRow, ProfileService, ScanResult
from clienteling.engine.services.rewards import RewardService
from clienteling.engine.services.staff import StaffService

EXPIRING_SOON = timedelta(days=14)


@dataclass(frozen=True)
class ProfileOverview:
    """Everything the profile panel shows, read in one go."""

    profile: Profile
    benefits: list[BenefitItem]
    rewards: list[Reward]
    balance: Decimal
    claim_options: list[ClaimOption]
    expiring_rewards: list[Reward]


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

    def overview(self, profile_id: str, tz: str | None = None) -> ProfileOverview:
        profile = self.profiles.get(profile_id)
        rewards = self.rewards.for_profile(profile_id)
        now = self.ctx.clock.now()
        live = [r for r in rewards if rules.reward_is_live(r, now)]
        soon = [r for r in live if r.expires_at is not None and r.expires_at <= now + EXPIRING_SOON]
        return ProfileOverview(
            profile=profile,
            benefits=self.benefits.for_profile(profile_id),
            rewards=rewards,
            # R3 over the rewards just read, rather than a second query for the same rows.
            balance=sum((r.value_remaining for r in live), Decimal("0.00")),
            claim_options=self.benefits.claim_options(profile_id, tz),
            expiring_rewards=soon,
        )


__all__ = [
    "BenefitItem",
    "Changes",
    "ClaimOption",
    "Clienteling",
    "Context",
    "OutboxCounts",
    "ProfileOverview",
    "ProfileRow",
    "ScanResult",
    "Settings",
]
