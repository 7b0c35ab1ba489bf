"""The app's log file: rotating, in the platform's user log folder, and where a crash report
goes instead of a traceback on the screen (a packaged app started from the desktop has no
terminal, so the file is the only place a traceback can reach whoever supports the till).

Qt-free: the command line uses it as well as the desktop.
"""

from __future__ import annotations

import faulthandler
import logging
import os
import platform
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO

import platformdirs

from clienteling import __version__

LOG_FILE_NAME = "clienteling.log"
#: Where a hard crash (a fault in Qt or a driver, below Python) writes its stacks.
FAULT_FILE_NAME = "clienteling-faults.log"
MAX_BYTES = 2_000_000
BACKUPS = 3

log = logging.getLogger("clienteling")

_log_path: Path | None = None
_handler: logging.Handler | None = None
_fault_file: IO[str] | None = None
_fault_was_enabled = False


class OneLineFormatter(logging.Formatter):
    """Log records for a terminal: the message only, never a traceback (issue 19: a damaged
    database said so in words and then printed 40 lines of SQLAlchemy). The traceback still
    reaches the log file, whose handler formats the same record with the standard formatter."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def console_handler() -> logging.Handler:
    """The terminal's handler: warnings and worse, one line each."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
    return handler


def log_dir(database_path: str | None = None) -> Path:
    """``CLIENTELING_LOG_DIR``, else the platform's user log folder, else next to the database."""
    configured = os.environ.get("CLIENTELING_LOG_DIR")
    if configured:
        return Path(configured)
    try:
        return Path(platformdirs.user_log_dir("Clienteling", appauthor=False))
    except Exception:  # pragma: no cover - platformdirs always answers on supported systems
        if database_path:
            return Path(database_path).expanduser().resolve().parent
        return Path.cwd()


def setup_logging(database_path: str | None = None) -> Path | None:
    """Send information, warnings and errors (with tracebacks) to a rotating log file
    (four files of 2 MB at most); idempotent. None when no folder can be written."""
    global _log_path, _handler
    if _log_path is not None:
        return _log_path
    candidates = [log_dir(database_path)]
    if database_path and "://" not in database_path:
        candidates.append(Path(database_path).expanduser().resolve().parent)
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(folder / LOG_FILE_NAME, maxBytes=MAX_BYTES,
                                          backupCount=BACKUPS, encoding="utf-8")
        except OSError:
            continue
        handler.setLevel(logging.INFO)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger("clienteling")
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > logging.INFO:
            root.setLevel(logging.INFO)
        _handler = handler
        _log_path = folder / LOG_FILE_NAME
        return _log_path
    return None


def log_file() -> Path | None:
    """The log file in use, or None before :func:`setup_logging` (or when none could be made)."""
    return _log_path


def enable_fault_log() -> Path | None:
    """A segfault or abort below Python (Qt, a graphics driver) writes every thread's Python
    stack to ``clienteling-faults.log`` beside the log, instead of to a terminal nobody sees."""
    global _fault_file, _fault_was_enabled
    if _log_path is None:
        return None
    folder = _log_path.parent
    if _fault_file is None:
        try:
            _fault_file = open(folder / FAULT_FILE_NAME, "a", encoding="utf-8")  # noqa: SIM115
        except OSError:
            return None
        _fault_was_enabled = faulthandler.is_enabled()
        faulthandler.enable(_fault_file, all_threads=True)
    return folder / FAULT_FILE_NAME


def report_crash(exc: BaseException) -> Path | None:
    """Write a crash report — version, system, command line and the traceback — to the log
    file (set up here if it is not yet); returns its path, None when nothing could be written."""
    path = setup_logging()
    log.critical(
        "crash report: clienteling %s, Python %s, %s, frozen=%s, argv=%r",
        __version__, platform.python_version(), platform.platform(),
        bool(getattr(sys, "frozen", False)), sys.argv,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    if _handler is not None:
        _handler.flush()
    return path


def close_logging() -> None:
    """Detach and close the log file (and the fault log), so the next :func:`setup_logging`
    starts afresh: for a smoke test's temporary folder, and for tests."""
    global _log_path, _handler, _fault_file
    if _handler is not None:
        logging.getLogger("clienteling").removeHandler(_handler)
        _handler.close()
    if _fault_file is not None:
        faulthandler.disable()
        if _fault_was_enabled and sys.stderr is not None:  # give it back (pytest enables it)
            faulthandler.enable(sys.stderr)
        _fault_file.close()
    _log_path = _handler = _fault_file = None
