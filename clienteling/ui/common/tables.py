"""Item views set up the same way everywhere: whole rows, finger-sized, no grid, a little air
around the text, and a "pending sync" badge where the model asks for one."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from clienteling.ui.common import theme
from clienteling.ui.common.rows_model import BADGE_ROLE, RowsModel

ROW_HEIGHT = 44
PAD = 10

Index = QModelIndex | QPersistentModelIndex


class PaddedDelegate(QStyledItemDelegate):
    """Room for the style sheet's cell padding in the size hint; Qt's own painting.

    For the cells of a :class:`RowsModel` that never show a badge: a Python ``paint`` would
    run for every cell on every repaint of the list (SPEC §8, opening a profile repaints
    four of them). The size hints are kept by column, text and font: a list whose columns
    fit their contents asks for every row's (the Claimable list, some 250 definitions, on
    every profile opened), and a cell's size follows from those three alone, as these
    models give no icons, check boxes or per-row fonts.
    """

    #: size hints kept at most; a long day's searches must not grow it without end
    KEPT = 4096

    def __init__(self, model: RowsModel[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._sizes: dict[tuple[int, str, str], QSize] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        return self._size(option, index.row(), index.column(), option.font.key())

    def _size(self, option: QStyleOptionViewItem, row: int, column: int, font: str) -> QSize:
        key = (column, self._model.display_text(row, column), font)
        size = self._sizes.get(key)
        if size is None:
            if len(self._sizes) >= self.KEPT:
                self._sizes.clear()
            hint = super().sizeHint(option, self._model.index(row, column))
            size = self._sizes[key] = QSize(hint.width() + 2 * PAD, hint.height())
        return size

    def column_width(self, option: QStyleOptionViewItem, column: int) -> int:
        """The widest size hint of ``column`` over all the rows, with the view's ``option``."""
        font = option.font.key()
        return max((self._size(option, row, column, font).width()
                    for row in range(self._model.rowCount())), default=0)


class RowsTable(QTableView):
    """A table over a :class:`RowsModel` whose columns fit their contents with one Python
    call per column, not one per cell.

    Qt sizes a column that fits its contents from the size hint of each row (up to the
    header's precision, 1,000 rows): on the Claimable list's reset that was some 500 calls
    into Python per profile opened (SPEC §8). Here the widest kept hint is the answer, as
    Qt's own loop would find it: same delegate, same option, every row. Anything else —
    another delegate, a grid, hidden rows, more rows than the precision — is Qt's.
    """

    def setModel(self, model: QAbstractItemModel | None) -> None:  # noqa: N802
        """A new model gets a padded delegate of its own: the one made for the previous model
        measured that model's cells, so every column fell to the minimum width (a report's
        "Reward dollars" cut to "Re…" after Refresh)."""
        super().setModel(model)
        replaced = self.itemDelegate()
        if (isinstance(replaced, PaddedDelegate) and isinstance(model, RowsModel)
                and replaced._model is not model):
            self.setItemDelegate(PaddedDelegate(model, self))
            replaced.deleteLater()

    def sizeHintForColumn(self, column: int) -> int:  # noqa: N802
        model = self.model()
        delegate = self.itemDelegateForColumn(column) or self.itemDelegate()
        rows = self.verticalHeader()
        if (not isinstance(delegate, PaddedDelegate) or delegate._model is not model
                or self.showGrid() or rows.hiddenSectionCount()
                or not 0 < model.rowCount() <= rows.resizeContentsPrecision()):
            return super().sizeHintForColumn(column)
        self.ensurePolished()
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        return delegate.column_width(option, column)


class RowDelegate(QStyledItemDelegate):
    """Room for the style sheet's cell padding in the size hint, and a badge pill."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        extra = 2 * PAD
        badge = index.data(BADGE_ROLE)
        if badge:
            extra += self._badge_width(option.font, str(badge)) + 8
        return QSize(size.width() + extra, size.height())

    @staticmethod
    def _badge_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(7.5, font.pointSizeF() - 2.5))
        small.setBold(True)
        return small

    def _badge_width(self, font: QFont, text: str) -> int:
        return QFontMetrics(self._badge_font(font)).horizontalAdvance(text) + 16

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        badge = index.data(BADGE_ROLE)
        if not badge:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        label, opt.text = opt.text, ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            super().paint(painter, option, index)
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget).adjusted(
            margin, 0, -margin, 0)
        text = str(badge)
        width = self._badge_width(opt.font, text)
        metrics = QFontMetrics(opt.font)
        shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight,
                                   max(0, text_rect.width() - width - 10))
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        colour = foreground if isinstance(foreground, QColor) else QColor(theme.palette()["text"])
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(colour)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                         shown)
        font = self._badge_font(opt.font)
        height = QFontMetrics(font).height() + 6
        x = text_rect.left() + metrics.horizontalAdvance(shown) + 10
        box = QRect(x, text_rect.center().y() - height // 2 + 1, width, height)
        colours = theme.palette()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colours["pending_soft"]))
        painter.drawRoundedRect(box, height / 2, height / 2)
        painter.setPen(QColor(colours["pending"]))
        painter.setFont(font)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)
        painter.restore()


def make_table(name: str, model: QAbstractItemModel, parent: QWidget | None = None, *,
               stretch: int = 0, row_height: int = ROW_HEIGHT) -> QTableView:
    view = RowsTable(parent) if isinstance(model, RowsModel) else QTableView(parent)
    view.setObjectName(name)
    view.setModel(model)
    if isinstance(model, RowsModel):
        # Only the column a badge can show in needs the Python painting of one.
        view.setItemDelegate(PaddedDelegate(model, view))
        if model.has_badges:
            view.setItemDelegateForColumn(model.badge_column, RowDelegate(view))
    else:
        view.setItemDelegate(RowDelegate(view))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.setAlternatingRowColors(False)
    view.setTabKeyNavigation(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(row_height)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    header.setMinimumSectionSize(70)
    return view
