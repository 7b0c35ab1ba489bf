"""The redeem code's QR (SPEC §5): what the panel shows must scan to the code. The image is
drawn from segno's module matrix (no PNG round trip); these check it module by module
against the matrix, and pixel by pixel against segno's own PNG writer (how it was drawn
before), for codes of several QR versions."""

from __future__ import annotations

import io
from typing import Any

import pytest
import segno
from PySide6.QtGui import QImage

from clienteling.ui.common import qr

DARK, LIGHT = "#1d2430", "#ffffff"
CODES = ["ALTER-1A2B3C4D", "X", "POS-" + "7" * 40, "https://example.test/r/ABCDEFGHIJKLMNOP"]


def _segno_png(data: str, scale: int) -> QImage:
    code = segno.make(data, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=2, dark=DARK, light=LIGHT)
    image = QImage()
    assert image.loadFromData(buffer.getvalue(), "PNG")
    return image.convertToFormat(QImage.Format.Format_ARGB32)


@pytest.mark.parametrize("data", CODES)
def test_the_qr_image_has_the_modules_of_the_code(qtbot: Any, data: str) -> None:
    scale = 5
    image = qr.qr_image(data, scale=scale)
    rows = list(segno.make(data, error="m", micro=False).matrix_iter(scale=1, border=2))
    assert image.width() == image.height() == len(rows) * scale
    dark = 0
    for y, row in enumerate(rows):
        for x, module in enumerate(row):
            for px, py in ((x * scale, y * scale), (x * scale + scale - 1, y * scale + scale - 1)):
                colour = image.pixelColor(px, py).name()
                assert colour == (DARK if module else LIGHT), (data, x, y)
            dark += bool(module)
    assert 0 < dark < len(rows) ** 2


@pytest.mark.parametrize("data", CODES)
def test_the_qr_pixmap_is_what_segnos_png_writer_draws(qtbot: Any, data: str) -> None:
    pixmap = qr.qr_pixmap(data, size=164)
    modules = segno.make(data, error="m", micro=False).symbol_size(scale=1, border=2)[0]
    expected = _segno_png(data, max(1, 164 // modules))
    shown = pixmap.toImage().convertToFormat(QImage.Format.Format_ARGB32)
    assert shown.size() == expected.size()
    assert shown == expected


def test_a_different_code_draws_a_different_qr(qtbot: Any) -> None:
    assert qr.qr_image("ALTER-1A2B3C4D") != qr.qr_image("ALTER-1A2B3C4E")
