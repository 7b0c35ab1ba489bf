"""Hub connection…: connect (or reconnect) this till to a hub — managers and admins
(``Action.CONNECT_TILL``, SPEC §3.7, §6); the menu item, its handler and the engine (when the
URL is saved) ask the same question. On a till that is the store's manager: admins act only on
admin devices. The till token itself is created by an admin on the hub.

Nothing is saved until the hub has proven the URL and token (SPEC §6 "Connecting a till",
issue 16): Connect (or Enter) first runs ``sync.connect.check_connection`` on the network
worker — one call that names the store the token belongs to — and a failure is said under
the field it concerns (unreachable, not a Clienteling hub, TLS, token wrong or revoked, a
pasted en dash) with the till left as it was. Only then the engine saves the URL (checked,
audited, this till's store only) and the token goes to ``TokenStore`` on the network worker
— the system keyring, or a private 0600 file where there is none — never the database. The
changes waiting in the outbox stay; the sync started at the end sends them with the new token.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from clienteling.sync.connect import Connection, ConnectProblem, check_connection
from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.operations.sync import current_hub_url, save_connection
from clienteling.ui.state import AppState
from clienteling.ui.sync.controller import SyncController


class ConnectDialog(FormDialog):
    def __init__(self, state: AppState, sync: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(state, "Connect to a hub",
                         "The hub is the central server every till of the chain syncs with. "
                         "An admin creates a till token for this till on the hub "
                         "(clienteling hub token create).", parent)
        self.setObjectName("connectDialog")
        self.sync = sync
        self.stored_where: str | None = None
        self.connection: Connection | None = None
        self.url_field = QLineEdit(self)
        self.url_field.setObjectName("hubUrlField")
        self.url_field.setPlaceholderText("https://hub.example.com")
        self.token_field = QLineEdit(self)
        self.token_field.setObjectName("hubTokenField")
        self.token_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_field.setPlaceholderText("the till token from the hub")
        self.add_field("hub_url", "Hub URL", self.url_field)
        self.add_field("token", "Till token", self.token_field)
        # Enter in either field connects (the OK button is the dialog's default, but a
        # QLineEdit's returnPressed is what a person at a till actually presses).
        self.url_field.returnPressed.connect(self.submit)
        self.token_field.returnPressed.connect(self.submit)
        self.ok_button.setText("Connect")
        self.ok_button.setObjectName("connectButton")
        self._checking = False
        self.url_field.setFocus()
        state.submit(current_hub_url).then(self._current, owner=self)

    def _current(self, url: str | None) -> None:
        if url and not self.url_field.text():
            self.url_field.setText(url)
            self.token_field.setFocus()

    def submit(self) -> None:
        if self.state.actor is None or self._checking:
            return
        self._checking = True
        self.clear_errors()
        self.ok_button.setEnabled(False)
        self.show_message("Checking the hub…")
        self.sync.network.submit(check_connection, self.url_field.text(),
                                 self.token_field.text()).then(
            self._checked, self._check_failed, owner=self)

    def _checked(self, found: Connection) -> None:
        self.connection = found
        self.show_message(f"The hub knows this token: {found.describe()}. Saving…")
        self.state.submit(save_connection, self.state.actor, found).then(
            lambda _url: self._saved(found), self._save_failed, owner=self)

    def _check_failed(self, exc: BaseException) -> None:
        self._ready()
        if isinstance(exc, ConnectProblem):
            self.message.hide()
            self.set_field_error(exc.field_name, exc.problem)
            (self.url_field if exc.field_name == "hub_url" else self.token_field).setFocus()
        else:
            self.show_error(exc)

    def _saved(self, found: Connection) -> None:
        self.sync.network.submit(self.sync.link.save_token, found.hub_url, found.token).then(
            lambda where: self._stored(found, where), self._store_failed, owner=self)

    def _save_failed(self, exc: BaseException) -> None:
        self._ready()
        self.show_error(exc)

    def _stored(self, found: Connection, where: str) -> None:
        self._ready()
        self.stored_where = where
        self.token_field.clear()  # the token lives in the store now, not in this widget
        self.show_message(f"Connected to {found.hub_url}: {found.describe()}. The token is "
                          f"kept in {where}.")
        self.sync.start()  # also after "token rejected" stopped the timer
        self.accept()

    def _store_failed(self, exc: BaseException) -> None:
        self._ready()
        self.show_message(f"The hub URL is saved, but the token could not be kept safely: "
                          f"{exc}", error=True)

    def _ready(self) -> None:
        self._checking = False
        self.ok_button.setEnabled(True)
