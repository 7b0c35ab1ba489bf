"""The Conflicts list: changes the hub refused, newest first (at most a couple of hundred, so a
plain row model)."""

from __future__ import annotations

from typing import Any

from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.rows_model import Column, RowsModel
from clienteling.ui.operations.conflict_rows import ConflictRow


class ConflictsModel(RowsModel[ConflictRow]):
    """When (in the store's timezone), what, customer, staff member, the reason in words and
    what the till did about it."""

    def __init__(self, tz: str = "UTC", parent: Any = None) -> None:
        self.tz = tz
        columns = [
            Column[ConflictRow]("When", lambda r: fmt.day_time(r.occurred_at, self.tz)),
            Column[ConflictRow]("What", lambda r: r.what, tooltip=lambda r: f"{r.what}\n{r.request}",
                                bold=True),
            Column[ConflictRow]("Customer", lambda r: r.customer),
            Column[ConflictRow]("Staff", lambda r: r.staff),
            Column[ConflictRow]("Reason", lambda r: r.headline or r.reason,
                                tooltip=lambda r: f"The hub said: {r.reason}"),
            Column[ConflictRow]("What the till did", lambda r: r.outcome, tooltip=lambda r: r.outcome),
        ]
        super().__init__(columns, key=lambda r: r.id, parent=parent)
