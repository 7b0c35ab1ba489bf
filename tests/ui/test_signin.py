"""Sign-in and lock (SPEC §5): pick a name, enter a PIN; lock on idle and on demand; switch
user in one step; five wrong PINs lock the account (the engine's message is shown)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from clienteling.engine.clock import FixedClock
from clienteling.engine.errors import AuthenticationFailed
from clienteling.ui import build_main_window
from clienteling.ui.main_window import MainWindow
from clienteling.ui.signin.page import SignInPage
from tests.ui.support import TIMEOUT, open_jane

Open = Callable[..., MainWindow]


def _type_pin(qtbot: Any, page: SignInPage, pin: str) -> None:
    page.pin.clear()
    qtbot.keyClicks(page.pin, pin)
    qtbot.keyClick(page.pin, Qt.Key.Key_Return)


def test_a_wrong_pin_is_refused_by_build_main_window(demo_url: str, clock: FixedClock) -> None:
    with pytest.raises(AuthenticationFailed, match="Wrong PIN"):
        build_main_window(demo_url, "ava", "0000", clock=clock)


def test_lock_on_demand_then_sign_back_in(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: w.is_locked, timeout=TIMEOUT)
    assert w.stack.currentWidget() is w.signin
    assert w.signin.title.text() == "Locked"
    assert "Ava Nguyen was signed in" in w.signin.subtitle.text()
    assert w.signin.selected_username() == "ava"
    assert not w.profile.redeem_button.isEnabled()  # nobody is signed in

    _type_pin(qtbot, w.signin, "4821")
    qtbot.waitUntil(lambda: w.is_signed_in, timeout=TIMEOUT)
    assert w.stack.currentIndex() == 1
    assert w.profile.customer == "Jane Citizen"  # the customer is still there
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.is_locked, timeout=TIMEOUT)


def test_quick_user_switch_keeps_the_customer_and_changes_the_role(open_window: Open,
                                                                   qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    assert not w.profile.issue_reward_button.isEnabled()
    w.lock()
    w.signin.select_user("max")
    _type_pin(qtbot, w.signin, "731405")
    qtbot.waitUntil(lambda: w.is_signed_in, timeout=TIMEOUT)
    assert w.actor is not None and w.actor.username == "max"
    assert w.user_button.text() == "Max Romano (Manager)"
    assert w.profile.issue_reward_button.isEnabled()
    assert "Switched to Max Romano" in w.status_message.text()


def test_wrong_pins_say_so_and_the_fifth_locks_the_account(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    w.lock()
    w.signin.select_user("max")
    for attempt in range(1, 5):
        _type_pin(qtbot, w.signin, "1111")
        left = 5 - attempt
        qtbot.waitUntil(lambda left=left: f"{left} more attempt" in w.signin.message.text(),
                        timeout=TIMEOUT)
        assert w.signin.pin.text() == ""
    _type_pin(qtbot, w.signin, "1111")
    qtbot.waitUntil(lambda: "locked for 5 minutes" in w.signin.message.text(), timeout=TIMEOUT)
    _type_pin(qtbot, w.signin, "731405")  # even the right PIN, while the account is locked
    qtbot.waitUntil(lambda: "Too many wrong PINs" in w.signin.message.text(), timeout=TIMEOUT)
    assert w.is_locked
    # Another member of staff can still sign in.
    w.signin.select_user("ava")
    _type_pin(qtbot, w.signin, "4821")
    qtbot.waitUntil(lambda: w.is_signed_in, timeout=TIMEOUT)


def test_the_pin_pad_types_the_pin(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    w.lock()
    pad = w.signin.pad
    for key in "4821":
        pad.findChild(type(w.signin.sign_in_button), f"pinKey_{key}").click()
    assert w.signin.pin.text() == "4821"
    pad.findChild(type(w.signin.sign_in_button), "pinKey_back").click()
    assert w.signin.pin.text() == "482"
    pad.findChild(type(w.signin.sign_in_button), "pinKey_1").click()
    w.signin.sign_in_button.click()
    qtbot.waitUntil(lambda: w.is_signed_in, timeout=TIMEOUT)


def test_the_session_locks_after_idle_time(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava", idle_lock_ms=300)
    assert w.idle_timer.interval() == 300
    qtbot.waitUntil(lambda: w.is_locked, timeout=TIMEOUT)
    assert w.stack.currentWidget() is w.signin
    _type_pin(qtbot, w.signin, "4821")
    qtbot.waitUntil(lambda: w.is_signed_in, timeout=TIMEOUT)
    assert w.idle_timer.isActive()  # counting again


def test_the_default_idle_lock_is_five_minutes(open_window: Open) -> None:
    w = open_window("ava")
    assert w.idle_timer.interval() == 5 * 60 * 1000


def test_keys_while_locked_do_not_reach_the_search(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    w.lock()
    qtbot.keyClicks(w.signin.staff_list, "4000000000001")
    assert w.search.box.text() == ""
