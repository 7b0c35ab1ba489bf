"""The reactions listed in the admin's editor: name, the trigger in words, on or off, and why
one does not fire when it has a problem (its definition archived, say)."""

from __future__ import annotations

from typing import Any

from clienteling.ui.common.rows_model import Column, RowsModel
from clienteling.ui.operations.reactions import ReactionRow
from clienteling.ui.reactions.words import trigger_words

PROBLEM_COLUMN = 3


def on_off(r: ReactionRow) -> str:
    if r.archived:
        return "Archived"
    return "On" if r.enabled else "Off"


def _tip(r: ReactionRow) -> str:
    return f"{r.handle} · version {r.version}" + (f" · {r.problem}" if r.problem else "")


class ReactionsModel(RowsModel[ReactionRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(
            [
                Column[ReactionRow]("Name", lambda r: r.name, bold=True, tooltip=_tip),
                Column[ReactionRow]("When", lambda r: trigger_words(r.trigger),
                                    tooltip=lambda r: trigger_words(r.trigger)),
                Column[ReactionRow]("On", on_off),
                Column[ReactionRow]("Problem", lambda r: r.problem or "",
                                    tooltip=lambda r: r.problem),
            ],
            key=lambda r: r.id, parent=parent,
        )

    def is_muted(self, row: ReactionRow) -> bool:
        return row.archived or not row.enabled
