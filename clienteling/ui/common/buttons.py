"""The panel's push buttons, made one way: named for the tests and the style sheet, no
auto-default (Enter belongs to the lists), reachable by Tab, an optional icon."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from clienteling.ui.common import theme


def action_button(parent: QWidget, name: str, text: str, slot: Callable[..., Any], *,
                  primary: bool = False, danger: bool = False, link: bool = False,
                  icon: str | None = None) -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setAutoDefault(False)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    if primary:
        button.setProperty("primary", True)
    if danger:
        button.setProperty("danger", True)
    if link:
        button.setProperty("link", True)
    if icon:
        colour = theme.palette()["on_accent" if primary else "accent" if link else "muted"]
        button.setIcon(theme.icon(icon, colour, 18))
    button.clicked.connect(slot)
    return button
