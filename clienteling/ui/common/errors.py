"""Errors in words (SPEC §4, §5): what the user sees, and the log file for everything else.

A refusal from the engine (``DomainError``) is shown as its message; a
``ValidationError`` also names each field. A database that fails under the till (full disk,
read-only or damaged file, lock held too long) arrives as a typed ``DatabaseError`` whose
message already says what happened and that nothing was saved. Anything unexpected is written with its
traceback to the log file and the user gets a short sentence — never a traceback.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from types import TracebackType

from clienteling.engine.conditions import InvalidRule
from clienteling.engine.db import DatabaseError
from clienteling.engine.errors import DomainError, ValidationError
from clienteling.engine.money import MoneyError
from clienteling.engine.timeframe import TimeframeError
from clienteling.logfile import LOG_FILE_NAME, log_dir, log_file, setup_logging

__all__ = ["FIELD_LABELS", "LOG_FILE_NAME", "UserMessage", "describe", "field_label",
           "install_excepthook", "is_user_error", "log_dir", "log_file", "setup_logging"]

log = logging.getLogger("clienteling.ui")

#: Labels for field names in messages (anything else is turned into words).
FIELD_LABELS: dict[str, str] = {
    "value_initial": "Amount",
    "amount": "Amount",
    "reason": "Reason",
    "reward_definition_id": "Reward",
    "benefit_definition_id": "Benefit",
    "first_name": "First name",
    "last_name": "Last name",
    "mobile_phone": "Mobile",
    "birth_date": "Birth date",
    "claim_condition": "Claim condition",
    "visibility_condition": "Visibility condition",
    "claim_timeframe": "Claim timeframe",
    "redeem_code_pos": "In-store code",
    "redeem_code_online": "Online code",
    "extend_days": "Days",
}

_USER_ERRORS = (DomainError, MoneyError, InvalidRule, TimeframeError)


def field_label(name: str) -> str:
    base = name.split(".", 1)[0]
    label = FIELD_LABELS.get(base) or base.replace("_", " ").capitalize()
    rest = name[len(base):]
    return label + (f" ({rest.lstrip('.')})" if rest else "")


@dataclass(frozen=True)
class UserMessage:
    """An error said in words, with per-field problems for forms."""

    text: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    unexpected: bool = False


def is_user_error(exc: BaseException) -> bool:
    return isinstance(exc, _USER_ERRORS)


def describe(exc: BaseException) -> UserMessage:
    """What to show for ``exc``; unexpected errors are logged here with their traceback."""
    if isinstance(exc, ValidationError):
        parts = [f"{field_label(f)}: {' '.join(p)}" for f, p in exc.errors.items()]
        return UserMessage("Please check: " + "; ".join(parts), dict(exc.errors))
    if isinstance(exc, DatabaseError):
        # The engine typed it and put it in words (engine/db_errors.py); the driver's own
        # error, chained as the cause, goes to the log for whoever fixes the disk or file.
        log.error("database problem (%s): %s", exc.code, exc, exc_info=exc.__cause__ is not None)
        return UserMessage(exc.message)
    if isinstance(exc, DomainError):
        return UserMessage(exc.message)
    if isinstance(exc, MoneyError):
        text = str(exc)
        name, _, problem = text.partition(": ")
        return UserMessage(f"{field_label(name)}: {problem}" if problem else text,
                           {name: [problem or text]})
    if isinstance(exc, InvalidRule | TimeframeError):
        return UserMessage(str(exc))
    log.error("unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    where = log_file()
    return UserMessage(
        "Something went wrong and it was not saved. The details are in the log"
        + (f" ({where})." if where else "."),
        unexpected=True,
    )


def install_excepthook(report: object | None = None) -> None:
    """Uncaught exceptions (e.g. in a slot) go to the log and a short message, never a traceback
    dialog. ``report`` is a callable taking the message text."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        message = describe(exc.with_traceback(tb))
        if callable(report):
            try:
                report(message.text)
            except Exception:  # the reporter itself must never take the app down
                log.exception("could not show an error message")

    sys.excepthook = hook
