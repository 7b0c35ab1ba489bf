"""Rewards: issue, balance, redeem an amount, void, extend (SPEC §3.5).

A redemption draws from rewards nearest expiry first (R4), each draw a
conditional ``UPDATE … WHERE value_remaining >= :take`` so the balance can
never go below zero however many tills race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from clienteling.engine import frozen, rules, wire
from clienteling.engine.context import Context, HubCall, UnitOfWork
from clienteling.engine.errors import PermissionDenied, RuleRefused, ValidationError
from clienteling.engine.form import Form, opt, read_amount, read_ref
from clienteling.engine.frozen import AuditEventRecord, RedemptionTransaction, RewardRecord
from clienteling.engine.models import (
    AuditEvent,
    Benefit,
    BenefitDefinition,
    Profile,
    Redemption,
    RedemptionItem,
    Reward,
    RewardDefinition,
    new_id,
)
from clienteling.engine.money import format_money
from clienteling.engine.permissions import Action, Actor, require
from clienteling.engine.services.benefits import refuse
from clienteling.engine.services.lookup import definition_by_ref, get_or_not_found
from clienteling.engine.services.redemptions import start_redemption
from clienteling.engine.services.updates import rowcount

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Allocation:
    reward_id: str
    amount: Decimal


def _live(now: datetime) -> Any:
    return (
        Reward.is_active.is_(True),
        Reward.value_remaining > 0,
        or_(Reward.expires_at.is_(None), Reward.expires_at > now),
    )


def plan_draws(rewards: Sequence[Any], amount: Decimal, now: datetime) -> list[Allocation]:
    """R4: which rewards an amount comes from, nearest expiry first, partial where needed.

    ``rewards``: ``Reward`` objects, or rows with the columns the rules read (id, is_active,
    value_remaining, expires_at, issued_at)."""
    left = amount
    plan: list[Allocation] = []
    for reward in sorted((r for r in rewards if rules.reward_is_live(r, now)),
                         key=rules.reward_draw_order):
        if left <= 0:
            break
        take = min(left, reward.value_remaining)
        plan.append(Allocation(reward.id, take))
        left -= take
    if left > 0:
        raise refuse(rules.OVER_BALANCE)
    return plan


class RewardService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    # -- reading ---------------------------------------------------------------
    def for_profile(self, profile_id: str) -> list[RewardRecord]:
        with self.ctx.reading() as s:
            rewards = [frozen.reward(r)
                       for r in s.scalars(select(Reward).where(Reward.profile_id == profile_id))]
        now = self.ctx.clock.now()
        rewards.sort(key=lambda r: (not rules.reward_is_live(r, now), rules.reward_draw_order(r)))
        return rewards

    def balance(self, profile_id: str) -> Decimal:
        """R3: the sum of value_remaining over the profile's unexpired, active rewards."""
        now = self.ctx.clock.now()
        with self.ctx.reading() as s:
            return _balance(s, profile_id, now)

    def preview(self, profile_id: str, amount: Any) -> list[Allocation]:
        """What a redemption of ``amount`` would draw, for the confirm screen."""
        value = read_amount(amount, field="amount", currency=self.ctx.policy.currency)
        now = self.ctx.clock.now()
        with self.ctx.reading() as s:
            return plan_draws(list(s.scalars(select(Reward).where(Reward.profile_id == profile_id))),
                              value, now)

    def redemptions(self, profile_id: str | None = None, *, limit: int = 100,
                    offset: int = 0) -> list[RedemptionTransaction]:
        with self.ctx.reading() as s:
            query = select(Redemption).order_by(Redemption.redeem_at.desc(), Redemption.id)
            if profile_id is not None:
                query = query.where(Redemption.profile_id == profile_id)
            return [frozen.redemption(r) for r in s.scalars(query.limit(limit).offset(offset))]

    def redemption(self, redemption_id: str) -> RedemptionTransaction:
        with self.ctx.reading() as s:
            return frozen.redemption(get_or_not_found(s, Redemption, redemption_id, "redemption"))

    def history(self, profile_id: str, *, limit: int = 200) -> list[AuditEventRecord]:
        with self.ctx.reading() as s:
            return [frozen.audit_event(e) for e in s.scalars(
                select(AuditEvent).where(AuditEvent.profile_id == profile_id)
                .order_by(AuditEvent.seq.desc()).limit(limit)
            )]

    # -- issuing (R1, R2) -----------------------------------------------------------
    def issue(self, actor: Actor, data: Any) -> RewardRecord:
        """Manual issue of a reward (customer service and the like): managers and admins, with a
        reason; a manager's single issue is capped, an admin's is not. An associate is refused
        unless a manager authorised it with their PIN (``Actor.with_override``)."""
        if not actor.may(Action.ISSUE_REWARD):
            raise PermissionDenied(Action.ISSUE_REWARD.value, actor.effective_role.value)
        form = Form(data)
        profile_id = form.text("profile_id", required=True, max_len=36)
        ref = opt(form.text("reward_definition_id", max_len=100)) or opt(
            form.text("reward_definition_handle", max_len=100))
        amount = opt(form.amount("value_initial", currency=self.ctx.policy.currency))
        reason = form.text("reason", required=True, max_len=1000)
        tz = opt(form.timezone("timezone")) or actor.timezone
        reward_id = opt(form.text("id", max_len=36))
        external_id = opt(form.text("external_id", max_len=128))
        # An opening balance from another system keeps its dates (``hub import``).
        issued_at = opt(form.instant("issued_at", tz))
        given_expiry = form.has("expires_at")
        expires_at = form.instant("expires_at", tz) if given_expiry else None
        if not ref:
            form.error("reward_definition_id", "give reward_definition_id or "
                       "reward_definition_handle")
        form.done()
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            definition = definition_by_ref(s, RewardDefinition, ref, "reward definition")
            if definition.is_archived:
                raise refuse(rules.ARCHIVED)
            if s.get(Profile, profile_id) is None:
                raise ValidationError.field("profile_id", f"no profile with id {profile_id}")
            if amount is None:
                amount = definition.value
            if amount is None:
                raise ValidationError.field("value_initial", "is required: this definition has "
                                            "no default value")
            if definition.max_value is not None and amount > definition.max_value:
                raise ValidationError.field(
                    "value_initial", f"must be at most {format_money(definition.max_value)} for "
                    f"{definition.name}")
            cap = self.ctx.policy.manager_reward_cap
            if amount > cap and not actor.may(Action.ISSUE_REWARD_UNCAPPED):
                raise RuleRefused(rules.OVER_CAP, f"A manager can issue at most {format_money(cap)} "
                                  "at a time; ask an admin for more")
            if reward_id and s.get(Reward, reward_id) is not None:
                raise ValidationError.field("id", "a reward with this id already exists")
            issued = issued_at or uow.now
            reward = Reward(
                id=reward_id or new_id(), profile_id=profile_id,
                reward_definition_id=definition.id, external_id=external_id,
                value_initial=amount, value_remaining=amount, issued_at=issued, timezone=tz,
                expires_at=(expires_at if given_expiry  # a given expiry wins, as for benefits
                            else rules.add_local_days(issued, definition.period, tz)
                            if definition.period is not None else None),
                is_active=True, issued_by_staff_id=actor.staff_id, reason=reason,
                created_at=uow.now, updated_at=uow.now,
            )
            s.add(reward)
            s.flush()
            s.refresh(reward)
            uow.record("reward.issue", "reward", reward.id, profile_id=profile_id,
                       after=wire.reward(reward, embed_definition=False),
                       call=HubCall("POST", "/rewards", {
                           "id": reward.id, "profile_id": profile_id,
                           "reward_definition_id": definition.id,
                           "value_initial": wire.money(amount), "timezone": tz, "reason": reason,
                           **({"external_id": external_id} if external_id else {}),
                           **({"issued_at": wire.iso(reward.issued_at)} if issued_at else {}),
                           **({"expires_at": wire.iso(reward.expires_at)} if given_expiry else {}),
                       }))
            return frozen.reward(reward)

    def extend(self, actor: Actor, reward_id: str) -> RewardRecord:
        """R6: expires_at += the definition's extend_days, when it is extendable."""
        require(actor, Action.MANAGE_INSTANCE)
        with self.ctx.transaction(actor) as uow:
            reward = get_or_not_found(uow.session, Reward, reward_id, "reward")
            d = reward.definition
            if not d.is_extendable or not d.extend_days:
                raise refuse(rules.NOT_EXTENDABLE, "This reward's definition is not extendable.")
            if reward.expires_at is None:
                raise refuse(rules.NOT_EXTENDABLE, "This reward never expires.")
            before = wire.reward(reward, embed_definition=False)
            reward.expires_at = rules.add_local_days(reward.expires_at, d.extend_days,
                                                     reward.timezone)
            reward.extended_at = uow.now
            reward.updated_at = uow.now
            uow.session.flush()
            uow.record("reward.extend", "reward", reward.id, profile_id=reward.profile_id,
                       before=before, after=wire.reward(reward, embed_definition=False),
                       call=HubCall("POST", "/rewards/extend",
                                    {"ids": [reward.id], "profile_id": reward.profile_id}))
            return frozen.reward(reward)

    # -- redeeming (R4) -----------------------------------------------------------------
    def redeem_amount(
        self, actor: Actor, profile_id: str, amount: Any, *, receipt: str | None = None,
        redemption_id: str | None = None,
    ) -> RedemptionTransaction:
        require(actor, Action.REDEEM_REWARD)
        value = read_amount(amount, field="amount", currency=self.ctx.policy.currency)
        with self.ctx.transaction(actor) as uow:
            return frozen.redemption(self.redeem_in(uow, profile_id, value, receipt,
                                                    redemption_id))

    def redeem_in(self, uow: UnitOfWork, profile_id: str, value: Decimal, receipt: str | None,
                  redemption_id: str | None, *, meta: Any = None) -> Redemption:
        """R4 inside an open unit of work (the counter checkout redeems benefits in the same one)."""
        at = uow.judged_at
        # A used redemption id first, then an unknown profile: the order the hub has always
        # answered them in.
        start = start_redemption(uow, receipt, redemption_id)
        start.require_profile(profile_id)
        plan = _draw(uow, profile_id, value, at)
        items = [RedemptionItem(id=new_id(), redemption_id=start.id, position=i, type="reward",
                                item_id=d.reward_id, value=d.amount, count=1)
                 for i, d in enumerate(plan)]
        redemption = start.finish(profile_id, value, items, meta=meta)
        uow.record("reward.redeem", "redemption", redemption.id, profile_id=profile_id,
                   after=wire.redemption(redemption),
                   call=HubCall("POST", f"/profiles/{profile_id}/redeem", {
                       "redemption_id": redemption.id, "amount": wire.money(value),
                       "strategies": ["rewards"], "location_id": redemption.location_id,
                       "transaction_receipt_ref": start.receipt,
                   }))
        return redemption

    # -- voiding (R5) ---------------------------------------------------------------------
    def void(self, actor: Actor, redemption_id: str, *,
             reversal_id: str | None = None) -> RedemptionTransaction:
        """R5: put every allocation back; a second void changes nothing."""
        require(actor, Action.VOID)
        with self.ctx.transaction(actor) as uow:
            s = uow.session
            original = get_or_not_found(s, Redemption, redemption_id, "redemption")
            if original.type != "redeem":
                raise refuse(rules.NOT_REVERSIBLE, "A reversal cannot itself be voided.")
            rid = read_ref(reversal_id, field="reversal_id") or new_id()
            if s.get(Redemption, rid) is not None:
                raise ValidationError.field("reversal_id", "a redemption with this id already exists")
            won = rowcount(s.execute(
                update(Redemption)
                .where(Redemption.id == redemption_id, Redemption.reversed_by_id.is_(None))
                .values(reversed_by_id=rid)
                .execution_options(synchronize_session=False)
            ))
            if won != 1:
                raise refuse(rules.ALREADY_REVERSED)
            for item in original.items:
                if item.type == "reward":
                    s.execute(update(Reward).where(Reward.id == item.item_id)
                              .values(value_remaining=Reward.value_remaining + item.value,
                                      updated_at=uow.now)
                              .execution_options(synchronize_session=False))
                    uow.touch("reward", item.item_id)
                else:
                    self._put_back_benefit(s, uow, item)
            reversal = Redemption(
                id=rid, profile_id=original.profile_id, type="reversal", total=original.total,
                location_id=actor.store_id, staff_id=actor.staff_id,
                transaction_receipt_ref=original.transaction_receipt_ref,
                redeem_at=actor.occurred_at or uow.now, reversal_of_id=original.id,
                created_at=uow.now,
                items=[RedemptionItem(id=new_id(), position=i.position, type=i.type,
                                      item_id=i.item_id, value=i.value, count=i.count)
                       for i in original.items],
            )
            s.add(reversal)
            s.flush()
            uow.touch("redemption", original.id)
            uow.record("redemption.void", "redemption", reversal.id,
                       profile_id=original.profile_id, after=wire.redemption(reversal),
                       meta={"voided": original.id},
                       call=HubCall("POST", f"/redemptions/{original.id}/reversal",
                                    {"reversal_id": reversal.id}))
            return frozen.redemption(reversal)

    @staticmethod
    def _put_back_benefit(s: Session, uow: UnitOfWork, item: RedemptionItem) -> None:
        benefit = s.get(Benefit, item.item_id)
        if benefit is None:
            return  # deleted since; its audit trail keeps the record
        s.execute(update(Benefit).where(Benefit.id == benefit.id,
                                        Benefit.redemptions_remaining.is_not(None))
                  .values(redemptions_remaining=Benefit.redemptions_remaining + item.count,
                          updated_at=uow.now)
                  .execution_options(synchronize_session=False))
        s.execute(update(BenefitDefinition)
                  .where(BenefitDefinition.id == benefit.benefit_definition_id)
                  .values(total_global_redemptions=func.max(
                      BenefitDefinition.total_global_redemptions - item.count, 0)
                      if s.get_bind().dialect.name == "sqlite" else func.greatest(
                      BenefitDefinition.total_global_redemptions - item.count, 0))
                  .execution_options(synchronize_session=False))
        uow.touch("benefit", benefit.id)
        uow.touch("benefit_definition", benefit.benefit_definition_id)


