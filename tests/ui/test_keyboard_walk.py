"""Keyboard first (UX.md, issue 16): every dialog the app has opens with the focus on its first
input, Enter does its default action (or, with nothing entered, says in words what is missing)
and Esc closes it. One walk over all of them, each opened the way staff open it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton, QWidget

import clienteling.ui
from clienteling.engine.clock import FixedClock
from clienteling.ui.main_window import MainWindow
from tests.ui.support import open_jane

Open = Callable[..., MainWindow]
#: Generous: the machine is shared, and a wait that ends early costs nothing.
WALK_TIMEOUT = 20_000


@dataclass(frozen=True)
class Step:
    name: str                                   # the dialog's objectName
    open: Callable[[Any, MainWindow], None]     # as staff open it
    first: Callable[[QDialog], QWidget]         # where the focus must start
    enter_closes: bool = False                  # Enter's default action closes it (no input)
    #: What the dialog loads in the background before Enter can act on it (a loaded list).
    ready: Callable[[QDialog], bool] = lambda _d: True


def key(sequence: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
        ) -> Callable[[Any, MainWindow], None]:
    def press(qtbot: Any, w: MainWindow) -> None:
        w.activateWindow()  # back from the last dialog (offscreen Qt does not hand it back)
        qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=WALK_TIMEOUT)
        w.profile.benefits_view.setFocus()  # where staff are between customers' requests
        qtbot.keyClick(w.profile.benefits_view, sequence, modifier)
    return press


def call(fn: Callable[[MainWindow], Any]) -> Callable[[Any, MainWindow], None]:
    return lambda _qtbot, w: fn(w)


def select(name: str, then: Callable[[MainWindow], Any]) -> Callable[[Any, MainWindow], None]:
    def run(_qtbot: Any, w: MainWindow) -> None:
        assert w.profile.select_benefit(name)
        then(w)
    return run


CTRL = Qt.KeyboardModifier.ControlModifier
ADMIN_WALK = [
    Step("aboutDialog", key(Qt.Key.Key_F1), lambda d: d.close_button, enter_closes=True),
    Step("newProfileDialog", key(Qt.Key.Key_N, CTRL), lambda d: d.first_input),
    Step("editProfileDialog", key(Qt.Key.Key_E, CTRL), lambda d: d.first_input,
         enter_closes=True),  # prefilled: Enter saves ("Nothing changed")
    Step("issueRewardDialog", key(Qt.Key.Key_I, CTRL), lambda d: d.amount),
    Step("redeemRewardsDialog", key(Qt.Key.Key_R, CTRL), lambda d: d.amount),
    Step("checkoutDialog", key(Qt.Key.Key_K, CTRL), lambda d: d.sku),
    Step("issueBenefitDialog", call(lambda w: w.profile.commands.issue_benefit()),
         lambda d: d.definition_field, enter_closes=True,
         ready=lambda d: d.definition_field.count() > 0),  # the list loads off the UI thread
    Step("extendBenefitDialog", select("VIP Lounge", lambda w: w.profile.commands.extend_selected()),
         lambda d: d.days, enter_closes=True),
    # Move… (B6; VIP Lounge made reassignable for the walk): Enter with no customer picked
    # says so under the search field.
    Step("reassignBenefitDialog", select("VIP Lounge", lambda w: w.profile.reassign_button.click()),
         lambda d: d.search),
    Step("confirmDialog", select("Free Alterations", lambda w: w.profile.commands.expire_selected()),
         lambda d: d.findChild(QPushButton, "confirmButton"), enter_closes=True),
    Step("deleteBenefitDialog", select("VIP Lounge", lambda w: w.profile.commands.delete_selected()),
         lambda d: d.expire_button, enter_closes=True),  # Enter: "Expire instead" (B5)
    Step("conflictsDialog", call(lambda w: w.open_conflicts()), lambda d: d.close_button,
         enter_closes=True),
    Step("connectDialog", call(lambda w: w.open_hub_connection()), lambda d: d.url_field),
]


def _dialog(qtbot: Any, name: str) -> QDialog:
    found: list[QDialog] = []

    def visible() -> bool:
        found[:] = [d for d in QApplication.topLevelWidgets()
                    if isinstance(d, QDialog) and d.objectName() == name and d.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=WALK_TIMEOUT)
    return found[0]


def _gone(dialog: QDialog) -> bool:
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def _says_something(dialog: QDialog) -> bool:
    """A message in words: the form's message line, or an error under a field."""
    return any(label.isVisible() and label.text().strip() and (
        label.objectName() == "formMessage" or label.property("fieldError"))
        for label in dialog.findChildren(QLabel))


