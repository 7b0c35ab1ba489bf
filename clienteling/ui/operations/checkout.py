"""The counter checkout on the engine worker (SPEC §3.6): what it opens with, the preview of a
basket, and the one confirm that performs every redemption together."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clienteling.engine.permissions import Actor
from clienteling.engine.records import BenefitRow
from clienteling.engine.services import Clienteling
from clienteling.engine.services.checkout import CheckoutPreview, CheckoutReceipt


def load_checkout(cl: Clienteling, profile_id: str) -> tuple[tuple[BenefitRow, ...], Decimal]:
    """The customer's redeemable benefits (the ones the checkout offers) and reward balance,
    in one read."""
    return cl.checkout_rows(profile_id)


def preview_checkout(cl: Clienteling, profile_id: str, lines: list[dict[str, Any]],
                     benefit_ids: list[str], reward_amount: str | None) -> CheckoutPreview:
    return cl.checkout.preview(profile_id, lines, benefit_ids, reward_amount)


def confirm_checkout(cl: Clienteling, actor: Actor, profile_id: str, lines: list[dict[str, Any]],
                     benefit_ids: list[str], reward_amount: str | None,
                     receipt_ref: str | None = None) -> CheckoutReceipt:
    """Every redemption and the purchase under ``receipt_ref`` (SPEC P2), or none."""
    return cl.checkout.confirm_receipt(actor, profile_id, lines, benefit_ids, reward_amount,
                                       receipt_ref=receipt_ref)
