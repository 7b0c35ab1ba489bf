"""The shared table set-up (clienteling.ui.common.tables) and RowsModel's answers: what
each role gives, the delegates' size hints (kept by column, text and font) against Qt's
own plus the padding, and the badge painted only where a list can show one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QWidget

from clienteling.ui.common.rows_model import (
    BADGE_ROLE,
    KEY_ROLE,
    MUTED,
    MUTED_ROLE,
    RIGHT,
    ROW_ROLE,
    Column,
    RowsModel,
)
from clienteling.ui.common.tables import PAD, PaddedDelegate, RowDelegate, make_table


@dataclass(frozen=True)
class Item:
    id: str
    name: str
    price: str
    spent: bool = False


class Items(RowsModel[Item]):
    def __init__(self) -> None:
        super().__init__([Column("Name", lambda r: r.name, bold=True, tooltip=lambda r: r.id),
                          Column("Price", lambda r: r.price, align=RIGHT)], key=lambda r: r.id)

    def is_muted(self, row: Item) -> bool:
        return row.spent


class Badged(Items):
    badge_column = 1

    def badge(self, row: Item) -> str | None:
        return "pending sync" if row.spent else None


ROWS = [Item("a", "Olivia Smith", "$10.00"), Item("b", "Li", "$1,250.00", spent=True),
        Item("c", "Olivia Smith", "$3.00")]


def test_each_role_answers_as_the_columns_say(qtbot: Any) -> None:
    model = Items()
    model.set_rows(ROWS)
    name, price = model.index(1, 0), model.index(1, 1)
    assert model.data(name) == "Li" and model.data(price) == "$1,250.00"
    assert model.data(price, Qt.ItemDataRole.TextAlignmentRole) == int(RIGHT)
    assert model.data(name, Qt.ItemDataRole.ToolTipRole) == "b"
    assert model.data(price, Qt.ItemDataRole.ToolTipRole) is None
    assert model.data(name, Qt.ItemDataRole.ForegroundRole) == MUTED
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole) is None
    font = model.data(name, Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    assert model.data(price, Qt.ItemDataRole.FontRole) is None
    assert model.data(price, ROW_ROLE) == ROWS[1] and model.data(price, KEY_ROLE) == "b"
    assert model.data(name, MUTED_ROLE) is True
    assert model.data(name, BADGE_ROLE) is None
    assert model.data(name, Qt.ItemDataRole.DecorationRole) is None
    assert model.data(QModelIndex()) is None
    assert model.data(model.index(3, 0)) is None
    badged = Badged()
    badged.set_rows(ROWS)
    assert badged.data(badged.index(1, 1), BADGE_ROLE) == "pending sync"
    assert badged.data(badged.index(1, 0), BADGE_ROLE) is None
    assert badged.data(badged.index(0, 1), BADGE_ROLE) is None


def test_the_badge_delegate_only_where_a_badge_can_show(qtbot: Any) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    plain = make_table("plain", Items(), parent)
    badged = make_table("badged", Badged(), parent)
    assert type(plain.itemDelegate()) is PaddedDelegate
    assert plain.itemDelegateForColumn(1) is None
    assert type(badged.itemDelegate()) is PaddedDelegate
    assert isinstance(badged.itemDelegateForColumn(1), RowDelegate)
    assert badged.itemDelegateForColumn(0) is None


def test_size_hints_are_qts_plus_the_padding_as_the_texts_change(qtbot: Any) -> None:
    model = Items()
    view = make_table("items", model, None)
    qtbot.addWidget(view)
    view.show()
    delegate = view.itemDelegate()
    assert isinstance(delegate, PaddedDelegate)
    reference = QStyledItemDelegate()

    def check() -> None:
        for row in range(model.rowCount()):
            for column in range(model.columnCount()):
                option = QStyleOptionViewItem()
                option.initFrom(view)
                option.font = view.font()
                index = model.index(row, column)
                expected = reference.sizeHint(option, index)
                got = delegate.sizeHint(option, index)
                assert (got.width(), got.height()) == (expected.width() + 2 * PAD,
                                                       expected.height()), (row, column)

    model.set_rows(ROWS)
    check()
    check()  # now from what was kept
    model.set_rows([Item("a", "Someone With A Much Longer Name", "$0.50"), ROWS[1]])
    check()
    bigger = QFont(view.font())
    bigger.setPointSizeF(bigger.pointSizeF() * 2)
    view.setFont(bigger)
    check()


def test_columns_fit_their_contents_as_qts_own_loop_finds(qtbot: Any) -> None:
    from PySide6.QtWidgets import QTableView

    from clienteling.ui.common.tables import RowsTable

    model = Badged()
    view = make_table("items", model, None)
    qtbot.addWidget(view)
    assert isinstance(view, RowsTable)

    def check() -> None:
        for column in range(model.columnCount()):
            assert view.sizeHintForColumn(column) == QTableView.sizeHintForColumn(view, column)

    model.set_rows(ROWS)
    check()  # hidden
    view.show()
    check()
    many = [Item(str(i), "x" * (i % 37), f"${i}.00", spent=i % 5 == 0) for i in range(300)]
    model.set_rows(many)
    check()
    bigger = QFont(view.font())
    bigger.setPointSizeF(bigger.pointSizeF() * 1.5)
    view.setFont(bigger)
    check()
    view.setShowGrid(True)  # Qt's, with the grid line
    check()
