"""The counter checkout (SPEC §3.6, §5): basket lines, chosen benefits and reward dollars,
a per-line preview, then one confirm that performs every redemption together.

Every preview and the confirm run on the engine worker; the dialog only shows results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.permissions import Actor
from clienteling.engine.records import BenefitRow
from clienteling.engine.services import Clienteling
from clienteling.engine.services.checkout import CheckoutPreview, CheckoutReceipt, LineBreakdown
from clienteling.ui.common.errors import describe
from clienteling.ui.common.formatting import money
from clienteling.ui.common.rows_model import RIGHT, Column, RowsModel
from clienteling.ui.operations.checkout import confirm_checkout, preview_checkout
from clienteling.ui.worker import EngineWorker

CATEGORIES = ("general", "denim", "knitwear", "tops", "dresses", "shoes", "accessories", "cafe",
              "gift_card", "shipping")
PREVIEW_DELAY_MS = 150


_W = TypeVar("_W", bound=QWidget)


def named(widget: _W, name: str) -> _W:
    """``widget`` with its object name set (tests find it by name); the typed twin of
    passing ``objectName=`` to the constructor, which Qt's type stubs do not know."""
    widget.setObjectName(name)
    return widget


@dataclass(frozen=True)
class _Row:
    key: str
    breakdown: LineBreakdown | None
    line: dict[str, Any]


def _line_text(row: _Row, attr: str) -> str:
    if row.breakdown is None:
        return "…"
    return money(getattr(row.breakdown, attr))


BASKET_COLUMNS: list[Column[_Row]] = [
    Column("SKU", lambda r: str(r.line["sku"])),
    Column("Category", lambda r: str(r.line["category"]).replace("_", " ")),
    Column("Qty", lambda r: str(r.line["quantity"]), RIGHT),
    Column("Price", lambda r: money(Decimal(str(r.line["unit_price"]))), RIGHT),
    Column("Benefits", lambda r: _line_text(r, "benefit_discount"), RIGHT),
    Column("Rewards", lambda r: _line_text(r, "reward_discount"), RIGHT),
    Column("Due", lambda r: "…" if r.breakdown is None else money(r.breakdown.due), RIGHT, bold=True),
]


class BenefitChoiceModel(QAbstractListModel):
    """The customer's redeemable benefits, each with a check box."""

    def __init__(self, items: Sequence[BenefitRow], parent: Any = None) -> None:
        super().__init__(parent)
        self._items = [i for i in items if i.redeemable]
        self._checked: set[str] = set()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            left = item.remaining
            uses = "unlimited" if left is None else f"{left} left"
            return f"{item.name}  ·  {uses}"
        if role == Qt.ItemDataRole.CheckStateRole:
            return (Qt.CheckState.Checked if item.id in self._checked
                    else Qt.CheckState.Unchecked)
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.description
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable)

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,  # noqa: N802
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        bid = self._items[index.row()].id
        checked = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2, True)
        (self._checked.add if checked else self._checked.discard)(bid)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def chosen(self) -> list[str]:
        # In list order, so the preview applies them in the order staff see them.
        return [i.id for i in self._items if i.id in self._checked]


