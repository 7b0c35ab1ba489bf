"""The Connect form checks the URL and token with the hub BEFORE saving anything (issue 16,
SPEC §6 "Connecting a till"): an unreachable address, a web server that is not a hub and a
wrong token are each said under their field with nothing saved; Enter submits; a good one
connects and names the store; a manager reconnects a till whose token was revoked and sync
starts again, sending the changes that waited (the engine's side of it:
tests/engine/test_sync_state_connect.py; the command line's: tests/sync/test_connect_command.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from clienteling.sync.credentials import SERVICE
from clienteling.ui.main_window import MainWindow
from clienteling.ui.operations.sync import current_hub_url
from clienteling.ui.sync.connect_dialog import ConnectDialog
from tests.sync.conftest import closed_port
from tests.sync.not_a_hub import web_server
from tests.ui.hub_support import HubWorld, MemoryKeyring
from tests.ui.support import TIMEOUT, wait_dialog

Open = Callable[..., MainWindow]
SYNC_TIMEOUT = 30_000



def fill(qtbot: Any, w: MainWindow, url: str, token: str) -> ConnectDialog:
    w.hub_action.trigger()
    dialog = wait_dialog(qtbot, w, "connectDialog")
    assert isinstance(dialog, ConnectDialog)
    dialog.url_field.setText(url)
    if token.isascii():
        qtbot.keyClicks(dialog.token_field, token)
    else:  # pasted (QTest cannot type characters outside Latin-1)
        dialog.token_field.setText(token)
    return dialog


def saved_url(qtbot: Any, w: MainWindow) -> str | None:
    found: list[str | None] = []
    w.state.submit(current_hub_url).then(found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=TIMEOUT)
    return found[0]


def refused(qtbot: Any, w: MainWindow, dialog: ConnectDialog, field: str, words: str,
            keyring: MemoryKeyring) -> None:
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: words in dialog.field_error(field), timeout=SYNC_TIMEOUT)
    other = "token" if field == "hub_url" else "hub_url"
    assert dialog.field_error(other) == ""
    assert dialog.isVisible() and dialog.ok_button.isEnabled()
    assert keyring.passwords == {} and saved_url(qtbot, w) is None
    dialog.reject()


def test_an_unreachable_url_is_said_under_the_url(open_window: Open, qtbot: Any,
                                                   memory_keyring: MemoryKeyring) -> None:
    w = open_window("max")
    dialog = fill(qtbot, w, closed_port(), "clt_abc_def")
    refused(qtbot, w, dialog, "hub_url", "nothing answers at", memory_keyring)


def test_a_web_server_that_is_not_a_hub_is_said_under_the_url(
        open_window: Open, qtbot: Any, memory_keyring: MemoryKeyring) -> None:
    w = open_window("max")
    with web_server(404) as site:
        dialog = fill(qtbot, w, site, "clt_abc_def")
        refused(qtbot, w, dialog, "hub_url", "not a Clienteling hub", memory_keyring)


def test_a_wrong_token_is_said_under_the_token(open_window: Open, qtbot: Any, till_hub: HubWorld,
                                               memory_keyring: MemoryKeyring) -> None:
    w = open_window("max")
    dialog = fill(qtbot, w, till_hub.url, till_hub.token[:-3] + "xyz")
    refused(qtbot, w, dialog, "token", "refused this token", memory_keyring)


def test_a_pasted_en_dash_is_said_under_the_token(open_window: Open, qtbot: Any,
                                                  till_hub: HubWorld,
                                                  memory_keyring: MemoryKeyring) -> None:
    w = open_window("max")
    dialog = fill(qtbot, w, till_hub.url, till_hub.token.replace("_", "\u2013", 1))
    refused(qtbot, w, dialog, "token", "en dash", memory_keyring)


def test_enter_connects_and_the_store_is_named(open_window: Open, qtbot: Any, till_hub: HubWorld,
                                               memory_keyring: MemoryKeyring) -> None:
    w = open_window("max")
    qtbot.waitUntil(lambda: w.sync.last is not None, timeout=TIMEOUT)  # the start-up cycle
    dialog = fill(qtbot, w, till_hub.url, till_hub.token)
    got: list[Any] = []
    dialog.accepted.connect(lambda: got.append(dialog.connection))
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT,
                          check_params_cb=lambda o: o.report is not None and o.report.online):
        qtbot.keyClick(dialog.token_field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.active_dialog is None, timeout=TIMEOUT)
    assert len(got) == 1 and got[0].device_name == "Till 1"
    assert got[0].store_id == till_hub.store_id
    assert memory_keyring.passwords == {(SERVICE, till_hub.url): till_hub.token}
    assert saved_url(qtbot, w) == till_hub.url
    assert w.sync_status.text.startswith("Online · synced")


def test_a_manager_reconnects_after_a_revoked_token(
        open_window: Open, qtbot: Any, till_hub: HubWorld, memory_keyring: MemoryKeyring) -> None:
    w = open_window("max")
    qtbot.waitUntil(lambda: w.sync.last is not None, timeout=TIMEOUT)
    dialog = fill(qtbot, w, till_hub.url, till_hub.token)
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT,
                          check_params_cb=lambda o: o.report is not None and o.report.online):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    # The hub's admin revokes the token; the next cycle stops sync.
    old = next(t for t in till_hub.cl.devices.tokens() if t.name == "Till 1")
    till_hub.cl.devices.revoke(None, old.id)
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT,
                          check_params_cb=lambda o: o.report is not None
                          and o.report.token_rejected):
        w.sync.sync_now(force=True)
    assert w.sync.stopped
    assert "Hub connection" in (w.sync.last.report.error or "")  # type: ignore[union-attr]

    # The counter goes on while sync is stopped: a new customer waits, and the status bar
    # says so beside what works (issue 16).
    actor = w.actor
    assert actor is not None
    sam = w.worker.run_sync(lambda: w.engine.profiles.create(actor, {
        "first_name": "Sam", "last_name": "Walker", "email": "sam.walker@example.com"}))
    qtbot.waitUntil(lambda: w.sync_status.counts.pending > 0, timeout=TIMEOUT)
    waiting = w.sync_status.counts.pending
    assert w.sync_status.text == (f"Sync stopped: token revoked · {waiting} waiting — a manager "
                                  "can reconnect (Hub connection…)")

    new, _ = till_hub.cl.devices.create_token(None, {"store_id": till_hub.store_id,
                                                     "name": "Till 1 again"})
    dialog = fill(qtbot, w, till_hub.url, new)
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT,
                          check_params_cb=lambda o: o.report is not None and o.report.online
                          and not o.report.token_rejected) as reconnected:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not w.sync.stopped and w.sync.timer.isActive()
    assert memory_keyring.passwords == {(SERVICE, till_hub.url): new}
    # Reconnecting lost nothing: what waited went to the hub with the new token.
    report = reconnected.args[0].report
    assert (report.pushed, report.waiting, report.conflicts) == (waiting, 0, 0)
    assert till_hub.cl.profiles.get(sam.id).email == "sam.walker@example.com"
    qtbot.waitUntil(lambda: w.sync_status.text.startswith("Online · synced")
                    and "waiting" not in w.sync_status.text, timeout=TIMEOUT)
