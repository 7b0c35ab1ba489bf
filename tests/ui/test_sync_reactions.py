"""Admins edit reactions offline like definitions (SPEC 3.9 RX1, §6): an edit that met another
admin's change at the hub lands in Conflicts in words; "Resolve…" opens the reactions editor
with both versions side by side, and keeping either resolves it — with a real hub on loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clienteling.engine.services import Clienteling
from clienteling.ui.main_window import MainWindow
from clienteling.ui.reactions.editor import ReactionsEditor
from tests.ui.hub_support import HubWorld
from tests.ui.support import keep_version, resolve_in_editor, the_one_conflict
from tests.ui.test_sync_cycles import _connected, _sync

Open = Callable[..., MainWindow]
ADA = ("ada", "905238")


def _days(cl: Clienteling) -> int:
    return int(cl.reactions.get("come-back").trigger["days"])


def _make_at_hub(hub: Clienteling) -> None:
    reward = next(d for d in hub.definitions.reward_definitions()
                  if d.is_published and not d.is_archived)
    hub.reactions.create(hub.staff.sign_in(*ADA), {
        "handle": "come-back", "name": "Come back", "trigger": {"type": "lapsed", "days": 180},
        "effect": {"reward_definition_id": reward.id, "value": "5.00"}, "limit": "once_per_year"})


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_a_reaction_edited_at_both_ends_is_resolved_in_the_editor(
        open_window: Open, qtbot: Any, demo_hub: HubWorld, choice: str) -> None:
    hub = demo_hub.cl
    _make_at_hub(hub)
    w = open_window("ada")
    _connected(qtbot, w, demo_hub)  # the till now holds the reaction, version 1

    def edit_here(cl: Clienteling) -> None:
        ada = cl.staff.sign_in(*ADA)
        cl.reactions.update(ada, "come-back", {"trigger": {"type": "lapsed", "days": 120}},
                            expected_version=1)

    w.worker.run_sync(edit_here, w.engine)  # offline, as far as the till knows
    hub.reactions.update(hub.staff.sign_in(*ADA), "come-back",
                         {"trigger": {"type": "lapsed", "days": 90}}, expected_version=1)

    report = _sync(qtbot, w)
    assert report.conflicts == 1
    assert _days(hub) == 90
    assert w.worker.run_sync(_days, w.engine) == 90  # the till's copy corrected to the hub's

    dialog, row = the_one_conflict(qtbot, w)
    reaction_id = w.worker.run_sync(lambda cl: cl.reactions.get("come-back").id, w.engine)
    assert row.code == "version_conflict" and row.definition == ("reaction", reaction_id)
    assert row.what == "Edit reaction · Come back"
    assert row.headline == "Not saved at the hub: another admin changed Come back first"
    editor = resolve_in_editor(qtbot, dialog, lambda: w.reactions_window, ReactionsEditor)
    both = editor.conflict_text.text()
    # Side by side, in words.
    assert ("<td>After 120 days without a purchase</td>"
            "<td>After 90 days without a purchase</td>") in both
    assert editor.current is not None and editor.current["trigger"]["days"] == 90
    assert editor.form.trigger.edits["days"].text() == "90"  # the form shows theirs

    keep_version(qtbot, w, editor, choice)

    after = _sync(qtbot, w)
    assert (after.conflicts, after.waiting) == (0, 0)
    expected = 120 if choice == "mine" else 90
    assert _days(hub) == expected
    assert w.worker.run_sync(_days, w.engine) == expected
    editor.close()
