"""Redeem codes as scannable QR codes for the POS (SPEC §5), encoded with segno.

segno encodes; the image is made here from its module matrix — one byte per module in an
indexed image, enlarged by Qt without smoothing — rather than through one of segno's
writers: the PNG writer meant compressing and decompressing a picture on every profile
opened (SPEC §8), and segno has no writer for Qt's images. segno is imported on the first
code drawn, not at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPixmap

if TYPE_CHECKING:
    from segno import QRCode

#: light modules are colour 0 of the image's colour table, dark ones colour 1
_LIGHT, _DARK = 0, 1


def _encode(data: str) -> QRCode:
    import segno

    return segno.make(data, error="m", micro=False)


def _image(code: QRCode, *, scale: int, border: int, dark: str, light: str) -> QImage:
    """``code`` with ``border`` light modules around it, each module ``scale`` pixels square."""
    width = int(code.symbol_size(scale=1, border=border)[0])  # whole modules at scale 1
    stride = (width + 3) & ~3  # an indexed image's lines start on 4-byte boundaries
    pad = bytes(stride - width)
    pixels = b"".join(bytes(_DARK if dark_module else _LIGHT for dark_module in row) + pad
                      for row in code.matrix_iter(scale=1, border=border))
    image = QImage(pixels, width, width, stride, QImage.Format.Format_Indexed8)
    image.setColorTable([QColor(light).rgba(), QColor(dark).rgba()])
    # scaled() makes an image of its own, so none points into ``pixels`` once this returns.
    return image.scaled(width * scale, width * scale, Qt.AspectRatioMode.IgnoreAspectRatio,
                        Qt.TransformationMode.FastTransformation)


def qr_image(data: str, *, scale: int = 6, border: int = 2, dark: str = "#1d2430",
             light: str = "#ffffff") -> QImage:
    """A QR code of ``data`` as a QImage: ``border`` light modules around the symbol, each
    module ``scale`` pixels square."""
    return _image(_encode(data), scale=scale, border=border, dark=dark, light=light)


def qr_pixmap(data: str, *, size: int = 160) -> QPixmap:
    """A QR code scaled to about ``size`` pixels, without blurring the modules."""
    code = _encode(data)
    modules = int(code.symbol_size(scale=1, border=2)[0])
    scale = max(1, size // modules)
    return QPixmap.fromImage(_image(code, scale=scale, border=2, dark="#1d2430",
                                    light="#ffffff"))
