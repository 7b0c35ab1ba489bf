"""Redeem codes as scannable QR codes for the POS (SPEC §5), drawn with segno."""

from __future__ import annotations

import io

import segno
from PySide6.QtGui import QImage, QPixmap


def qr_image(data: str, *, scale: int = 6, border: int = 2, dark: str = "#1d2430",
             light: str = "#ffffff") -> QImage:
    """A QR code of ``data`` as a QImage (PNG rendered by segno)."""
    code = segno.make(data, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=border, dark=dark, light=light)
    image = QImage()
    image.loadFromData(buffer.getvalue(), "PNG")
    return image


def qr_pixmap(data: str, *, size: int = 160) -> QPixmap:
    """A QR code scaled to about ``size`` pixels, without blurring the modules."""
    code = segno.make(data, error="m", micro=False)
    modules = code.symbol_size(scale=1, border=2)[0]
    scale = max(1, size // modules)
    return QPixmap.fromImage(qr_image(data, scale=scale))
