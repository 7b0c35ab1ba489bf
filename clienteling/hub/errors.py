"""Every refusal as an HTTP answer in one shape (SPEC §7).

- 400 ``{"message", "code"}``: a business rule said no (reason codes of SPEC §3)
- 401 ``{"message", "code"}``: no or invalid device token, or the acting staff member is unknown
- 403 ``{"message", "code"}``: the staff member's role (or store) may not do this
- 404 ``{"message", "code"}``: an unknown id
- 409 ``{"message", "code"}``: a stale ``If-Match`` version, or a concurrent change
- 412 ``{"message", "code"}``: an ``If-Match`` header that is not a version number
- 413 ``{"message", "code"}``: a body over 1 MiB
- 422 ``{"message", "errors": {field: [problem, …]}}``: bad input, each problem named

Nothing here is a 5xx except 503 ``{"message", "code"}`` for the database's environment
(the engine's typed ``DatabaseError``s: ``busy`` with Retry-After, ``disk_full``,
``read_only``, ``disk_io_error``, ``database_corrupt``, ``cannot_open``,
``database_unavailable``…) and the catch-all in ``app.py`` for real bugs.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError

from clienteling.engine.db import DatabaseError
from clienteling.engine.db_errors import classify as classify_database_error
from clienteling.engine.errors import (
    AuthenticationFailed,
    DomainError,
    NotFound,
    PermissionDenied,
    RuleRefused,
    ValidationError,
    VersionConflict,
)
from clienteling.engine.money import MoneyError

log = logging.getLogger("clienteling.hub")


class ApiError(Exception):
    """A refusal the hub itself makes (headers, paging, authentication)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers

    @classmethod
    def invalid(cls, field: str, problem: str) -> ApiError:
        return cls(422, f"{field}: {problem}", errors={field: [problem]})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            out["code"] = self.code
        if self.errors is not None:
            out["errors"] = self.errors
        out.update(self.extra)
        return out


def validation_body(errors: dict[str, list[str]], message: str | None = None) -> dict[str, Any]:
    if message is None:
        message = "; ".join(f"{field}: {' '.join(problems)}" for field, problems in errors.items())
    return {"message": message or "The given data was invalid.", "errors": errors}


def _money_error(exc: MoneyError) -> dict[str, Any]:
    text = str(exc)
    field, sep, problem = text.partition(": ")
    if not sep or " " in field:
        field, problem = "amount", text
    return validation_body({field: [problem]})


def classify(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str] | None] | None:
    """(status, body, headers) for an expected error; None for anything else (a bug)."""
    if isinstance(exc, ApiError):
        return exc.status, exc.body(), exc.headers
    if isinstance(exc, ValidationError):
        return 422, validation_body(exc.errors, exc.message), None
    if isinstance(exc, MoneyError):
        return 422, _money_error(exc), None
    if isinstance(exc, RuleRefused):
        return 400, {"message": exc.message, "code": exc.code}, None
    if isinstance(exc, NotFound):
        return 404, {"message": exc.message, "code": "not_found"}, None
    if isinstance(exc, PermissionDenied):
        return 403, {"message": exc.message, "code": "forbidden"}, None
    if isinstance(exc, VersionConflict):
        return 409, {"message": exc.message, "code": "version_conflict",
                     "expected_version": exc.expected, "current_version": exc.actual}, None
    if isinstance(exc, AuthenticationFailed):
        return 401, {"message": exc.message, "code": "unauthenticated"}, None
    if isinstance(exc, DatabaseError):
        return _database(exc)
    if isinstance(exc, DomainError):
        return 400, {"message": exc.message, "code": exc.code}, None
    if isinstance(exc, IntegrityError):
        # Two requests raced to create the same record (same handle or client-supplied id).
        log.info("integrity conflict: %s", exc.orig)
        return 409, {"message": "This conflicts with a change made at the same moment (a record "
                                "with this id or handle now exists); re-read and retry.",
                     "code": "conflict"}, None
    if isinstance(exc, DBAPIError):
        # The engine sorts driver errors where it meets the driver; this catches one raised
        # outside its read()/write() (the CLI's own connections). What is not environmental
        # stays a bug: None, so the catch-all logs it as one.
        typed = classify_database_error(exc, writing=True)
        if typed is not None:
            return _database(typed)
    return None


def _database(exc: DatabaseError) -> tuple[int, dict[str, Any], dict[str, str] | None]:
    """503 in the engine's words: the environment failed, not the request (it rolled back)."""
    log.error("database problem (%s): %s", exc.code, exc.message)
    headers = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    return 503, {"message": exc.message, "code": exc.code}, headers
