"""The look: one style sheet (``resources/style.qss``) filled in from a light or dark palette,
and icons from one set (``resources/icons``), tinted to the palette.

Both are package data of ``clienteling.ui``, read through ``importlib.resources`` so an
installed wheel finds them as surely as a source checkout does.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

RESOURCES: Traversable = files("clienteling.ui") / "resources"

LIGHT: dict[str, str] = {
    "window": "#f4f5f7",
    "surface": "#ffffff",
    "text": "#1d2430",
    "muted": "#6b7280",
    "disabled": "#a8adb5",
    "border": "#e3e6ea",
    "border_strong": "#cfd4da",
    "divider": "#eef0f2",
    "hover": "#f0f2f4",
    "accent": "#0f6e64",
    "accent_hover": "#0b5a52",
    "accent_soft": "#e2f0ee",
    "accent_disabled": "#9cc5bf",
    "on_accent": "#ffffff",
    "danger": "#b42318",
    "danger_soft": "#fdecea",
    "warn": "#a15c07",
    "pending": "#5b5f97",
    "pending_soft": "#ecedf7",
}

DARK: dict[str, str] = {
    "window": "#15181d",
    "surface": "#1d2127",
    "text": "#e6e8eb",
    "muted": "#9aa3ae",
    "disabled": "#5c636d",
    "border": "#2c323a",
    "border_strong": "#3a414b",
    "divider": "#252a31",
    "hover": "#252a31",
    "accent": "#3fb5a5",
    "accent_hover": "#5cc7b8",
    "accent_soft": "#1d3a36",
    "accent_disabled": "#2d5a54",
    "on_accent": "#0d1513",
    "danger": "#f0817a",
    "danger_soft": "#3a1f1f",
    "warn": "#e0a54a",
    "pending": "#a9acd9",
    "pending_soft": "#2a2c45",
}

_palette: dict[str, str] = LIGHT


def palette() -> dict[str, str]:
    return _palette


def wants_dark() -> bool:
    """``CLIENTELING_THEME=dark|light`` wins; otherwise follow the system's colour scheme."""
    choice = os.environ.get("CLIENTELING_THEME", "").lower()
    if choice in ("dark", "light"):
        return choice == "dark"
    app = QGuiApplication.instance()
    if app is None:
        return False
    try:
        return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    except AttributeError:  # Qt < 6.5
        return False


@cache
def icon_folder() -> Path:
    """The icons as a folder on disk, for the style sheet's ``url(...)``s.

    Qt reads those itself, by file name, so a Traversable will not do. Installed normally the
    package data is a folder already; from a zip (where ``importlib.resources.as_file`` takes
    only single files before Python 3.12) the icons are copied to a temporary folder once.
    """
    icons = RESOURCES / "icons"
    if isinstance(icons, Path):
        return icons
    folder = Path(tempfile.mkdtemp(prefix="clienteling-icons-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for item in icons.iterdir():
        if item.name.endswith(".svg"):
            (folder / item.name).write_bytes(item.read_bytes())
    return folder


def style_sheet(colours: dict[str, str]) -> str:
    text = (RESOURCES / "style.qss").read_text(encoding="utf-8")
    icons = icon_folder().as_posix()

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "icons":
            return icons
        return colours.get(name, match.group(0))

    return re.sub(r"@([a-z_]+)", fill, text)


def apply(app: QApplication, *, dark: bool | None = None) -> None:
    """Style the whole application once."""
    global _palette
    _palette = DARK if (wants_dark() if dark is None else dark) else LIGHT
    app.setStyle("Fusion")
    font = QFont()
    font.setFamilies(["Inter", "Segoe UI", "Helvetica Neue", "Noto Sans", "DejaVu Sans"])
    font.setPointSizeF(11)
    app.setFont(font)
    app.setStyleSheet(style_sheet(_palette))
    icon.cache_clear()


@cache
def icon(name: str, colour: str | None = None, size: int = 20) -> QIcon:
    """An icon of the set, tinted (default: the palette's muted grey)."""
    pixmap = icon_pixmap(name, colour, size)
    return QIcon(pixmap)


def icon_pixmap(name: str, colour: str | None = None, size: int = 20) -> QPixmap:
    try:
        svg = (RESOURCES / "icons" / f"{name}.svg").read_text(encoding="utf-8")
    except OSError:
        return QPixmap()
    svg = svg.replace("currentColor", colour or _palette["muted"])
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    ratio = 2.0
    pixmap = QPixmap(QSize(int(size * ratio), int(size * ratio)))
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    renderer.render(painter)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap
