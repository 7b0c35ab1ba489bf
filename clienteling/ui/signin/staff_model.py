"""Staff to sign in as, for the sign-in screen's list."""

from __future__ import annotations

from typing import Any

from clienteling.ui.common.rows_model import Column, RowsModel
from clienteling.ui.operations.signin import StaffRow


class StaffModel(RowsModel[StaffRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__([Column[StaffRow]("Staff", lambda r: r.label,
                                           tooltip=lambda r: f"Sign in as {r.display_name}")],
                         key=lambda r: r.username, parent=parent)
