"""The profile panel's buttons, tooltips and QR code follow the selected row (SPEC §5
"Profile panel"), and a load updates them once, from its final selection (SPEC §8: opening a
profile used to update every button three to seven times as the lists were refilled)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clienteling.ui.main_window import MainWindow
from clienteling.ui.profile.panel import CLAIMABLE
from tests.ui.support import TIMEOUT, open_jane

Open = Callable[..., MainWindow]


def _check_benefit_buttons(w: MainWindow) -> None:
    p = w.profile
    b = p.selected_benefit()
    assert b is not None
    assert p.redeem_button.isEnabled() is b.redeemable, b.name
    assert p.redeem_button.toolTip() == ("" if b.redeemable else b.reason_text or ""), b.name
    assert p.extend_button.toolTip() == "Managers and admins only"  # an associate
    if b.code_pos:
        assert p.code_label.text() == b.code_pos
        assert p.qr_label.isEnabled() is b.redeemable
    assert p.qr_frame.isVisibleTo(p) is bool(b.code_pos)


def test_buttons_tooltips_and_qr_follow_the_selection(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    p = w.profile
    assert p.benefits_view.currentIndex().row() == 0  # a load selects the first row
    _check_benefit_buttons(w)
    names = [r.name for r in p.benefits_model.rows]
    for name in names:
        assert p.select_benefit(name)
        _check_benefit_buttons(w)
    p.tabs.setCurrentIndex(CLAIMABLE)
    for row in range(p.claimable_model.rowCount()):
        p.claimable_view.selectRow(row)
        c = p.selected_claim()
        assert c is not None
        assert p.claim_button.isEnabled() is c.claimable
        assert p.claim_button.toolTip() == ("" if c.claimable else c.message or "")
        assert p.claim_redeem_button.toolTip() == p.claim_button.toolTip()


def test_a_load_updates_the_buttons_once(open_window: Open, qtbot: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    p = w.profile
    jane = p.profile_id
    assert jane is not None
    last = p.benefits_model.rows[-1]
    p.benefits_view.selectRow(p.benefits_model.rowCount() - 1)
    calls: list[str | None] = []
    real = p._update_buttons

    def counted() -> None:
        selected = p.selected_benefit()
        calls.append(selected.id if selected else None)
        real()

    monkeypatch.setattr(p, "_update_buttons", counted)
    with qtbot.waitSignal(p.loaded, timeout=TIMEOUT):
        w.open_profile(jane)
    assert calls == [last.id]  # once, with the benefit that was selected selected again
    _check_benefit_buttons(w)
