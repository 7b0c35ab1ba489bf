"""The desktop's sync with a real hub on loopback (issue 8, must-show 9): connecting the till
under Hub connection… keeps the token in the keyring and nowhere else, and the status bar goes from
"Demo · not connected" to "Online · synced HH:MM"."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from clienteling.engine.permissions import Action
from clienteling.sync.credentials import SERVICE
from clienteling.ui.main_window import MainWindow
from clienteling.ui.sync.connect_dialog import ConnectDialog
from tests.ui.hub_support import HubWorld, MemoryKeyring
from tests.ui.support import TIMEOUT, wait_dialog

Open = Callable[..., MainWindow]
SYNC_TIMEOUT = 30_000



def _connect(qtbot: Any, w: MainWindow, url: str, token: str) -> ConnectDialog:
    w.hub_action.trigger()
    dialog = wait_dialog(qtbot, w, "connectDialog")
    assert isinstance(dialog, ConnectDialog)
    dialog.url_field.setText(url)
    qtbot.keyClicks(dialog.token_field, token)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    return dialog


def test_settings_keeps_the_token_in_the_keyring_and_the_status_goes_online(
        open_window: Open, qtbot: Any, demo_hub: HubWorld, memory_keyring: MemoryKeyring,
        tmp_path: Path) -> None:
    w = open_window("ada")
    qtbot.waitUntil(lambda: w.sync.last is not None, timeout=TIMEOUT)  # the start-up cycle
    assert w.sync_status.text == "Demo · not connected"
    assert w.hub_action.isEnabled()

    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT,
                          check_params_cb=lambda o: o.report is not None and o.report.online):
        dialog = _connect(qtbot, w, demo_hub.url, demo_hub.token)
    # 02 Mar 2026 00:00 UTC is 11:00 in Melbourne (the store's time, daylight saving)
    assert w.sync_status.text == "Online · synced 11:00"
    assert dialog.stored_where == "the system keyring"

    # The token went to the keyring, under the hub's URL …
    assert memory_keyring.passwords == {(SERVICE, demo_hub.url): demo_hub.token}
    # … and nowhere else: not the till's database, its settings, the logs or a config file.
    secret = demo_hub.token.encode()
    written = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.startswith("hub.db")]
    assert any(p.name.startswith("till.db") for p in written)
    assert [p for p in written if secret in p.read_bytes()] == []
    assert not w.sync_status.problem


def test_a_manager_reconnects_a_till_from_the_app(
        open_window: Open, qtbot: Any, till_hub: HubWorld, memory_keyring: MemoryKeyring) -> None:
    """SPEC §3.7, §6: managers connect a till (admins never sign in on one). The menu item, its
    handler and the engine ask the same question (Action.CONNECT_TILL)."""
    w = open_window("max")
    qtbot.waitUntil(lambda: w.sync.last is not None, timeout=TIMEOUT)  # the start-up cycle
    assert w.hub_action.isEnabled()
    with qtbot.waitSignal(w.sync.finished, timeout=SYNC_TIMEOUT,
                          check_params_cb=lambda o: o.report is not None and o.report.online):
        _connect(qtbot, w, till_hub.url, till_hub.token)
    assert "may not" not in w.status_message.text()
    qtbot.waitUntil(lambda: w.active_dialog is None, timeout=TIMEOUT)
    assert memory_keyring.passwords == {(SERVICE, till_hub.url): till_hub.token}
    assert w.sync_status.text.startswith("Online · synced")


def test_an_associate_finds_hub_connection_disabled_and_is_refused_anyway(
        open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    assert not w.hub_action.isEnabled()
    w.open_hub_connection()  # as if the handler were reached some other way
    qtbot.waitUntil(lambda: "may not" in w.status_message.text(), timeout=TIMEOUT)
    # The refusal is the engine's own words for the action (PermissionDenied), not a UI story.
    assert w.status_message.text() == ("A staff member with role 'associate' may not "
                                       f"{Action.CONNECT_TILL.value}")
    assert w.active_dialog is None


def test_an_associate_does_not_connect_the_till(open_window: Open, qtbot: Any, demo_hub: HubWorld,
                                                memory_keyring: MemoryKeyring) -> None:
    w = open_window("ava")
    assert not w.hub_action.isEnabled()
    dialog = ConnectDialog(w.state, w.sync, w)
    w.profile.open_dialog(dialog)
    dialog.url_field.setText(demo_hub.url)
    dialog.token_field.setText(demo_hub.token)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.message.isVisibleTo(dialog)
                    and "may not connect or reconnect this till" in dialog.message.text(), timeout=TIMEOUT)
    assert memory_keyring.passwords == {}  # refused by the engine before the token went anywhere
    dialog.reject()


def test_a_bad_url_is_refused_under_its_field(open_window: Open, qtbot: Any,
                                              memory_keyring: MemoryKeyring) -> None:
    w = open_window("ada")
    dialog = _connect(qtbot, w, "not a url", "secret-token")
    qtbot.waitUntil(lambda: bool(dialog.field_error("hub_url")), timeout=TIMEOUT)
    assert "http" in dialog.field_error("hub_url")
    assert memory_keyring.passwords == {}
    dialog.reject()


def test_a_wrong_token_is_said_under_its_field_and_nothing_changes(
        open_window: Open, qtbot: Any, demo_hub: HubWorld, memory_keyring: MemoryKeyring) -> None:
    """Issue 16: the token is checked with the hub before anything is saved, so a wrong one
    no longer stops a till's sync; it is said under its field and the till stays as it was."""
    w = open_window("ada")
    qtbot.waitUntil(lambda: w.sync.last is not None, timeout=TIMEOUT)
    dialog = _connect(qtbot, w, demo_hub.url, "clt_wrong_token")
    qtbot.waitUntil(lambda: "refused this token" in dialog.field_error("token"),
                    timeout=SYNC_TIMEOUT)
    assert dialog.isVisible()  # stays open to be corrected
    assert memory_keyring.passwords == {}
    assert not w.sync.stopped and "Sync stopped" not in w.sync_status.text
    dialog.reject()
