"""Which rewards a reward-dollar redemption will draw from (nearest expiry first)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from clienteling.engine.money import format_money
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.rows_model import RIGHT, Column, RowsModel


@dataclass(frozen=True)
class DrawRow:
    reward_id: str
    name: str
    expires_at: datetime | None
    available: Decimal
    takes: Decimal


class DrawPreviewModel(RowsModel[DrawRow]):
    def __init__(self, tz: str = "UTC", parent: Any = None) -> None:
        self.tz = tz
        super().__init__(
            [
                Column[DrawRow]("From reward", lambda r: r.name, bold=True),
                Column[DrawRow]("Expires", lambda r: fmt.day(r.expires_at, self.tz)
                                if r.expires_at else "No expiry"),
                Column[DrawRow]("Available", lambda r: format_money(r.available), align=RIGHT),
                Column[DrawRow]("Takes", lambda r: format_money(r.takes), align=RIGHT),
            ],
            key=lambda r: r.reward_id, parent=parent,
        )
