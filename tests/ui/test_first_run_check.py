"""The first-run "Connect to a hub" form checks with the hub before it is accepted (issue 16):
an unreachable URL, a web server that is not a hub and a wrong token are each said under
their field and the form stays (nothing is handed on to be saved); Enter submits; a good
URL and token are accepted with the store they belong to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import select

from clienteling.engine.models import AuditEvent
from clienteling.sync.credentials import SERVICE
from clienteling.ui.main_window import MainWindow
from clienteling.ui.sync.first_run import CONNECT, FirstRunDialog
from tests.internals import context_of
from tests.sync.conftest import closed_port
from tests.sync.not_a_hub import web_server
from tests.ui.hub_support import HubWorld, MemoryKeyring

TIMEOUT = 30_000



def ask(qtbot: Any, url: str, token: str) -> FirstRunDialog:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.connect_choice, Qt.MouseButton.LeftButton)
    dialog.url_field.setText(url)
    dialog.token_field.setText(token)
    qtbot.keyClick(dialog.token_field, Qt.Key.Key_Return)  # Enter submits
    return dialog


def refused(qtbot: Any, dialog: FirstRunDialog, field: str, words: str) -> None:
    qtbot.waitUntil(lambda: words in dialog.field_error(field), timeout=TIMEOUT)
    other = "token" if field == "hub_url" else "hub_url"
    assert dialog.field_error(other) == ""
    assert dialog.isVisible() and dialog.choice is None and dialog.connect_button.isEnabled()


def test_unreachable_is_said_under_the_url(qtbot: Any) -> None:
    refused(qtbot, ask(qtbot, closed_port(), "clt_abc_def"), "hub_url", "nothing answers at")


def test_not_a_hub_is_said_under_the_url(qtbot: Any) -> None:
    with web_server(200) as site:
        refused(qtbot, ask(qtbot, site, "clt_abc_def"), "hub_url", "not a Clienteling hub")


def test_a_wrong_token_is_said_under_the_token(qtbot: Any, till_hub: HubWorld) -> None:
    dialog = ask(qtbot, till_hub.url, "clt_wrong_token")
    refused(qtbot, dialog, "token", "refused this token")


def test_a_good_one_is_accepted_with_its_store(qtbot: Any, till_hub: HubWorld) -> None:
    dialog = ask(qtbot, till_hub.url + "/", till_hub.token)
    qtbot.waitUntil(lambda: dialog.choice == CONNECT, timeout=TIMEOUT)
    assert (dialog.url, dialog.token) == (till_hub.url, till_hub.token)
    assert dialog.connection is not None and dialog.connection.store_id == till_hub.store_id
    assert not dialog.isVisible()


def test_the_checked_connection_is_saved_audited_and_the_till_gets_ready(
        qtbot: Any, till_hub: HubWorld, tmp_path: Path, clock: Any,
        memory_keyring: MemoryKeyring) -> None:
    """The connection the form proved is what the till keeps: saved in one audited write with
    the store it belongs to (as Hub connection… saves one), then the first sync runs."""
    dialog = ask(qtbot, till_hub.url, till_hub.token)
    qtbot.waitUntil(lambda: dialog.connection is not None, timeout=TIMEOUT)
    w = MainWindow.create(f"sqlite:///{tmp_path / 'till.db'}", clock=clock)
    w.show()
    try:
        w.connect_first_run(dialog.url, dialog.token, dialog.connection)
        qtbot.waitUntil(lambda: w.stack.currentWidget() is w.signin, timeout=120_000)
        with context_of(w.engine).reading() as s:
            actions = list(s.scalars(select(AuditEvent.action)))
        assert "settings.hub_url" in actions
        assert memory_keyring.passwords  # the token went to the keyring
    finally:
        w.close()


def test_a_token_revoked_before_the_first_sync_finished_is_connected_again_on_that_page(
        qtbot: Any, till_hub: HubWorld, tmp_path: Path, clock: Any,
        memory_keyring: MemoryKeyring) -> None:
    """Issue 16, "tills that can't dead-end": a till getting ready has nobody who can sign in,
    so when the hub refuses its token part-way the getting-ready page itself offers to connect
    again (the form that checks with the hub first), and nothing points to a manager's Hub
    connection… that no one can reach."""
    dialog = ask(qtbot, till_hub.url, till_hub.token)
    qtbot.waitUntil(lambda: dialog.connection is not None, timeout=TIMEOUT)
    old = next(t for t in till_hub.cl.devices.tokens() if t.name == "Till 1")
    till_hub.cl.devices.revoke(None, old.id)  # revoked before the till's first page
    w = MainWindow.create(f"sqlite:///{tmp_path / 'till.db'}", clock=clock)
    w.show()
    try:
        page = w.getting_ready
        with qtbot.waitSignal(w.sync.finished, timeout=TIMEOUT,
                              check_params_cb=lambda o: o.report is not None
                              and o.report.token_rejected):
            w.connect_first_run(dialog.url, dialog.token, dialog.connection)
        qtbot.waitUntil(lambda: page.connect_button.isVisible(), timeout=TIMEOUT)
        assert w.stack.currentWidget() is page and page.resume_button.isVisible()
        assert "refused this till's token" in page.problem.text()
        assert "manager" not in page.problem.text()
        assert w.sync_status.text == ("Sync stopped: token revoked — connect again with a new "
                                      "token (on this screen)")

        new, _ = till_hub.cl.devices.create_token(None, {"store_id": till_hub.store_id,
                                                         "name": "Till 1 again"})
        qtbot.mouseClick(page.connect_button, Qt.MouseButton.LeftButton)
        again = next(d for d in w.findChildren(FirstRunDialog) if d.isVisible())
        qtbot.waitUntil(lambda: again.focusWidget() is again.url_field, timeout=TIMEOUT)
        assert again.url_field.text() == till_hub.url  # the saved address, to keep or change
        qtbot.keyClicks(again.token_field, new)
        qtbot.keyClick(again.token_field, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: w.stack.currentWidget() is w.signin, timeout=120_000)
        assert memory_keyring.passwords == {(SERVICE, till_hub.url): new}
        assert not w.sync.stopped
    finally:
        w.close()
