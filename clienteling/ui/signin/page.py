"""Sign-in and lock screen: pick your name, enter your PIN (SPEC §5 "Sign-in and lock").

The same page is the lock screen; choosing another name there is the quick user switch.
Five wrong PINs lock the account — the engine decides and its message is shown as is.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.permissions import Actor
from clienteling.engine.services import Clienteling
from clienteling.ui.common import theme
from clienteling.ui.common.errors import describe
from clienteling.ui.operations.signin import StaffRow, load_staff, sign_in
from clienteling.ui.signin.pin_pad import PinPad, pin_field
from clienteling.ui.signin.staff_model import StaffModel
from clienteling.ui.worker import EngineWorker


class SignInPage(QWidget):
    signed_in = Signal(object)  # Actor

    def __init__(self, worker: EngineWorker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInPage")
        self._worker = worker
        self._engine: Clienteling | None = None
        self._busy = False

        card = QFrame(self)
        card.setObjectName("signInCard")
        card.setFixedWidth(640)

        lock_icon = QLabel(card)
        lock_icon.setPixmap(theme.icon_pixmap("lock", theme.palette()["accent"], 28))
        self.title = QLabel("Sign in", card)
        self.title.setObjectName("signInTitle")
        self.subtitle = QLabel("Pick your name and enter your PIN.", card)
        self.subtitle.setObjectName("signInSubtitle")
        self.subtitle.setWordWrap(True)

        self.model = StaffModel(self)
        self.staff_list = QListView(card)
        self.staff_list.setObjectName("staffList")
        self.staff_list.setModel(self.model)
        self.staff_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.staff_list.setUniformItemSizes(True)
        self.staff_list.setFixedHeight(3 * 56 + 4)
        self.staff_list.setSpacing(0)
        self.staff_list.setStyleSheet("QListView::item { min-height: 54px; }")
        self.staff_list.selectionModel().currentChanged.connect(lambda *_: self._user_changed())
        self.pin: QLineEdit = pin_field(card)
        self.staff_list.activated.connect(lambda *_: self.pin.setFocus())

        self.pin.returnPressed.connect(self.submit)
        self.pad = PinPad(self.pin, card)
        self.sign_in_button = QPushButton("Sign in", card)
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.setProperty("primary", True)
        self.sign_in_button.clicked.connect(self.submit)
        self.message = QLabel("", card)
        self.message.setObjectName("signInMessage")
        self.message.setWordWrap(True)
        self.message.setMinimumHeight(24)
        self.message.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        heading = QHBoxLayout()
        heading.setSpacing(10)
        heading.addWidget(lock_icon)
        heading.addWidget(self.title)
        heading.addStretch(1)

        right = QVBoxLayout()
        right.setSpacing(10)
        right.addWidget(self.pin)
        right.addWidget(self.pad)
        right.addWidget(self.sign_in_button)

        who = QLabel("Who is signing in?", card)
        who.setObjectName("fieldHint")
        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(who)
        left.addWidget(self.staff_list)
        hint = QLabel("Lock the till any time with F12.", card)
        hint.setObjectName("fieldHint")
        hint.setWordWrap(True)
        left.addStretch(1)
        left.addWidget(hint)
        columns = QHBoxLayout()
        columns.setSpacing(24)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        inner = QVBoxLayout(card)
        inner.setContentsMargins(32, 28, 32, 24)
        inner.setSpacing(10)
        inner.addLayout(heading)
        inner.addWidget(self.subtitle)
        inner.addSpacing(8)
        inner.addLayout(columns)
        inner.addWidget(self.message)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

    # -- data ----------------------------------------------------------------------
    def set_engine(self, engine: Clienteling, store_name: str = "") -> None:
        self._engine = engine
        if store_name:
            self.subtitle.setText(f"{store_name} · pick your name and enter your PIN.")
        self.reload_staff()

    def reload_staff(self, select: str | None = None) -> None:
        if self._engine is None:
            return
        self._worker.submit(load_staff, self._engine).then(
            lambda rows: self._staff_loaded(rows, select), self._show_error, owner=self)

    def _staff_loaded(self, rows: list[StaffRow], select: str | None) -> None:
        current = select or self.selected_username()
        self.model.set_rows(rows)
        if not rows:
            self.message.setText("No staff on this database yet. Create the demo with "
                                 "'clienteling demo', or sync from the hub.")
            return
        self.select_user(current or rows[0].username)

    def selected_username(self) -> str | None:
        index = self.staff_list.currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        return row.username if row else None

    def select_user(self, username: str) -> None:
        row = self.model.row_of(username)
        if row < 0:
            return
        index = self.model.index(row, 0)
        self.staff_list.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.pin.setFocus()

    def _user_changed(self) -> None:
        self.pin.clear()
        self.message.clear()

    # -- states --------------------------------------------------------------------
    def show_sign_in(self) -> None:
        self.title.setText("Sign in")
        self.pin.clear()
        self.message.clear()

    def show_locked(self, actor: Actor | None) -> None:
        self.title.setText("Locked")
        if actor is not None:
            self.subtitle.setText(f"{actor.display_name} was signed in. Enter your PIN to carry on, "
                                  "or pick another name to switch user.")
            self.select_user(actor.username)
        self.pin.clear()
        self.message.clear()
        self.pin.setFocus()

    def show_problem(self, text: str) -> None:
        self.message.setText(text)

    # -- signing in -----------------------------------------------------------------
    def submit(self) -> None:
        username = self.selected_username()
        pin = self.pin.text()
        if self._engine is None or self._busy:
            return
        if not username:
            self.message.setText("Pick your name first.")
            return
        if not pin:
            self.message.setText("Enter your PIN.")
            self.pin.setFocus()
            return
        self._busy = True
        self.sign_in_button.setEnabled(False)
        self._worker.submit(sign_in, self._engine, username, pin).then(
            self._done, self._failed, owner=self)

    def _done(self, actor: Actor) -> None:
        self._busy = False
        self.sign_in_button.setEnabled(True)
        self.pin.clear()
        self.message.clear()
        self.signed_in.emit(actor)

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.sign_in_button.setEnabled(True)
        self.pin.clear()
        self.pin.setFocus()
        self._show_error(exc)

    def _show_error(self, exc: BaseException) -> None:
        self.message.setText(describe(exc).text)
