"""The profile overview and the checkout's benefit rows as plain records (issue 7).

Every read for one overview joins a single read transaction (``Context.snapshot``): the header,
benefits, rewards, balance and claim options agree with each other, and the panel's load costs
one transaction instead of one per service call.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from clienteling.engine import rules
from clienteling.engine.context import Context
from clienteling.engine.frozen import ProfileRecord, RewardRecord
from clienteling.engine.records import (
    BenefitRow,
    ClaimRow,
    ExpiringItem,
    ProfileHeader,
    ProfileOverview,
    RewardRow,
)
from clienteling.engine.services.benefits import BenefitItem, BenefitService, ClaimChoice
from clienteling.engine.services.outbox import OutboxService
from clienteling.engine.services.profiles import ProfileService, condition_data
from clienteling.engine.services.rewards import RewardService

EXPIRING_SOON = timedelta(days=14)


def profile_header(profile: ProfileRecord, now: datetime, pending: frozenset[str]) -> ProfileHeader:
    return ProfileHeader(
        id=profile.id, first_name=profile.first_name, last_name=profile.last_name,
        email=profile.email, mobile_phone=profile.mobile_phone, gender=profile.gender,
        tier=profile.tier, cards=tuple(sorted(i.identifier for i in profile.identities)),
        pending=profile.id in pending, condition_data=condition_data(profile, now),
    )


def benefit_row(item: BenefitItem, pending: frozenset[str]) -> BenefitRow:
    b, d = item.benefit, item.definition
    return BenefitRow(
        id=b.id, definition_id=d.id, name=d.name,
        description=d.short_description or d.description,
        remaining=b.redemptions_remaining, max_redemptions=d.max_redemptions,
        issued_at=b.issued_at, expires_at=b.expires_at, source=b.source, state=item.state,
        code_pos=b.redeem_code_pos, code_online=b.redeem_code_online,
        extendable=bool(d.is_extendable), reassignable=bool(d.is_reassignable),
        pending=b.id in pending,
    )


def reward_row(r: RewardRecord, now: datetime, pending: frozenset[str]) -> RewardRow:
    d = r.definition
    return RewardRow(
        id=r.id, definition_id=d.id, name=d.name, initial=r.value_initial,
        remaining=r.value_remaining, issued_at=r.issued_at, expires_at=r.expires_at,
        live=rules.reward_is_live(r, now),
        extendable=bool(d.is_extendable and d.extend_days and r.expires_at is not None),
        reason=r.reason, pending=r.id in pending,
    )


def claim_row(c: ClaimChoice) -> ClaimRow:
    t = c.terms
    return ClaimRow(t.id, t.handle, t.name, t.description, c.claimable, c.code, c.message,
                    t.max_redemptions)


def expiring(rewards: tuple[RewardRow, ...], benefits: tuple[BenefitRow, ...],
             now: datetime) -> tuple[ExpiringItem, ...]:
    """Live rewards and usable benefits that expire within ``EXPIRING_SOON``, soonest first."""
    limit = now + EXPIRING_SOON
    items = [ExpiringItem(r.expires_at, r.name, r.remaining) for r in rewards
             if r.live and r.expires_at is not None and r.expires_at <= limit]
    items += [ExpiringItem(b.expires_at, b.name, None) for b in benefits
              if b.redeemable and b.expires_at is not None and b.expires_at <= limit]
    items.sort(key=lambda i: i.expires_at)
    return tuple(items)


class OverviewReader:
    def __init__(self, ctx: Context, profiles: ProfileService, benefits: BenefitService,
                 rewards: RewardService, outbox: OutboxService) -> None:
        self.ctx = ctx
        self._profiles, self._benefits, self._rewards, self._outbox = (
            profiles, benefits, rewards, outbox)

    def overview(self, profile_id: str, tz: str | None = None, *,
                 claims: bool = True) -> ProfileOverview:
        """``claims=False`` skips the claim options (their conditions are the costly part) for a
        caller that knows they did not change; ``claim_options`` is then empty."""
        now = self.ctx.clock.now()
        with self.ctx.snapshot():
            profile = self._profiles.get(profile_id)
            pending = self._outbox.pending_ids(profile_id)
            benefits = tuple(benefit_row(i, pending) for i in self._benefits.for_profile(profile_id))
            rewards = tuple(reward_row(r, now, pending) for r in self._rewards.for_profile(profile_id))
            options = (tuple(claim_row(c) for c in self._benefits.claim_choices(profile_id, tz))
                       if claims else ())
            header = profile_header(profile, now, pending)
        return ProfileOverview(
            profile=header, benefits=benefits, rewards=rewards,
            # R3 over the rewards just read, rather than a second query for the same rows.
            balance=sum((r.remaining for r in rewards if r.live), Decimal("0.00")),
            claim_options=options, expiring=expiring(rewards, benefits, now), now=now,
        )

    def checkout_rows(self, profile_id: str) -> tuple[tuple[BenefitRow, ...], Decimal]:
        """The benefits the checkout can apply (redeemable now, B2) and the balance (R3)."""
        now = self.ctx.clock.now()
        with self.ctx.snapshot():
            pending = self._outbox.pending_ids(profile_id)
            benefits = tuple(benefit_row(i, pending) for i in self._benefits.for_profile(profile_id)
                             if i.state.is_redeemable)
            rewards = self._rewards.for_profile(profile_id)
        balance = sum((r.value_remaining for r in rewards if rules.reward_is_live(r, now)),
                      Decimal("0.00"))
        return benefits, balance