def _check(qtbot: Any, w: MainWindow, step: Step) -> None:
    step.open(qtbot, w)
    dialog = _dialog(qtbot, step.name)
    first = step.first(dialog)
    assert first is not None, step.name
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first, timeout=WALK_TIMEOUT)
    qtbot.waitUntil(lambda: step.ready(dialog), timeout=WALK_TIMEOUT)

    # Enter: the default action, or (nothing typed) a message naming what is missing.
    qtbot.keyClick(first, Qt.Key.Key_Return)
    if step.enter_closes:
        qtbot.waitUntil(lambda: _gone(dialog), timeout=WALK_TIMEOUT)
        return
    qtbot.waitUntil(lambda: _gone(dialog) or _says_something(dialog), timeout=WALK_TIMEOUT)
    assert not _gone(dialog), f"{step.name}: Enter with nothing entered closed it"

    # Esc: cancels.
    qtbot.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: _gone(dialog), timeout=WALK_TIMEOUT)


def _make_reassignable(w: MainWindow) -> None:
    """VIP Lounge may move to another customer, so Move… opens (its button is off otherwise)."""
    assert w.actor is not None
    vip = w.engine.definitions.benefit_definition("vip-lounge")
    w.engine.definitions.update_benefit_definition(w.actor, vip.id, {"is_reassignable": True})


def test_every_dialog_starts_on_its_first_input_takes_enter_and_closes_on_esc(
        open_window: Open, qtbot: Any) -> None:
    w = open_window("ada")
    w.worker.run_sync(_make_reassignable, w)
    open_jane(qtbot, w)
    for step in ADMIN_WALK:
        _check(qtbot, w, step)


def test_an_associates_manager_override_starts_on_the_pin(open_window: Open, qtbot: Any) -> None:
    w = open_window("ava")
    open_jane(qtbot, w)
    _check(qtbot, w, Step("managerOverrideDialog", key(Qt.Key.Key_I, CTRL), lambda d: d.pin))


def test_the_welcome_pages_connect_form(qtbot: Any, tmp_path: Path, clock: FixedClock) -> None:
    """A new till: "Connect to a hub" opens the form on the URL; Enter on it empty says so."""
    w = MainWindow.create(f"sqlite:///{tmp_path / 'till.db'}", clock=clock)
    with qtbot.waitActive(w):
        w.show()
        w.activateWindow()
    try:
        _check(qtbot, w, Step("firstRunDialog", call(lambda w: w.getting_ready.connect_button.click()),
                              lambda d: d.url_field))
    finally:
        w.close()


def test_the_reactions_editors_archive_question_takes_enter(open_window: Open, qtbot: Any) -> None:
    """The reactions editor's one dialog (issue 17): Archive…'s question, Enter archives."""
    from clienteling.ui.reactions.editor import ReactionsEditor

    w = open_window("ada")
    w.open_reactions_editor()
    editor = w.reactions_window
    assert isinstance(editor, ReactionsEditor)
    qtbot.waitUntil(lambda: editor.current is not None and bool(editor.current.get("id")),
                    timeout=WALK_TIMEOUT)
    ident = editor.current["id"]
    with qtbot.waitSignal(editor.saved, timeout=WALK_TIMEOUT):
        _check(qtbot, w, Step("confirmDialog", call(lambda _w: editor.ask_archive()),
                              lambda d: d.findChild(QPushButton, "confirmButton"),
                              enter_closes=True))
    assert w.worker.run_sync(lambda: w.engine.reactions.get(ident).archived)


#: The dialogs walked by the tests above, with how each is reached there.
WALKED = {step.name for step in ADMIN_WALK} | {"managerOverrideDialog", "firstRunDialog",
                                               "confirmDialog"}


def _dialog_names() -> dict[str, str]:
    """Every dialog the app defines (a QDialog subclass of clienteling.ui no other class
    extends), by the objectName(s) it sets, with its class for the message."""
    for module in pkgutil.walk_packages(clienteling.ui.__path__, "clienteling.ui."):
        importlib.import_module(module.name)
    found: dict[str, str] = {}
    todo = list(QDialog.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if not cls.__module__.startswith("clienteling.ui.") or cls.__subclasses__():
            continue  # Qt's own, or a base such as FormDialog
        names = re.findall(r'"(\w+Dialog)"', " ".join(re.findall(
            r"setObjectName\(([^)]*)\)", inspect.getsource(cls))))
        assert names, f"{cls.__qualname__} sets no objectName: the walk could not find it"
        found.update({name: cls.__qualname__ for name in names})
    return found


def test_the_walk_has_every_dialog_the_app_defines() -> None:
    """A dialog added later (a reactions or reports one, say) fails here until it is walked."""
    defined = _dialog_names()
    assert "reassignBenefitDialog" in defined and "editProfileDialog" in defined
    assert {name: cls for name, cls in defined.items() if name not in WALKED} == {}