# R4's reads and draws as Core statements built once: a redeem reads only the columns the
# plan needs (the ORM's Reward also joins its definition) and keeps no objects in the
# session. The live condition is the one ``_live`` states, over the table's columns.
_R = cast(Table, Reward.__table__)
_LIVE_ROW = (_R.c.is_active.is_(True), _R.c.value_remaining > 0,
             or_(_R.c.expires_at.is_(None), _R.c.expires_at > bindparam("now")))
_PLAN_READ = select(_R.c.id, _R.c.is_active, _R.c.value_remaining, _R.c.expires_at,
                    _R.c.issued_at).where(_R.c.profile_id == bindparam("profile"), *_LIVE_ROW)
_LOCKED_READ = (_PLAN_READ.order_by(_R.c.expires_at.asc().nulls_last(), _R.c.issued_at, _R.c.id)
                .with_for_update())
_DRAW = (update(_R)
         .where(_R.c.id == bindparam("reward"), _R.c.value_remaining >= bindparam("take"),
                *_LIVE_ROW)
         .values(value_remaining=_R.c.value_remaining - bindparam("amount"),
                 updated_at=bindparam("at")))
_BALANCE = select(func.sum(_R.c.value_remaining)).where(_R.c.profile_id == bindparam("profile"),
                                                        *_LIVE_ROW)


