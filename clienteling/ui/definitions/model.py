"""The benefit or reward definitions listed in the admin's definitions editor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clienteling.ui.common.rows_model import Column, RowsModel


@dataclass(frozen=True)
class DefinitionRow:
    id: str
    name: str
    handle: str
    kind: str  # "benefit" | "reward"
    version: int
    published: bool
    archived: bool
    invalid: str | None = None  # a problem with a synced value (e.g. a bad timeframe)

    @property
    def state(self) -> str:
        if self.invalid:
            return "Invalid"
        if self.archived:
            return "Archived"
        return "Published" if self.published else "Draft"


def _tip(r: DefinitionRow) -> str:
    state = f"Invalid: {r.invalid}" if r.invalid else r.state
    return f"{r.handle} · version {r.version} · {state}"


class DefinitionsModel(RowsModel[DefinitionRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[DefinitionRow]("Name", lambda r: r.name, bold=True, tooltip=_tip),
            ],
            key=lambda r: r.id, parent=parent,
        )

    def is_muted(self, row: DefinitionRow) -> bool:
        return row.archived

    def badge(self, row: DefinitionRow) -> str | None:
        return None if row.state == "Published" else row.state.lower()
