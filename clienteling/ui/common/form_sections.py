"""The long forms of the admin's editors (definitions, reactions): fields in titled sections,
each a grid of a right-aligned caption beside its widget, with the field's error line under it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

CAPTION_WIDTH = 190


def form_column(form: QWidget) -> QVBoxLayout:
    """The form's own layout, for its sections one under another (room on the right for the
    scroll bar of the scroll area it sits in)."""
    layout = QVBoxLayout(form)
    layout.setContentsMargins(0, 0, 8, 0)
    layout.setSpacing(4)
    return layout


def section(parent: QWidget, title: str, name: str) -> tuple[QGroupBox, QGridLayout]:
    """A titled box (object name ``section_<name>``) and its grid: captions, then the fields."""
    box = QGroupBox(title, parent)
    box.setObjectName(f"section_{name}")
    grid = QGridLayout(box)
    grid.setHorizontalSpacing(14)
    grid.setVerticalSpacing(4)
    grid.setColumnMinimumWidth(0, CAPTION_WIDTH)
    grid.setColumnStretch(1, 1)
    return box, grid


def caption(parent: QWidget, text: str) -> QLabel:
    """A field's caption, right-aligned to its widget's first line."""
    label = QLabel(text, parent)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    label.setContentsMargins(0, 7, 0, 0)
    label.setFixedWidth(CAPTION_WIDTH)
    label.setWordWrap(True)
    return label
