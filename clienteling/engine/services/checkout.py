"""The counter checkout (SPEC §3.6): Benefits → Rewards → (Credits) → Payment.

``preview`` works out every line's breakdown without changing anything;
``confirm`` recomputes the same preview inside one transaction and performs the
benefit redemptions (B3) and the reward redemption (R4) together, or none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clienteling.engine import rules
from clienteling.engine.context import Context, UnitOfWork
from clienteling.engine.errors import ValidationError
from clienteling.engine.form import Form, opt, read_amount, read_ref
from clienteling.engine.frozen import EarnedRecord, PurchaseRecord
from clienteling.engine.models import Benefit, Redemption, Reward, new_id
from clienteling.engine.money import apportion
from clienteling.engine.permissions import Action, Actor, require
from clienteling.engine.records import RedemptionRecord
from clienteling.engine.services.benefits import BenefitService, refuse
from clienteling.engine.services.lookup import get_or_not_found
from clienteling.engine.services.purchases import PurchaseService
from clienteling.engine.services.rewards import RewardService, plan_draws

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# Never discounted by reward dollars, whatever the definitions say (seed 004).
ALWAYS_EXCLUDED = frozenset({"gift_card", "shipping"})
MAX_LINES = 200


@dataclass(frozen=True)
class BasketLine:
    sku: str
    category: str
    quantity: int
    unit_price: Decimal
    full_price: bool = True
    description: str = ""

    @property
    def gross(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


@dataclass(frozen=True)
class LineBreakdown:
    line: BasketLine
    benefit_discount: Decimal
    reward_discount: Decimal
    benefits: tuple[str, ...]  # ids of the benefits that took something off this line

    @property
    def due(self) -> Decimal:
        return self.line.gross - self.benefit_discount - self.reward_discount


@dataclass(frozen=True)
class CheckoutPreview:
    lines: list[LineBreakdown]
    benefit_ids: list[str]
    reward_amount: Decimal
    reward_eligible: Decimal
    reward_balance: Decimal
    draws: list[Any] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((b.line.gross for b in self.lines), ZERO)

    @property
    def benefit_total(self) -> Decimal:
        return sum((b.benefit_discount for b in self.lines), ZERO)

    @property
    def reward_total(self) -> Decimal:
        return sum((b.reward_discount for b in self.lines), ZERO)

    @property
    def payment_due(self) -> Decimal:
        return self.subtotal - self.benefit_total - self.reward_total


@dataclass(frozen=True)
class CheckoutResult:
    preview: CheckoutPreview
    redemptions: list[Redemption]
    purchase: PurchaseRecord | None = None
    # What the purchase earned from reactions (RX4), to say on the confirmation.
    earned: tuple[EarnedRecord, ...] = ()


@dataclass(frozen=True)
class CheckoutReceipt:
    """A confirmed checkout as plain records, for the desktop (no ORM objects cross over)."""

    preview: CheckoutPreview
    redemptions: tuple[RedemptionRecord, ...]
    purchase: PurchaseRecord | None = None
    earned: tuple[EarnedRecord, ...] = ()


def read_basket(lines: Any) -> list[BasketLine]:
    if not isinstance(lines, list) or not lines:
        raise ValidationError.field("lines", "the basket needs at least one line")
    if len(lines) > MAX_LINES:
        raise ValidationError.field("lines", f"at most {MAX_LINES} lines")
    basket: list[BasketLine] = []
    errors: dict[str, list[str]] = {}
    for i, raw in enumerate(lines):
        if isinstance(raw, BasketLine):
            basket.append(raw)
            continue
        form = Form(raw) if isinstance(raw, dict) else None
        if form is None:
            errors[f"lines.{i}"] = ["must be an object with sku, category, quantity and unit_price"]
            continue
        sku = form.text("sku", required=True, max_len=64)
        category = opt(form.text("category", max_len=64)) or "general"
        quantity = form.integer("quantity", required=True, minimum=1, maximum=10_000)
        price = form.amount("unit_price", required=True)
        full = opt(form.flag("full_price"))
        description = opt(form.text("description", max_len=200)) or ""
        if form.errors:
            for name, problems in form.errors.items():
                errors[f"lines.{i}.{name}"] = problems
            continue
        basket.append(BasketLine(sku, category, quantity, price, True if full is None else full,
                                 description))
    if errors:
        raise ValidationError(errors)
    return basket


def _applies(spec: dict[str, Any], line: BasketLine) -> bool:
    if spec.get("full_price_only") and not line.full_price:
        return False
    categories, skus = spec.get("categories") or [], spec.get("skus") or []
    if not categories and not skus:
        return True
    return line.category in categories or line.sku in skus


def _percent(benefit: Benefit) -> tuple[Decimal, dict[str, Any]]:
    d = benefit.definition
    spec = dict(d.discount or {})
    if d.category == "free_product":
        return Decimal(100), spec
    if d.category == "product_discount" and spec.get("percent_off") is not None:
        return Decimal(str(spec["percent_off"])), spec
    return Decimal(0), spec


def compute(
    s: Session, profile_id: str, basket: list[BasketLine], benefit_ids: list[str],
    reward_amount: Decimal, at: Any,
) -> CheckoutPreview:
    left = [line.gross for line in basket]
    benefit_off = [ZERO] * len(basket)
    used_by: list[list[str]] = [[] for _ in basket]
    seen: set[str] = set()
    for bid in benefit_ids:
        if bid in seen:
            raise ValidationError.field("benefit_ids", "a benefit is listed twice")
        seen.add(bid)
        benefit = get_or_not_found(s, Benefit, bid, "benefit")
        if benefit.profile_id != profile_id:
            raise refuse(rules.WRONG_PROFILE)
        state = rules.benefit_state(benefit, at)
        if not state.is_redeemable:
            raise refuse(state.reason or rules.EXHAUSTED)
        percent, spec = _percent(benefit)
        if percent <= 0:
            continue  # an entitlement: redeemed with the sale, takes nothing off
        for i, line in enumerate(basket):
            if left[i] <= 0 or not _applies(spec, line):
                continue
            off = min(left[i], (left[i] * percent / 100).quantize(CENT, rounding=ROUND_HALF_UP))
            if off > 0:
                left[i] -= off
                benefit_off[i] += off
                used_by[i].append(bid)

    rewards = list(s.scalars(select(Reward).where(Reward.profile_id == profile_id)))
    live = [r for r in rewards if rules.reward_is_live(r, at)]
    balance = sum((r.value_remaining for r in live), ZERO)
    excluded = set(ALWAYS_EXCLUDED)
    for r in live:
        excluded.update(r.definition.excluded_categories or [])
    eligible = [i for i, line in enumerate(basket) if line.category not in excluded and left[i] > 0]
    eligible_total = sum((left[i] for i in eligible), ZERO)
    reward_off = [ZERO] * len(basket)
    draws: list[Any] = []
    if reward_amount > 0:
        if reward_amount > balance:
            raise refuse(rules.OVER_BALANCE)
        if reward_amount > eligible_total:
            raise ValidationError.field(
                "reward_amount",
                f"at most {eligible_total:.2f} can come off the eligible items "
                "(gift cards and shipping cannot be paid with rewards)",
            )
        # "Last dollar off": in proportion to what is left of each eligible line (§3.6).
        parts = apportion(reward_amount, [left[i] for i in eligible])
        for i, part in zip(eligible, parts, strict=True):
            reward_off[i] = part
        draws = plan_draws(live, reward_amount, at)
    lines = [LineBreakdown(line, benefit_off[i], reward_off[i], tuple(used_by[i]))
             for i, line in enumerate(basket)]
    return CheckoutPreview(lines, list(benefit_ids), reward_amount, eligible_total, balance, draws)


class CheckoutService:
    def __init__(self, ctx: Context, benefits: BenefitService, rewards: RewardService,
                 purchases: PurchaseService | None = None) -> None:
        self.ctx = ctx
        self._benefits = benefits
        self._rewards = rewards
        self._purchases = purchases or PurchaseService(ctx)

    @staticmethod
    def _inputs(lines: Any, benefit_ids: Any, reward_amount: Any) -> tuple[
            list[BasketLine], list[str], Decimal]:
        basket = read_basket(lines)
        if not isinstance(benefit_ids, list | tuple) or not all(isinstance(b, str) for b in benefit_ids):
            raise ValidationError.field("benefit_ids", "must be a list of benefit ids")
        amount = ZERO if reward_amount in (None, "", 0, "0") else read_amount(
            reward_amount, field="reward_amount")
        return basket, list(benefit_ids), amount

    def preview(self, profile_id: str, lines: Any, benefit_ids: Any = (),
                reward_amount: Any = None) -> CheckoutPreview:
        basket, ids, amount = self._inputs(lines, benefit_ids, reward_amount)
        with self.ctx.reading() as s:
            return compute(s, profile_id, basket, ids, amount, self.ctx.clock.now())

    def confirm(self, actor: Actor, profile_id: str, lines: Any, benefit_ids: Any = (),
                reward_amount: Any = None, *, receipt: str | None = None,
                receipt_ref: str | None = None) -> CheckoutResult:
        """Perform the checkout as one unit: every redemption and the purchase (P2), or none.

        ``receipt_ref``: the till's receipt number the staff member entered or scanned; the
        redemptions' ``receipt`` when not given, else one made from the purchase's id. The
        same receipt again at this store is the same purchase (P4)."""
        require(actor, Action.REDEEM)
        require(actor, Action.REDEEM_REWARD)
        require(actor, Action.RECORD_PURCHASE)
        basket, ids, amount = self._inputs(lines, benefit_ids, reward_amount)
        ref = read_ref(receipt_ref, field="receipt_ref", max_len=128) or read_ref(
            receipt, field="receipt", max_len=128)
        with self.ctx.transaction(actor) as uow:
            preview = compute(uow.session, profile_id, basket, ids, amount, uow.judged_at)
            redemptions = self._perform(uow, profile_id, preview, receipt or ref)
            purchase = self._purchases.record_in(uow, actor, profile_id,
                                                 purchase_of(preview, ref), source="counter",
                                                 refuse_repeat=True)
        return CheckoutResult(preview, redemptions, purchase, purchase.earned)

    def confirm_receipt(self, actor: Actor, profile_id: str, lines: Any, benefit_ids: Any = (),
                        reward_amount: Any = None, *, receipt: str | None = None,
                        receipt_ref: str | None = None) -> CheckoutReceipt:
        """``confirm``, answered with records rather than the redemptions' ORM rows."""
        result = self.confirm(actor, profile_id, lines, benefit_ids, reward_amount,
                              receipt=receipt, receipt_ref=receipt_ref)
        return CheckoutReceipt(result.preview, tuple(
            RedemptionRecord(r.id, r.type, r.total, r.redeem_at) for r in result.redemptions),
            result.purchase, result.earned)

    def _perform(self, uow: UnitOfWork, profile_id: str, preview: CheckoutPreview,
                 receipt: str | None) -> list[Redemption]:
        done = [self._benefits.redeem_in(uow, profile_id, bid, receipt, None)
                for bid in preview.benefit_ids]
        if preview.reward_amount > 0:
            done.append(self._rewards.redeem_in(
                uow, profile_id, preview.reward_amount, receipt, None,
                meta={"checkout": {"subtotal": f"{preview.subtotal:.2f}",
                                   "benefits": f"{preview.benefit_total:.2f}",
                                   "payment_due": f"{preview.payment_due:.2f}"}},
            ))
        return done


def purchase_of(preview: CheckoutPreview, receipt_ref: str | None) -> dict[str, Any]:
    """The purchase a confirmed checkout records (P2): the total after benefit discounts
    (reward dollars are a way of paying it); eligible spend leaves out gift cards and
    shipping (P1) and what reward dollars paid, which earns nothing again."""
    purchase_id = new_id()
    eligible = sum((b.due for b in preview.lines if b.line.category not in ALWAYS_EXCLUDED),
                   ZERO)
    return {
        "id": purchase_id,
        "receipt_ref": receipt_ref or purchase_id,
        "total": preview.subtotal - preview.benefit_total,
        "eligible_spend": max(eligible, ZERO),
        "lines": [{"sku": b.line.sku, "category": b.line.category,
                   "quantity": b.line.quantity, "unit_price": f"{b.line.unit_price:.2f}",
                   "discount": f"{b.benefit_discount + b.reward_discount:.2f}"}
                  for b in preview.lines],
    }
