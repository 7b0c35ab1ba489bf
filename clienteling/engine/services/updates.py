"""The row count of a conditional ``UPDATE … WHERE``, which decides who won a limit
(GUIDE principle 5)."""

from __future__ import annotations

from sqlalchemy import CursorResult


def rowcount(result: object) -> int:
    """How many rows the statement changed.

    ``Session.execute`` is typed to return a plain ``Result`` under SQLAlchemy 2.1 (2.0 typed
    DML as ``CursorResult``), though a DML statement always runs to a ``CursorResult``; this
    takes either and checks, rather than every conditional UPDATE casting on its own.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"expected the result of an UPDATE or DELETE, got {type(result).__name__}")
    return result.rowcount
