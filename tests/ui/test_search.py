"""Profile lookup (SPEC §5): one box for name, email, phone and card; scans open the profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from clienteling.ui.main_window import MainWindow
from clienteling.ui.search.panel import looks_like_scan
from tests.ui.conftest import JANE_CARD
from tests.ui.support import TIMEOUT, result_names, scan, search

Open = Callable[..., MainWindow]


def test_search_by_name_email_phone_and_card(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    assert search(qtbot, w, "Jane Cit") >= 1
    assert result_names(w)[0] == "Jane Citizen"
    assert search(qtbot, w, "jane@example") == 1
    assert result_names(w) == ["Jane Citizen"]
    assert search(qtbot, w, "0412 345 678") >= 1
    assert "Jane Citizen" in result_names(w)
    assert search(qtbot, w, JANE_CARD) == 1
    assert result_names(w) == ["Jane Citizen"]
    assert w.search.count.text() == "1 customer"


def test_typing_is_debounced_and_only_the_last_query_counts(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    with qtbot.waitSignal(w.search.model.first_page_loaded, timeout=TIMEOUT) as blocker:
        qtbot.keyClicks(w.search.box, "jane@exa")
    assert blocker.args[0] == "jane@exa"  # one search for the whole word, not one per key
    assert result_names(w) == ["Jane Citizen"]


def test_activating_a_result_opens_that_profile(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    search(qtbot, w, "jane@example.com")
    index = w.search.model.index(0, 0)
    with qtbot.waitSignal(w.profile.loaded, timeout=TIMEOUT):
        w.search.view.activated.emit(index)
    assert w.profile.customer == "Jane Citizen"
    assert w.findChild(type(w.profile.header.balance), "rewardBalance").text() == "$45.00"


def test_enter_in_the_box_opens_the_first_result(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    search(qtbot, w, "Jane Citizen")
    with qtbot.waitSignal(w.profile.loaded, timeout=TIMEOUT):
        qtbot.keyClick(w.search.box, Qt.Key.Key_Return)
    assert w.profile.customer == "Jane Citizen"


def test_a_card_scan_opens_the_profile_from_anywhere_in_the_window(open_window: Open,
                                                                  qtbot: Any) -> None:
    w = open_window("ava")
    # Focus is on a list, not the search box: the scanner's digits still land in search.
    w.search.view.setFocus()
    scan(qtbot, w, JANE_CARD, into=w.search.view)
    assert w.profile.customer == "Jane Citizen"
    assert w.search.box.text() == JANE_CARD
    # And again while the profile panel has focus (a new scan replaces the old text).
    w.profile.benefits_view.setFocus()
    scan(qtbot, w, JANE_CARD, into=w.profile.benefits_view)
    assert w.search.box.text() == JANE_CARD


def test_scanning_a_redeem_code_opens_the_profile_with_that_benefit_selected(
        open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    scan(qtbot, w, JANE_CARD, into=w.search.box)
    vip = next(r for r in w.profile.benefits_model.rows if r.name == "VIP Lounge")
    alterations = next(r for r in w.profile.benefits_model.rows if r.name == "Free Alterations")
    assert vip.code_pos and alterations.code_pos
    w.profile.close_profile()
    scan(qtbot, w, alterations.code_pos, into=w.search.view)
    assert w.profile.customer == "Jane Citizen"
    selected = w.profile.selected_benefit()
    assert selected is not None and selected.id == alterations.id
    assert w.profile.code_label.text() == alterations.code_pos  # its QR code is shown
    assert not w.profile.qr_label.pixmap().isNull()


def test_a_code_that_matches_nothing_says_so_in_words(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    w.search.focus_search()
    qtbot.keyClicks(w.search.box, "9999999999999")
    qtbot.keyClick(w.search.box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "Nothing matches" in w.search.notice.text(), timeout=TIMEOUT)
    assert "9999999999999" in w.search.notice.text()
    assert "not a known card" in w.search.notice.text()
    assert w.profile.data is None


def test_f2_focuses_search_and_esc_goes_back_to_it(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    scan(qtbot, w, JANE_CARD, into=w.search.box)
    w.activateWindow()
    w.profile.benefits_view.setFocus()
    qtbot.waitUntil(lambda: w.profile.benefits_view.hasFocus(), timeout=TIMEOUT)
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: w.search.box.hasFocus(), timeout=TIMEOUT)
    assert w.search.box.selectedText() == JANE_CARD
    w.profile.benefits_view.setFocus()
    qtbot.waitUntil(lambda: w.profile.benefits_view.hasFocus(), timeout=TIMEOUT)
    qtbot.keyClick(w.profile.benefits_view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: w.search.box.hasFocus(), timeout=TIMEOUT)


def test_what_counts_as_a_scan() -> None:
    assert looks_like_scan("4000000000001")
    assert looks_like_scan("ALTER-1A2B3C4D")
    assert not looks_like_scan("jane")
    assert not looks_like_scan("jane@example.com")
    assert not looks_like_scan("Jane Citizen")
    assert not looks_like_scan("40")
