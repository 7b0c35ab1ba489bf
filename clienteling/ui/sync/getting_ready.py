"""The page a till shows instead of sign-in until it can do counter work (SPEC §6): a new
till's choice (connect to a hub, or try demo data), and a first sync under way — "Getting this
till ready: 25,000 of 319,206", a progress bar and Cancel, or Resume once stopped.

A page of the main window, not a dialog: after a restart the first sync resumes on this same
page, and nothing pops up over other work (issue 16).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clienteling.sync.progress import Progress

TITLE = "Getting this till ready"
CONNECT = "Connect to a hub"
CONNECT_AGAIN = "Connect again…"
#: A first sync the hub refused: what works for a till no one can sign in to yet (issue 16).
TOKEN_REFUSED = ("The hub refused this till's token: it was revoked or is wrong. Connect again "
                 "with a new token from the hub's admin (clienteling hub token create); what "
                 "this till has read so far is kept.")


def count_text(done: int, total: int | None) -> str:
    """"Getting this till ready: 25,000 of 319,206" (thousands separated)."""
    if total:
        return f"{TITLE}: {done:,} of {max(total, done):,}"
    return f"{TITLE}: {done:,}" if done else f"{TITLE}…"


def percent(done: int, total: int | None) -> int | None:
    """Whole percent done, never 100 before the last row (the counter is not open yet)."""
    if not total:
        return None
    value = done * 100 // total
    return min(value, 99) if done < total else 100


class GettingReadyPage(QWidget):
    """``gettingReadyPage``: shown by the main window while the till is not ready."""

    cancel_requested = Signal()
    resume_requested = Signal()
    connect_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gettingReadyPage")
        self.done, self.total = 0, None  # type: tuple[int, int | None]
        self.running = False
        card = QFrame(self)
        card.setObjectName("signInCard")
        card.setFixedWidth(560)  # a fixed width, so wrapped text gets the height it needs
        self.title = QLabel(TITLE, card)
        self.title.setObjectName("dialogTitle")
        self.label = QLabel("", card)
        self.label.setObjectName("gettingReadyText")
        self.label.setWordWrap(True)
        self.bar = QProgressBar(card)
        self.bar.setObjectName("gettingReadyBar")
        self.bar.setRange(0, 0)
        self.problem = QLabel("", card)
        self.problem.setObjectName("formMessage")
        self.problem.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel", card)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setToolTip("Stop now; Resume carries on from here")
        self.cancel_button.clicked.connect(self._cancel)
        self.resume_button = QPushButton("Resume", card)
        self.resume_button.setObjectName("resumeButton")
        self.resume_button.setProperty("primary", True)
        self.resume_button.clicked.connect(self.resume_requested.emit)
        self.connect_button = QPushButton(CONNECT, card)
        self.connect_button.setObjectName("connectHubChoice")
        self.connect_button.setProperty("primary", True)
        self.connect_button.clicked.connect(self.connect_requested.emit)
        self.demo_button = QPushButton("Try it with demo data", card)
        self.demo_button.setObjectName("demoChoice")
        self.demo_button.clicked.connect(self.demo_requested.emit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.connect_button)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        inner.addWidget(self.title)
        inner.addWidget(self.label)
        inner.addWidget(self.bar)
        inner.addWidget(self.problem)
        inner.addLayout(buttons)
        # Centred by stretches, not by an alignment flag: a widget placed with an alignment
        # gets its size hint, and a wrapped message longer than the hint's guess was cut off.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.show_running(0, None)

    @property
    def text(self) -> str:
        return self.label.text()

    def show_new(self) -> None:
        """A till with no hub and no data: how to start, never a sign-in with nobody on it."""
        self.running = False
        self.title.setText("Welcome to Clienteling")
        self.label.setText("This till has no data yet. Connect it to your chain's hub to get the "
                           "stores, staff and customers, or try the app with made-up data.")
        self.problem.clear()
        self._buttons(new=True)
        self.bar.hide()

    def show_running(self, done: int, total: int | None) -> None:
        """A first sync under way (or about to start): the count so far, and Cancel."""
        self.running = True
        self.title.setText(TITLE)
        self.problem.clear()
        self._buttons(running=True)
        self._count(done, total)

    def show_progress(self, progress: Progress) -> None:
        if not self.running:
            self.show_running(progress.done, progress.total)
        else:
            self._count(progress.done, progress.total)

    def show_stopped(self, problem: str | None = None, *, reconnect: bool = False) -> None:
        """Cancelled or cut off part-way: where it stopped, why (if it was not a Cancel), and
        Resume — the till stays here, never a counter on half the customers. ``reconnect``
        (the hub refused the token): "Connect again…" too, the only way on for a till nobody
        can sign in to yet."""
        self.running = False
        self.title.setText(TITLE)
        self._count(self.done, self.total)
        self.label.setText(f"{self.label.text()} · stopped")
        self.problem.setText(problem or "Stopped. Resume carries on from here; nobody can "
                             "sign in until this till has all of the hub's records.")
        self._buttons()
        if reconnect:
            self.connect_button.setText(CONNECT_AGAIN)
            self.connect_button.show()

    def _count(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        self.label.setText(count_text(done, total))
        self.bar.show()
        if total:
            self.bar.setRange(0, max(total, done))
            self.bar.setValue(done)
        else:
            self.bar.setRange(0, 0)  # busy until the hub says how many

    def _buttons(self, *, new: bool = False, running: bool = False) -> None:
        self.connect_button.setText(CONNECT)
        self.connect_button.setVisible(new)
        self.demo_button.setVisible(new)
        self.cancel_button.setVisible(running)
        self.cancel_button.setEnabled(running)
        self.resume_button.setVisible(not new and not running)

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.problem.setText("Stopping after this page…")
        self.cancel_requested.emit()
