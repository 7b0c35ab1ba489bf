"""Re-applying the style sheet after a dynamic property changed."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Mark a field red (``invalid`` property in the style sheet) or clear it."""
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    repolish(widget)
