"""The benefit or reward definitions listed in the admin's definitions editor."""

from __future__ import annotations

from typing import Any

from clienteling.ui.common.rows_model import Column, RowsModel
from clienteling.ui.operations.definitions import DefinitionRow


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
