"""First run on an empty till: "Connect to a hub" (its URL and a till token, then a first sync
with progress and cancel) or "Try it with demo data" (a demo store on this computer only).

Connect (or Enter) asks the hub first (``sync.connect.check_connection``, issue 16): the
dialog is accepted only once the hub has proven the URL and token, so a till is never left
saved with a bad URL; a failure is said under its field and the form stays. The check runs
on a thread of its own — this dialog comes before the window and its network worker — and
its answer comes back to the GUI thread by a queued signal."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:  # the sync stack (httpx) loads on the first check, not at start-up
    from clienteling.sync.connect import Connection

DEMO, CONNECT = "demo", "connect"


class _Answer(QObject):
    """Carries the check's result from its thread to the GUI thread (queued connection)."""

    arrived = Signal(object)


def _check(url: str, token: str, answer: _Answer) -> None:
    from clienteling.sync.connect import check_connection

    try:
        result: object = check_connection(url, token)
    except Exception as exc:  # said in the form; a bug's words rather than a dead dialog
        result = exc
    answer.arrived.emit(result)


class FirstRunDialog(QDialog):
    """Asks how to start; :attr:`choice` is ``"demo"`` or ``"connect"`` (with :attr:`url` and
    :attr:`token`) once accepted."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("Welcome to Clienteling")
        self.setMinimumWidth(520)
        self.choice: str | None = None
        self.url = ""
        self.token = ""
        self.connection: Connection | None = None
        self._answer = _Answer(self)
        self._answer.arrived.connect(self._checked)
        self._checking = False

        title = QLabel("Welcome to Clienteling", self)
        title.setObjectName("dialogTitle")
        self.pages = QStackedWidget(self)

        start = QWidget(self)
        intro = QLabel("This till has no data yet. Connect it to your chain's hub to get the "
                       "stores, staff and customers, or try the app with made-up data.", start)
        intro.setWordWrap(True)
        self.connect_choice = QPushButton("Connect to a hub", start)
        self.connect_choice.setObjectName("connectHubChoice")
        self.connect_choice.setProperty("primary", True)
        self.connect_choice.clicked.connect(lambda: self.pages.setCurrentIndex(1))
        self.demo_choice = QPushButton("Try it with demo data", start)
        self.demo_choice.setObjectName("demoChoice")
        self.demo_choice.clicked.connect(self._demo)
        start_layout = QVBoxLayout(start)
        start_layout.addWidget(intro)
        start_layout.addWidget(self.connect_choice)
        start_layout.addWidget(self.demo_choice)

        form = QWidget(self)
        self.url_field = QLineEdit(form)
        self.url_field.setObjectName("hubUrlField")
        self.url_field.setPlaceholderText("https://hub.example.com")
        self.token_field = QLineEdit(form)
        self.token_field.setObjectName("hubTokenField")
        self.token_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.problem = QLabel("", form)
        self.problem.setObjectName("formMessage")
        self.problem.setWordWrap(True)
        # Each field's problem right under it (the URL's or the token's).
        self.url_error = QLabel("", form)
        self.url_error.setObjectName("error_hub_url")
        self.url_error.setProperty("fieldError", True)
        self.url_error.setWordWrap(True)
        self.token_error = QLabel("", form)
        self.token_error.setObjectName("error_token")
        self.token_error.setProperty("fieldError", True)
        self.token_error.setWordWrap(True)
        self.url_field.returnPressed.connect(self._connect)
        self.token_field.returnPressed.connect(self._connect)
        self.back_button = QPushButton("Back", form)
        self.back_button.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.connect_button = QPushButton("Connect", form)
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setProperty("primary", True)
        self.connect_button.setDefault(True)
        self.connect_button.clicked.connect(self._connect)
        # Enter in either field submits the form (UX "Keyboard first"), as its Connect button.
        self.url_field.returnPressed.connect(self._connect)
        self.token_field.returnPressed.connect(self._connect)
        fields = QFormLayout()
        fields.addRow("Hub URL", self.url_field)
        fields.addRow("", self.url_error)
        fields.addRow("Till token", self.token_field)
        fields.addRow("", self.token_error)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.connect_button)
        form_layout = QVBoxLayout(form)
        form_layout.addLayout(fields)
        form_layout.addWidget(self.problem)
        form_layout.addLayout(buttons)

        self.pages.addWidget(start)
        self.pages.addWidget(form)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.addWidget(title)
        layout.addWidget(self.pages)

    def _demo(self) -> None:
        self.choice = DEMO
        self.chosen.emit(DEMO)
        self.accept()

    def field_error(self, name: str) -> str:
        return {"hub_url": self.url_error, "token": self.token_error}[name].text()

    def _connect(self) -> None:
        if self._checking:
            return
        self._checking = True
        self.url_error.clear()
        self.token_error.clear()
        self.connect_button.setEnabled(False)
        self.problem.setText("Checking the hub…")
        threading.Thread(target=_check, name="first-run-check", daemon=True,
                         args=(self.url_field.text(), self.token_field.text(),
                               self._answer)).start()

    def _checked(self, result: object) -> None:
        from clienteling.sync.connect import Connection, ConnectProblem

        self._checking = False
        self.connect_button.setEnabled(True)
        if isinstance(result, ConnectProblem):
            self.problem.clear()
            label, field = ((self.url_error, self.url_field) if result.field_name == "hub_url"
                            else (self.token_error, self.token_field))
            label.setText(result.problem)
            field.setFocus()
            return
        if not isinstance(result, Connection):
            self.problem.setText(f"The hub could not be checked: {result}")
            return
        self.connection = result
        self.choice, self.url, self.token = CONNECT, result.hub_url, result.token
        self.problem.setText(f"Connected: {result.describe()}.")
        self.chosen.emit(CONNECT)
        self.accept()
