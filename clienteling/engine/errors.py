"""Typed errors raised by the engine.

Every refusal the engine makes is one of these, so the desktop can show it in
words and the hub can map it to an HTTP status without guessing:

- ``ValidationError``  -> 422, bad input, with a message per field
- ``RuleRefused``      -> 400, a business rule says no, with a SPEC §3 reason code
- ``NotFound``         -> 404, an unknown id
- ``PermissionDenied`` -> 403, the staff member's role may not do this (§3.7)
- ``VersionConflict``  -> 409, an edit based on a stale version (§6)
- ``AuthenticationFailed`` -> 401, wrong PIN, locked or inactive account
- ``db_errors.DatabaseError`` -> 503, the database failed under us (full disk, read-only,
  busy past the timeout, …); typed where the engine meets the driver
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error the engine raises on purpose."""

    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(DomainError):
    """Bad input: ``errors`` maps each offending field to its problems."""

    code = "validation_failed"

    def __init__(self, errors: Mapping[str, list[str] | str], message: str | None = None) -> None:
        normalised = {
            field: ([problems] if isinstance(problems, str) else list(problems))
            for field, problems in errors.items()
        }
        self.errors: dict[str, list[str]] = normalised
        if message is None:
            message = "; ".join(f"{field}: {' '.join(p)}" for field, p in normalised.items())
        super().__init__(message)

    @classmethod
    def field(cls, name: str, problem: str) -> ValidationError:
        return cls({name: [problem]})


class RuleRefused(DomainError):
    """A business rule refused the action; ``code`` is one of SPEC §3's reason codes."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, entity: str, ident: object) -> None:
        super().__init__(f"No {entity} with id {ident!s}")
        self.entity = entity
        self.ident = ident


class PermissionDenied(DomainError):
    code = "forbidden"

    def __init__(self, action: str, role: str) -> None:
        super().__init__(f"A staff member with role '{role}' may not {action}")
        self.action = action
        self.role = role


class VersionConflict(DomainError):
    code = "version_conflict"

    def __init__(self, entity: str, expected: int, actual: int) -> None:
        super().__init__(
            f"The {entity} was changed elsewhere: your edit is based on version {expected}, "
            f"the current version is {actual}"
        )
        self.expected = expected
        self.actual = actual


class AuthenticationFailed(DomainError):
    code = "authentication_failed"
