"""Starting the app, the look, errors in words and the log file, QR codes."""

from __future__ import annotations

import gc
import logging
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from clienteling.engine.errors import RuleRefused, ValidationError
from clienteling.ui import app as app_module
from clienteling.ui.common import errors, qr, theme
from clienteling.ui.main_window import MainWindow
from clienteling.ui.sync.first_run import FirstRunDialog


def test_the_style_sheet_is_filled_in_for_both_themes(qapp: Any) -> None:
    for colours in (theme.LIGHT, theme.DARK):
        sheet = theme.style_sheet(colours)
        assert "@" not in re.sub(r"url\([^)]*\)", "", sheet), "a colour token was left unfilled"
        assert colours["accent"] in sheet
    assert set(theme.LIGHT) == set(theme.DARK)
    for icon in ("search", "lock", "user", "check", "alert", "key", "dollar", "gift", "scan"):
        assert (theme.RESOURCES / "icons" / f"{icon}.svg").is_file()
        assert not theme.icon_pixmap(icon, "#000000", 16).isNull()


def test_a_redeem_code_as_a_qr_code(qtbot: Any) -> None:
    image = qr.qr_image("ALTER-1A2B3C4D", scale=4)
    assert not image.isNull() and image.width() == image.height() >= 25 * 4
    pixmap = qr.qr_pixmap("ALTER-1A2B3C4D", size=160)
    assert 100 <= pixmap.width() <= 170


def test_user_errors_in_words_and_unexpected_ones_in_the_log(tmp_path: Path) -> None:
    message = errors.describe(ValidationError({"value_initial": ["must be greater than zero"],
                                               "reason": ["is required"]}))
    assert message.text == "Please check: Amount: must be greater than zero; Reason: is required"
    assert message.fields["reason"] == ["is required"]
    assert errors.describe(RuleRefused("exhausted", "No redemptions left.")).text == "No redemptions left."
    path = errors.setup_logging(str(tmp_path / "till.db"))
    assert path is not None
    try:
        raise RuntimeError("disk on fire")
    except RuntimeError as exc:
        surprise = errors.describe(exc)
    assert surprise.unexpected
    assert "Traceback" not in surprise.text and "disk on fire" not in surprise.text
    assert "log" in surprise.text
    for handler in logging.getLogger("clienteling").handlers:
        handler.flush()
    logged = path.read_text(encoding="utf-8")
    assert "RuntimeError: disk on fire" in logged and "Traceback" in logged


def test_an_uncaught_exception_becomes_a_short_message(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    errors.install_excepthook(shown.append)
    try:
        raise KeyError("oops")
    except KeyError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert shown and shown[0].startswith("Something went wrong")


def test_the_qt_binding_keeps_its_references_to_true(qapp: Any) -> None:
    """PySide6 6.12.0 drops a reference to True on every emit() under CPython 3.11, and the
    interpreter aborts after a few thousand signals; pyproject.toml pins it out. This fails if
    such a binding is ever installed again."""
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        ping = Signal()

    probe = Probe()
    before = sys.getrefcount(True)
    for _ in range(1000):
        probe.ping.emit()
    assert before - sys.getrefcount(True) < 10


def test_the_default_database_follows_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("CLIENTELING_DB", str(tmp_path / "x.db"))
    assert app_module.default_database() == str(tmp_path / "x.db")
    monkeypatch.delenv("CLIENTELING_DB")
    assert app_module.default_database().endswith("clienteling.db")


def test_run_asks_on_first_run_and_makes_demo_data_when_chosen(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    monkeypatch.setattr(app_module, "DEMO_PROFILES", 20)
    real_prepare = app_module.prepare_database

    def prepare(url: str) -> bool:
        made.append(url)
        return real_prepare(url)

    monkeypatch.setattr(app_module, "prepare_database", prepare)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    seen: dict[str, Any] = {}

    def inspect() -> None:
        asking = [w for w in QApplication.topLevelWidgets()
                  if isinstance(w, FirstRunDialog) and w.isVisible()]
        if asking:
            seen["asked"] = True
            asking[0].demo_choice.click()  # "Try it with demo data"
            QTimer.singleShot(20, inspect)
            return
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible()]
        if not windows or windows[0].signin.model.rowCount() < 3:
            QTimer.singleShot(20, inspect)
            return
        window = windows[0]
        seen["page"] = window.stack.currentWidget() is window.signin
        seen["staff"] = [r.username for r in window.signin.model.rows]
        seen["store"] = window.brand_store.text()
        window.close()

    QTimer.singleShot(0, inspect)
    gc.unfreeze()
    try:
        assert app_module.run(str(tmp_path / "first-run.db")) == 0
        # start-up's objects are kept from the full collections (SPEC §8, opening a profile)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert seen["asked"] and made and seen["page"] is True
    assert sorted(seen["staff"]) == ["ada", "ava", "max"]
    assert "Melbourne Central" in seen["store"]
