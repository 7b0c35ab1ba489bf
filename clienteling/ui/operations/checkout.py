"""The counter checkout on the engine worker (SPEC §3.6): what it opens with, the preview of a
basket, and the one confirm that performs every redemption together."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clienteling.engine.permissions import Actor
from clienteling.engine.services import BenefitItem, Clienteling
from clienteling.engine.services.checkout import CheckoutPreview, CheckoutResult


def load_checkout(cl: Clienteling, profile_id: str) -> tuple[list[BenefitItem], Decimal]:
    """The customer's redeemable benefits (the ones the checkout offers) and reward balance."""
    benefits = [b for b in cl.benefits.for_profile(profile_id) if b.state.is_redeemable]
    return benefits, cl.rewards.balance(profile_id)


def preview_checkout(cl: Clienteling, profile_id: str, lines: list[dict[str, Any]],
                     benefit_ids: list[str], reward_amount: str | None) -> CheckoutPreview:
    return cl.checkout.preview(profile_id, lines, benefit_ids, reward_amount)


def confirm_checkout(cl: Clienteling, actor: Actor, profile_id: str, lines: list[dict[str, Any]],
                     benefit_ids: list[str], reward_amount: str | None) -> CheckoutResult:
    return cl.checkout.confirm(actor, profile_id, lines, benefit_ids, reward_amount)
