"""Hub connection…: connect (or reconnect) this till to a hub — managers and admins
(``Action.CONNECT_TILL``, SPEC §3.7, §6); the menu item, its handler and the engine (when the
URL is saved) ask the same question. On a till that is the store's manager: admins act only on
admin devices. The till token itself is created by an admin on the hub.

The URL goes into the till's settings through the engine; the till token goes to
``TokenStore`` on the network worker — the system keyring, or a private 0600 file where
there is none — and never into the database or a plain settings file. Then the hub is asked
whether it takes the token: a sync cycle starts, and the dialog closes when the hub answered
it (a wrong token or an unreachable hub is said in the dialog instead).
"""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

from clienteling.ui.common.form_dialog import FormDialog
from clienteling.ui.operations.sync import connect_hub, current_hub_url
from clienteling.ui.state import AppState
from clienteling.ui.sync.controller import SyncController
from clienteling.ui.sync.network import Outcome


class ConnectDialog(FormDialog):
    def __init__(self, state: AppState, sync: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(state, "Connect to a hub",
                         "The hub is the central server every till of the chain syncs with. "
                         "An admin creates a till token for this till on the hub.", parent)
        self.setObjectName("connectDialog")
        self.sync = sync
        self.stored_where: str | None = None
        self._url: str | None = None
        self.url_field = QLineEdit(self)
        self.url_field.setObjectName("hubUrlField")
        self.url_field.setPlaceholderText("https://hub.example.com")
        self.token_field = QLineEdit(self)
        self.token_field.setObjectName("hubTokenField")
        self.token_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_field.setPlaceholderText("the till token from the hub")
        self.add_field("hub_url", "Hub URL", self.url_field)
        self.add_field("token", "Till token", self.token_field)
        self.ok_button.setText("Connect")
        self.ok_button.setObjectName("connectButton")
        state.submit(current_hub_url).then(self._current, owner=self)

    def _current(self, url: str | None) -> None:
        if url and not self.url_field.text():
            self.url_field.setText(url)

    def submit(self) -> None:
        actor = self.state.actor
        if actor is None:
            return
        token = self.token_field.text().strip()
        if not token:
            self.set_field_error("token", "Enter the till token the hub's admin created")
            return
        self.run(lambda url: self._saved(url, token), connect_hub, actor,
                 self.url_field.text().strip())

    def _saved(self, url: str, token: str) -> None:
        self.ok_button.setEnabled(False)
        self.show_message("Checking the hub…")
        self.sync.network.submit(self.sync.link.save_token, url, token).then(
            lambda where: self._stored(url, token, where), self._store_failed, owner=self)

    def _stored(self, url: str, token: str, where: str) -> None:
        self.stored_where = where
        self.token_field.clear()  # the token lives in the store now, not in this widget
        self._url = url
        self.sync.finished.connect(self._first_cycle)
        self.sync.start()

    def _first_cycle(self, outcome: Outcome) -> None:
        """The first cycle with the new token says whether the hub takes it."""
        if outcome.hub_url != self._url:
            return  # a cycle that started before the new URL was saved
        self.sync.finished.disconnect(self._first_cycle)
        self.ok_button.setEnabled(True)
        report = outcome.report
        if report is not None and report.online and not report.token_rejected:
            self.show_message(f"Connected to {outcome.hub_url}. The token is kept in "
                              f"{self.stored_where}.")
            self.accept()
            return
        if report is not None and report.token_rejected:
            self.set_field_error("token", "The hub refused this token: check it, or ask the "
                                 "hub's admin for a new one")
        else:
            problem = (report.error if report is not None and report.error
                       else "the hub did not answer")
            problem = problem.strip().rstrip(".")
            self.show_message(f"Saved, but {problem[:1].lower()}{problem[1:]}. The till keeps "
                              "trying every 30 seconds.", error=True)

    def _store_failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.show_message(f"The token could not be kept safely: {exc}", error=True)
