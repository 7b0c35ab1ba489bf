"""Staff to sign in as, for the sign-in screen's list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.rows_model import Column, RowsModel


@dataclass(frozen=True)
class StaffRow:
    id: str
    username: str
    display_name: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.display_name}  ·  {fmt.role_name(self.role)}"


class StaffModel(RowsModel[StaffRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__([Column[StaffRow]("Staff", lambda r: r.label,
                                           tooltip=lambda r: f"Sign in as {r.display_name}")],
                         key=lambda r: r.username, parent=parent)