def _draw(uow: UnitOfWork, profile_id: str, value: Decimal, at: datetime) -> list[Allocation]:
    """R4's draws, each a conditional UPDATE whose row count says whether it won.

    On PostgreSQL (READ COMMITTED) another redemption can draw from a planned reward
    between this plan's read and its UPDATE, which then matches no row although other
    rewards may still cover the amount. Refusing that as ``over_balance`` refused redeems
    the balance covered (issue 9), so a lost draw re-plans what is left from the committed
    rows, this time read ``FOR UPDATE`` in draw order: the second plan cannot lose, so there
    are at most two, and only a balance that really falls short is refused. Locking in
    draw order, the order every redemption updates rewards in, keeps it free of deadlocks.
    SQLite serialises writers (BEGIN IMMEDIATE) and never loses a draw; its re-read would
    ignore ``FOR UPDATE``.
    """
    uow.session.flush()  # the Core statements below do not autoflush
    conn = uow.session.connection()
    drawn: dict[str, Decimal] = {}
    left = value
    for read in (_PLAN_READ, _LOCKED_READ):
        rewards = list(conn.execute(read, {"profile": profile_id, "now": at}))
        for draw in plan_draws(rewards, left, at):
            won = rowcount(conn.execute(_DRAW, {"reward": draw.reward_id, "take": draw.amount,
                                                "amount": draw.amount, "now": at,
                                                "at": uow.now}))
            if won != 1:
                break  # another redemption drew from it first: plan the rest again
            drawn[draw.reward_id] = drawn.get(draw.reward_id, ZERO) + draw.amount
            left -= draw.amount
            uow.touch("reward", draw.reward_id)
        else:
            return [Allocation(reward_id, amount) for reward_id, amount in drawn.items()]
    # Rows locked FOR UPDATE cannot change under us: losing twice is not a race but a bug.
    raise RuntimeError(f"a redemption of {value} lost a draw on rewards it had locked")


def _balance(s: Session, profile_id: str, now: datetime) -> Decimal:
    # sum() keeps its argument's Money type, so the cents come back as a Decimal.
    s.flush()  # a Core statement on the session's connection does not autoflush
    total = s.connection().scalar(_BALANCE, {"profile": profile_id, "now": now})
    return total if total is not None else ZERO
