"""First run on an empty till: "Connect to a hub" (its URL and a till token, then a first sync
with progress and cancel) or "Try it with demo data" (a demo store on this computer only)."""

from __future__ import annotations

from PySide6.QtCore import Signal
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

from clienteling.engine.errors import ValidationError
from clienteling.sync.state import check_hub_url

DEMO, CONNECT = "demo", "connect"


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
        self.back_button = QPushButton("Back", form)
        self.back_button.clicked.connect(lambda: self.pages.setCurrentIndex(0))
        self.connect_button = QPushButton("Connect", form)
        self.connect_button.setObjectName("connectButton")
        self.connect_button.setProperty("primary", True)
        self.connect_button.clicked.connect(self._connect)
        # Enter in either field submits the form (UX "Keyboard first"), as its Connect button.
        self.url_field.returnPressed.connect(self._connect)
        self.token_field.returnPressed.connect(self._connect)
        fields = QFormLayout()
        fields.addRow("Hub URL", self.url_field)
        fields.addRow("Till token", self.token_field)
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

    def _connect(self) -> None:
        token = self.token_field.text().strip()
        try:
            url = check_hub_url(self.url_field.text())
        except ValidationError as exc:
            problems = exc.errors.get("hub_url")
            self.problem.setText(f"Hub URL: {' '.join(problems) if problems else exc.message}")
            return
        if not token:
            self.problem.setText("Till token: enter the token the hub's admin created for this till")
            return
        self.choice, self.url, self.token = CONNECT, url, token
        self.chosen.emit(CONNECT)
        self.accept()
