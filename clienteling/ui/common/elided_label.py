"""A one-line label that elides its text to the width it has ("Sync stopped: token rev…")
instead of being cut at the window's edge; the whole text stays in ``full_text``."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full_text = ""
        # Its whole text's width when there is room; down to nothing when not (the minimum
        # size hint is 0 wide), the text elided to what it got.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        self.full_text = text
        self._elide()

    def clear(self) -> None:
        self.setText("")

    def shown_text(self) -> str:
        return super().text()

    def text(self) -> str:
        """The whole text, as set (what is drawn may be elided: :meth:`shown_text`)."""
        return self.full_text

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(0, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # noqa: N802
        width = self.fontMetrics().horizontalAdvance(self.full_text) + 4
        return QSize(width, super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight,
                                              max(0, self.width()))
        QLabel.setText(self, shown)
        self.updateGeometry()
