"""The counter checkout dialog (SPEC §3.6, §5): preview per line, then one confirm."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

from clienteling.ui.checkout.dialog import CheckoutDialog
from clienteling.ui.worker import EngineWorker
from tests.conftest import World


@pytest.fixture
def worker(qtbot: object) -> Iterator[EngineWorker]:
    w = EngineWorker()
    yield w
    w.stop()


@pytest.fixture
def dialog(world: World, worker: EngineWorker, qtbot: object) -> CheckoutDialog:
    cl, admin = world.cl, world.admin
    p = cl.profiles.create(world.associate, {"first_name": "Jane", "last_name": "Citizen"})
    d = cl.definitions.create_benefit_definition(admin, {
        "name": "15% off denim", "handle": "denim", "period": 30, "max_redemptions": 1,
        "is_published": True, "category": "product_discount",
        "discount": {"percent_off": "15", "categories": ["denim"]}})
    cl.benefits.issue(admin, {"benefit_definition_id": d.id, "profile_id": p.id})
    rd = cl.definitions.create_reward_definition(admin, {
        "name": "Customer service", "handle": "cs", "type": "customer-service", "period": 90})
    cl.rewards.issue(admin, {"profile_id": p.id, "reward_definition_id": rd.id,
                             "value_initial": "10.00", "reason": "sorry"})
    dlg = CheckoutDialog(worker, cl, world.associate, p.id, *cl.checkout_rows(p.id))
    qtbot.addWidget(dlg)  # type: ignore[attr-defined]
    dlg.profile_id = p.id  # type: ignore[attr-defined]
    return dlg


def test_checkout_previews_each_line_then_confirms_all_redemptions(
    dialog: CheckoutDialog, world: World, qtbot: object
) -> None:
    dialog.add_line("JEAN-1", "denim", 1, "100.00")
    dialog.add_line("TEE-1", "tops", 2, "20.00", full_price=False)
    index = dialog.choices.index(0, 0)
    dialog.choices.setData(index, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    dialog.reward_amount.setText("10.00")
    qtbot.waitUntil(lambda: dialog.confirm.isEnabled(), timeout=5000)  # type: ignore[attr-defined]
    assert "Pay $115.00" in dialog.totals.text()  # 140 − 15 (denim) − 10 (rewards)
    jeans = dialog.basket.rows[0].breakdown
    assert jeans is not None and jeans.benefit_discount == Decimal("15.00")

    with qtbot.waitSignal(dialog.accepted, timeout=5000):  # type: ignore[attr-defined]
        dialog.confirm.click()
    assert dialog.result_ is not None and len(dialog.result_.redemptions) == 2
    assert world.cl.rewards.balance(dialog.profile_id) == Decimal("0.00")  # type: ignore[attr-defined]


def test_checkout_shows_a_refusal_in_words_and_cannot_confirm(
    dialog: CheckoutDialog, qtbot: object
) -> None:
    dialog.add_line("JEAN-1", "denim", 1, "100.00")
    dialog.reward_amount.setText("50.00")  # more than the 10.00 balance
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=5000)  # type: ignore[attr-defined]
    assert "balance" in dialog.message.text()
    assert not dialog.confirm.isEnabled()


def test_p2_confirm_records_the_purchase_under_the_receipt_entered(
    dialog: CheckoutDialog, world: World, qtbot: object
) -> None:
    dialog.add_line("JEAN-1", "denim", 1, "182.50")
    dialog.receipt.setText("10023")  # typed, or typed by a scanner
    qtbot.waitUntil(lambda: dialog.confirm.isEnabled(), timeout=5000)  # type: ignore[attr-defined]
    with qtbot.waitSignal(dialog.accepted, timeout=5000):  # type: ignore[attr-defined]
        dialog.confirm.click()
    purchase = dialog.result_.purchase if dialog.result_ is not None else None
    assert purchase is not None and purchase.receipt_ref == "10023"
    assert purchase.total == Decimal("182.50")
    pid = dialog.profile_id  # type: ignore[attr-defined]
    assert world.cl.profiles.get(pid).lifetime_spend == Decimal("182.50")
    assert [p.receipt_ref for p in world.cl.purchases.for_profile(pid)] == ["10023"]


def test_p2_a_used_receipt_is_refused_in_words_and_nothing_changes(
    dialog: CheckoutDialog, world: World, qtbot: object
) -> None:
    pid = dialog.profile_id  # type: ignore[attr-defined]
    world.cl.purchases.record(world.associate, pid, {"receipt_ref": "10023", "total": "5.00"})
    dialog.add_line("JEAN-1", "denim", 1, "182.50")
    dialog.receipt.setText("10023")
    qtbot.waitUntil(lambda: dialog.confirm.isEnabled(), timeout=5000)  # type: ignore[attr-defined]
    dialog.confirm.click()
    qtbot.waitUntil(lambda: "receipt" in dialog.message.text().lower(),  # type: ignore[attr-defined]
                    timeout=5000)
    assert dialog.result_ is None
    assert world.cl.profiles.get(pid).lifetime_spend == Decimal("5.00")