class CheckoutDialog(QDialog):
    """Basket → benefits → reward dollars → payment due; Confirm redeems it all at once."""

    def __init__(self, worker: EngineWorker, cl: Clienteling, actor: Actor, profile_id: str,
                 benefits: Sequence[BenefitRow], balance: Decimal,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("checkoutDialog")
        self.setWindowTitle("Counter checkout")
        self.resize(860, 620)
        self._worker, self._cl, self._actor, self._profile_id = worker, cl, actor, profile_id
        self._lines: list[dict[str, Any]] = []
        self._preview: CheckoutPreview | None = None
        self.result_: CheckoutReceipt | None = None
        self._generation = 0

        self.sku = named(QLineEdit(), "checkoutSku")
        self.sku.setPlaceholderText("Scan or type a SKU")
        self.category = named(QComboBox(), "checkoutCategory")
        self.category.addItems(CATEGORIES)
        self.quantity = named(QSpinBox(), "checkoutQuantity")
        self.quantity.setRange(1, 999)
        self.quantity.setValue(1)
        self.price = named(QLineEdit(), "checkoutPrice")
        self.price.setPlaceholderText("0.00")
        self.price.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.full_price = named(QCheckBox("Full price"), "checkoutFullPrice")
        self.full_price.setChecked(True)
        add = named(QPushButton("Add line"), "checkoutAddLine")
        add.clicked.connect(self._add_line)
        self.price.returnPressed.connect(self._add_line)
        self.sku.returnPressed.connect(self._sku_entered)
        entry = QHBoxLayout()
        for w in (self.sku, self.category, self.quantity, self.price, self.full_price, add):
            entry.addWidget(w)

        self.basket = RowsModel(BASKET_COLUMNS, key=lambda r: r.key, parent=self)
        self.basket_view = named(QTableView(), "checkoutBasket")
        self.basket_view.setModel(self.basket)
        self.basket_view.verticalHeader().hide()
        header = self.basket_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the SKU takes the room
        remove = named(QPushButton("Remove line"), "checkoutRemoveLine")
        remove.clicked.connect(self._remove_line)

        self.choices = BenefitChoiceModel(benefits, self)
        self.choices.dataChanged.connect(lambda *_: self._schedule_preview())
        choices_view = named(QListView(), "checkoutBenefits")
        choices_view.setModel(self.choices)
        choices_view.setMaximumHeight(150)

        self.reward_amount = named(QLineEdit(), "checkoutRewardAmount")
        self.reward_amount.setPlaceholderText("0.00")
        self.reward_amount.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.reward_amount.textChanged.connect(lambda *_: self._schedule_preview())
        # The till's receipt number, typed or scanned (a scanner types into the focused
        # field): the purchase is recorded under it, so the same receipt is one purchase (P4).
        self.receipt = named(QLineEdit(), "checkoutReceipt")
        self.receipt.setPlaceholderText("Enter or scan the receipt number")
        self.receipt.setMaxLength(128)
        form = QFormLayout()
        form.addRow("Benefits to apply", choices_view)
        form.addRow(f"Reward dollars (balance {money(balance)})", self.reward_amount)
        form.addRow("Receipt", self.receipt)

        self.totals = named(QLabel(), "checkoutTotals")
        self.message = named(QLabel(), "checkoutMessage")
        self.message.setWordWrap(True)
        self.message.setProperty("fieldError", True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm = self.buttons.addButton("Confirm", QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm.setObjectName("checkoutConfirm")
        self.confirm.setProperty("primary", True)
        self.confirm.setEnabled(False)
        self.confirm.clicked.connect(self._confirm)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(entry)
        layout.addWidget(self.basket_view, 1)
        layout.addWidget(remove, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(form)
        layout.addWidget(self.totals)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self._timer = QTimer(self, singleShot=True, interval=PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._run_preview)

    # -- basket ------------------------------------------------------------------------
    def add_line(self, sku: str, category: str, quantity: int, unit_price: str,
                 full_price: bool = True) -> None:
        self._lines.append({"sku": sku, "category": category, "quantity": quantity,
                            "unit_price": unit_price, "full_price": full_price})
        self._show_rows()
        self._schedule_preview()

    def _sku_entered(self) -> None:
        """Enter (or a scanner's Enter) on the SKU: on to the price, or say the SKU is missing."""
        if self.sku.text().strip():
            self.price.setFocus()
        else:
            self._add_line()

    def _add_line(self) -> None:
        sku = self.sku.text().strip()
        price = self.price.text().strip().lstrip("$")
        if not sku:
            self._say("Enter or scan a SKU.")
            return
        try:
            Decimal(price)
        except InvalidOperation:
            self._say("Enter the unit price, e.g. 49.95.")
            return
        self.add_line(sku, self.category.currentText(), self.quantity.value(), price,
                      self.full_price.isChecked())
        self.sku.clear()
        self.price.clear()
        self.quantity.setValue(1)
        self.sku.setFocus()

    def _remove_line(self) -> None:
        rows = sorted({i.row() for i in self.basket_view.selectionModel().selectedRows()}, reverse=True)
        for row in rows or ([len(self._lines) - 1] if self._lines else []):
            del self._lines[row]
        self._show_rows()
        self._schedule_preview()

    def _show_rows(self) -> None:
        lines = self._preview.lines if self._preview and len(self._preview.lines) == len(
            self._lines) else None
        self.basket.set_rows([
            _Row(str(i), lines[i] if lines else None, line) for i, line in enumerate(self._lines)
        ])

    # -- preview and confirm -------------------------------------------------------------
    def _schedule_preview(self) -> None:
        self.confirm.setEnabled(False)
        self._timer.start()

    def _run_preview(self) -> None:
        self._generation += 1
        generation = self._generation
        if not self._lines:
            self._preview = None
            self.totals.setText("")
            self._say("")
            return
        self._worker.submit(
            preview_checkout, self._cl, self._profile_id, list(self._lines), self.choices.chosen(),
            self.reward_amount.text().strip().lstrip("$") or None,
        ).then(lambda p: self._previewed(generation, p), lambda e: self._failed(generation, e),
               owner=self)

    def _previewed(self, generation: int, preview: CheckoutPreview) -> None:
        if generation != self._generation:
            return  # an older preview: the basket has changed since
        self._preview = preview
        self._show_rows()
        self.totals.setText(
            f"Subtotal {money(preview.subtotal)}  ·  Benefits −{money(preview.benefit_total)}  ·  "
            f"Rewards −{money(preview.reward_total)}  ·  <b>Pay {money(preview.payment_due)}</b>"
        )
        self._say("")
        self.confirm.setEnabled(True)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._preview = None
            self._show_rows()
            self._say(describe(exc).text)

    def _confirm(self) -> None:
        if self._preview is None:
            return
        self.confirm.setEnabled(False)
        self._worker.submit(
            confirm_checkout, self._cl, self._actor, self._profile_id, list(self._lines),
            self.choices.chosen(), self.reward_amount.text().strip().lstrip("$") or None,
            self.receipt.text().strip() or None,
        ).then(self._confirmed, lambda e: self._failed(self._generation, e), owner=self)

    def _confirmed(self, result: CheckoutReceipt) -> None:
        self.result_ = result
        self.accept()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
