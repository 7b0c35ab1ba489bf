"""Admins edit definitions offline (issue 8): an edit that met another admin's change at the
hub lands in Conflicts; "Resolve…" opens the definitions editor with both versions side by
side, and keeping either resolves it — with a real hub on loopback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clienteling.engine.services import Clienteling
from clienteling.ui.definitions.editor import DefinitionsEditor
from clienteling.ui.main_window import MainWindow
from tests.ui.hub_support import HubWorld
from tests.ui.support import keep_version, resolve_in_editor, the_one_conflict
from tests.ui.test_sync_cycles import _connected, _sync

Open = Callable[..., MainWindow]


def _description(cl: Clienteling) -> str | None:
    return cl.definitions.benefit_definition("vip-lounge").description


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_a_definition_edited_at_both_ends_is_resolved_in_the_editor(
        open_window: Open, qtbot: Any, demo_hub: HubWorld, choice: str) -> None:
    w = open_window("ada")
    _connected(qtbot, w, demo_hub)

    def edit_here(cl: Clienteling) -> None:
        ada = cl.staff.sign_in("ada", "905238")
        vip = cl.definitions.benefit_definition("vip-lounge")
        cl.definitions.update_benefit_definition(ada, vip.id, {"description": "Mine: three visits"},
                                                 expected_version=vip.version)

    w.worker.run_sync(edit_here, w.engine)  # offline, as far as the till knows
    hub = demo_hub.cl
    vip = hub.definitions.benefit_definition("vip-lounge")
    hub.definitions.update_benefit_definition(hub.staff.sign_in("ada", "905238"), vip.id,
                                              {"description": "Theirs: two visits"},
                                              expected_version=vip.version)

    report = _sync(qtbot, w)
    assert report.conflicts == 1
    # The hub's version stands at the hub, and the till's copy was corrected to it.
    assert _description(hub) == "Theirs: two visits"
    assert w.worker.run_sync(_description, w.engine) == "Theirs: two visits"

    dialog, row = the_one_conflict(qtbot, w)
    assert row.code == "version_conflict" and row.definition == ("benefit", vip.id)
    assert row.headline == "Not saved at the hub: another admin changed VIP Lounge first"
    assert (row.staff, row.customer) == ("Ada Okafor", "—")
    editor = resolve_in_editor(qtbot, dialog, lambda: w.definitions_window, DefinitionsEditor)
    both = editor.conflict_text.text()
    assert "Mine: three visits" in both and "Theirs: two visits" in both  # side by side
    assert editor.current is not None and editor.current["description"] == "Theirs: two visits"

    keep_version(qtbot, w, editor, choice)

    after = _sync(qtbot, w)
    assert (after.conflicts, after.waiting) == (0, 0)
    expected = "Mine: three visits" if choice == "mine" else "Theirs: two visits"
    assert _description(hub) == expected
    assert w.worker.run_sync(_description, w.engine) == expected
    editor.close()
