"""Screenshots of the desktop app for the docs, made offscreen on a fresh demo database.

    python scripts/screenshots.py [--out docs/screenshots] [--only getting-ready,status-bar]

Writes signin.png, search.png, profile.png, claimable.png, edit-details.png, checkout.png,
conflicts.png,
issue-reward.png, redeem-rewards.png, report-liability.png, report-expiring.png,
report-redemptions.png and definitions-editor.png; getting-ready.png, status-bar.png and
connect-error.png (issue 16); reactions-editor.png and history-automatic.png (issue 17).
``--only`` makes just the named ones.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("CLIENTELING_THEME", "light")

from PySide6.QtCore import QEventLoop, QPoint, QTimer
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QWidget

from clienteling.demo import JANE_CARD, create_demo
from clienteling.engine.clock import FixedClock
from clienteling.engine.services import Clienteling
from clienteling.sync.cycle import CycleReport
from clienteling.sync.progress import Progress
from clienteling.ui import build_main_window
from clienteling.ui.app import ensure_application
from clienteling.ui.main_window import MainWindow
from clienteling.ui.operations.sync import GETTING_READY, Readiness
from clienteling.ui.sync.getting_ready import TOKEN_REFUSED
from clienteling.ui.sync.network import Outcome

# A Monday, 11:00 in Melbourne: the weekday timeframe is open, a birthday reward expires soon.
NOW = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
SIZE = (1280, 800)


def settle(ms: int = 150) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(condition: Callable[[], bool], timeout_ms: int = 5000) -> None:
    waited = 0
    while not condition():
        if waited > timeout_ms:
            raise TimeoutError("the app did not get there in time")
        settle(20)
        waited += 20


def save(widget: QWidget, out: Path, name: str) -> None:
    settle(120)
    path = out / name
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}")


def window(url: str, user: str, pin: str, clock: FixedClock) -> MainWindow:
    w = build_main_window(url, user, pin, clock=clock)
    w.resize(*SIZE)
    w.show()
    settle()
    return w


def open_jane(w: MainWindow) -> None:
    w.search.box.setText(JANE_CARD)
    w.search.submit()
    wait_for(lambda: w.profile.customer == "Jane Citizen")


def refuse_redemptions(cl: Clienteling) -> None:
    """Stage what the sync pusher does when the hub refuses a change (there is no hub here)."""
    # Through the outbox service, as the pusher does: claim (in flight), then the refusal.
    for item in cl.outbox.claim_next(100):
        if item.path.endswith("/redeem"):
            cl.outbox.mark_conflict(item.seq, "exhausted", "exhausted: this benefit has no "
                                    "redemptions left on the hub (another till redeemed it first)")
        else:
            cl.outbox.unclaim(item.seq)


def _report(*, online: bool, waiting: int = 0, synced: datetime | None = None,
            token_rejected: bool = False) -> Outcome:
    return Outcome(CycleReport(pushed=0, pulled=0, conflicts=0, waiting=waiting, online=online,
                               synced_at=synced, error=None, token_rejected=token_rejected,
                               cancelled=False), "https://hub.example.com")


def getting_ready_shots(url: str, empty_url: str, out: Path, clock: FixedClock) -> None:
    """The getting-ready page and the status bar's states. Staged by hand (there is no hub
    here): the page and the bar are fed what a first sync and the cycles report."""
    from datetime import timedelta

    w = MainWindow.create(empty_url, clock=clock)
    wait_for(lambda: w.sync.last is not None)  # the start-up cycle (no hub) has ended
    w.sync.stop()
    w.resize(*SIZE)
    w.show()
    settle()
    w.stack.setCurrentWidget(w.getting_ready)
    w.state.timezone = "Australia/Melbourne"
    w.sync_status.set_readiness(Readiness(GETTING_READY, 25_000, 319_206, "Australia/Melbourne",
                                          True))
    w.getting_ready.show_running(25_000, 319_206)
    w.sync_status.show_progress(Progress("first_sync", 25_000, 319_206))
    save(w, out, "getting-ready.png")
    # The hub refused the till's token part-way: Resume, and Connect again… (issue 16).
    w.getting_ready.show_stopped(TOKEN_REFUSED, reconnect=True)
    save(w, out, "connect-again.png")
    w.close()

    w = MainWindow.create(url, clock=clock)
    wait_for(lambda: w.sync.last is not None)
    w.sync.stop()
    w.resize(*SIZE)
    w.show()
    settle()
    bar = w.statusBar()
    strips = [bar.grab()]  # a demo till: "Demo · not connected"
    status = w.sync_status
    status.show_outcome(_report(online=True, synced=NOW + timedelta(hours=6, minutes=16)))
    settle()
    strips.append(bar.grab())
    clock.set(NOW + timedelta(hours=6, minutes=2))
    status.show_outcome(_report(online=False, waiting=3))
    settle()
    strips.append(bar.grab())
    status.show_outcome(_report(online=False, waiting=3, token_rejected=True))
    settle()
    strips.append(bar.grab())
    clock.set(NOW)
    w.close()
    gap = 6
    sheet = QPixmap(max(p.width() for p in strips),
                    sum(p.height() for p in strips) + gap * (len(strips) - 1))
    sheet.fill(QColor("white"))
    painter = QPainter(sheet)
    y = 0
    for strip in strips:
        painter.drawPixmap(QPoint(0, y), strip)
        y += strip.height() + gap
    painter.end()
    path = out / "status-bar.png"
    if not sheet.save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}")


def connect_error_shot(url: str, out: Path, clock: FixedClock) -> None:
    """The Hub connection form after a URL nothing answers at: the check runs before anything
    is saved and says what is wrong under the field (issue 16)."""
    import socket

    from clienteling.ui.sync.connect_dialog import ConnectDialog

    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    w = window(url, "max", "731405", clock)
    dialog = ConnectDialog(w.state, w.sync, w)
    w.profile.open_dialog(dialog)
    dialog.url_field.setText(f"http://127.0.0.1:{port}")
    dialog.token_field.setText("clt_0123456789abcdef_not-a-real-token")
    dialog.submit()
    wait_for(lambda: bool(dialog.field_error("hub_url")), timeout_ms=20_000)
    settle()
    save(dialog, out, "connect-error.png")
    dialog.reject()
    w.close()


def example_reactions(cl: Clienteling) -> None:
    """A welcome benefit and a spend milestone, when the demo has no reactions of its own."""
    if cl.reactions.list():
        return
    ada = cl.staff.sign_in("ada", "905238")
    benefit = next(d for d in cl.definitions.benefit_definitions()
                   if d.is_published and not d.is_archived and d.is_assignable)
    rewards = [d for d in cl.definitions.reward_definitions() if d.is_published and not d.is_archived]
    reward = next((d for d in rewards if d.handle == "spend"), rewards[0])
    cl.reactions.create(ada, {"handle": "member-activation", "name": "Member Activation",
                              "trigger": {"type": "joined"}, "limit": "once", "enabled": True,
                              "effect": {"benefit_definition_id": benefit.id}})
    cl.reactions.create(ada, {"handle": "spend-500", "name": "Spend milestone $500",
                              "trigger": {"type": "spend_milestone", "threshold": "500.00"},
                              "effect": {"reward_definition_id": reward.id, "value": "10.00"},
                              "condition": {"in": [{"var": "tier"}, ["gold", "platinum"]]},
                              "limit": "once_per_year", "enabled": True})


def reactions_shots(url: str, out: Path, clock: FixedClock, names: set[str]) -> None:
    """The reactions editor after a dry run of an unsaved edit on the till's own data, and
    a new customer's History with the welcome benefit a reaction issued (issue 17)."""
    w = window(url, "ada", "905238", clock)
    w.worker.run_sync(example_reactions, w.engine)
    if "reactions-editor" not in names:
        w.close()
        return history_automatic_shot(url, out, clock)
    open_jane(w)
    w.open_reactions_editor()
    editor = w.reactions_window
    assert editor is not None
    editor.resize(*SIZE)
    wait_for(lambda: editor.model.rowCount() > 0  # type: ignore[attr-defined]
             and bool(editor.form.effect.choices))  # type: ignore[attr-defined]
    rows = editor.model.rows  # type: ignore[attr-defined]
    pick = next((r for r in rows if r.trigger.get("type") == "joined"), rows[0])
    editor.select(pick.id)  # type: ignore[attr-defined]
    wait_for(lambda: (editor.current or {}).get("id") == pick.id)  # type: ignore[attr-defined]
    # An edit not saved yet, tried on Jane and dry-run: gold and platinum members only.
    condition = editor.form.fields["condition"]  # type: ignore[attr-defined]
    condition.widget.set_text('{"in": [{"var": "tier"}, ["gold", "platinum"]]}')
    if condition.try_button is not None:
        condition.try_button.click()
    editor.dry_button.click()  # type: ignore[attr-defined]
    wait_for(lambda: editor.dry_result.isVisible())  # type: ignore[attr-defined]
    settle(200)
    box = editor.findChild(QWidget, "section_When")
    if box is not None:  # the trigger, the condition and the effect in view
        editor.form_scroll.verticalScrollBar().setValue(box.y())  # type: ignore[attr-defined]
    save(editor, out, "reactions-editor.png")
    editor.close()
    w.close()
    if "history-automatic" in names:
        history_automatic_shot(url, out, clock)


def history_automatic_shot(url: str, out: Path, clock: FixedClock) -> None:
    """A new customer's History: the welcome benefit "Issued … automatically" by its reaction."""
    from clienteling.ui.profile.tabs import HISTORY

    w = window(url, "ava", "4821", clock)
    ava = w.actor
    assert ava is not None
    created = w.worker.run_sync(lambda: w.engine.profiles.create(ava, {
        "first_name": "Mia", "last_name": "Nguyen", "email": "mia.nguyen@example.com"}))
    w.open_profile(created.id)
    wait_for(lambda: w.profile.customer == "Mia Nguyen")
    w.profile.tabs.setCurrentIndex(HISTORY)
    wait_for(lambda: any("automatically" in r.text for r in w.profile.history_model.rows))
    w.splitter.setSizes([300, SIZE[0] - 300])  # room for the History's words
    rows = w.profile.history_model.rows
    w.profile.history_view.selectRow(next(i for i, r in enumerate(rows) if "automatically" in r.text))
    save(w, out, "history-automatic.png")
    w.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs" / "screenshots"))
    parser.add_argument("--only", default="", help="comma-separated names: getting-ready "
                        "(and connect-again),"
                        "status-bar,connect-error,reactions-editor,history-automatic")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ensure_application()
    clock = FixedClock(NOW)
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        create_demo(url, profiles=2000, clock=clock)
        if not only or only & {"getting-ready", "status-bar"}:
            getting_ready_shots(url, f"sqlite:///{Path(folder) / 'empty.db'}", out, clock)
        if not only or "connect-error" in only:
            connect_error_shot(url, out, clock)
        shots = {"reactions-editor", "history-automatic"}
        if not only or only & shots:
            reactions_shots(url, out, clock, (only or shots) & shots)
        if only:
            return 0

        # Sign-in (the lock screen of a till at opening time).
        w = MainWindow.create(url, clock=clock)
        w.resize(*SIZE)
        w.show()
        wait_for(lambda: w.signin.model.rowCount() == 3)
        w.signin.select_user("ava")
        w.signin.pin.setText("48")
        save(w, out, "signin.png")
        w.close()

        # Search: results as you type.
        w = window(url, "ava", "4821", clock)
        w.search.box.setText("ja")
        w.search.search_now()
        wait_for(lambda: w.search.model.rowCount() > 5)
        w.search.view.selectRow(0)
        save(w, out, "search.png")

        # The profile panel: Jane Citizen, after redeeming one Free Alterations.
        w.search.box.setText("jane")
        w.search.search_now()
        wait_for(lambda: w.search.model.query == "jane" and w.search.model.rowCount() > 0)
        open_jane(w)
        w.profile.select_benefit("Free Alterations")
        w.profile.commands.redeem_selected()
        wait_for(lambda: "Redeemed" in w.profile.message.label.text())
        wait_for(lambda: any(r.pending for r in w.profile.benefits_model.rows))
        # Claim "10% off" so the claimable list shows one that is not available any more.
        w.profile.tabs.setCurrentIndex(1)
        claim = next(i for i, r in enumerate(w.profile.claimable_model.rows) if r.handle == "10offdemo")
        w.profile.claimable_view.selectRow(claim)
        w.profile.commands.claim_selected()
        wait_for(lambda: any(r.name.startswith("10% off") for r in w.profile.benefits_model.rows))
        wait_for(lambda: sum(r.claimable for r in w.profile.claimable_model.rows) == 2)
        w.profile.tabs.setCurrentIndex(0)
        w.profile.select_benefit("Free Alterations")
        w.profile.message.show_done("Redeemed Free Alterations · 1 of 3 left")
        save(w, out, "profile.png")
        w.profile.tabs.setCurrentIndex(1)
        w.profile.message.hide()
        save(w, out, "claimable.png")
        w.profile.tabs.setCurrentIndex(0)
        w.profile.message.hide()

        # Edit the customer's details (Ctrl+E), prefilled.
        w.profile.commands.edit_details()
        wait_for(lambda: w.active_dialog is not None and w.active_dialog.objectName() == "editProfileDialog")
        details = w.active_dialog
        assert details is not None
        details.fields["mobile_phone"].setText("0412 999 000")  # type: ignore[attr-defined]
        save(details, out, "edit-details.png")
        details.reject()
        wait_for(lambda: w.active_dialog is None)

        # Redeem reward dollars, with the draws shown before confirming.
        w.profile.commands.open_redeem_rewards()
        wait_for(lambda: w.active_dialog is not None)
        redeem = w.active_dialog
        assert redeem is not None
        redeem.amount.setText("30.00")  # type: ignore[attr-defined]
        wait_for(lambda: redeem.ready)  # type: ignore[attr-defined]
        save(redeem, out, "redeem-rewards.png")
        redeem.reject()
        wait_for(lambda: w.active_dialog is None)

        # The counter checkout: benefits, then reward dollars, per line, before confirming.
        w.profile.commands.open_checkout()
        wait_for(lambda: w.active_dialog is not None
                 and w.active_dialog.objectName() == "checkoutDialog")
        checkout = w.active_dialog
        assert checkout is not None
        checkout.add_line("JEAN-SLIM-32", "denim", 1, "129.95")  # type: ignore[attr-defined]
        checkout.add_line("TEE-CREW-M", "tops", 2, "39.95", full_price=False)  # type: ignore[attr-defined]
        checkout.add_line("GIFT-50", "gift_card", 1, "50.00")  # type: ignore[attr-defined]
        choices = checkout.choices  # type: ignore[attr-defined]
        choices.setData(choices.index(0, 0), 2, 10)  # tick the first benefit (CheckStateRole)
        checkout.reward_amount.setText("20.00")  # type: ignore[attr-defined]
        wait_for(lambda: checkout.confirm.isEnabled())  # type: ignore[attr-defined]
        save(checkout, out, "checkout.png")
        checkout.reject()
        wait_for(lambda: w.active_dialog is None)

        # Conflicts: the hub refused the Free Alterations redemption made above.
        w.worker.run_sync(refuse_redemptions, w.engine)
        w.sync_status.refresh()
        wait_for(lambda: w.sync_status.counts.conflicts > 0)
        w.sync_status.conflicts.click()
        wait_for(lambda: w.active_dialog is not None
                 and w.active_dialog.model.rowCount() > 0)  # type: ignore[attr-defined]
        conflicts = w.active_dialog
        assert conflicts is not None
        conflicts.resize(1040, 480)
        save(conflicts, out, "conflicts.png")
        conflicts.reject()
        w.close()

        # Issue a reward, as a manager (the cap beside the amount).
        w = window(url, "max", "731405", clock)
        open_jane(w)
        w.profile.commands.open_issue_reward()
        wait_for(lambda: w.active_dialog is not None
                 and w.active_dialog.definitions.rowCount() > 0)  # type: ignore[attr-defined]
        issue = w.active_dialog
        assert issue is not None
        issue.amount.setText("20.00")  # type: ignore[attr-defined]
        issue.reason.setText("Parcel arrived damaged")  # type: ignore[attr-defined]
        save(issue, out, "issue-reward.png")
        issue.reject()
        w.close()

        # The reports, as a manager: each a chart with its table (issue 18).
        w = window(url, "max", "731405", clock)
        w.open_reports()
        reports = w.reports_window
        assert reports is not None
        reports.resize(*SIZE)
        pages = reports.pages  # type: ignore[attr-defined]
        wait_for(lambda: all(page.result is not None for page in pages.values()))
        for kind, page in pages.items():
            reports.tabs.setCurrentWidget(page)  # type: ignore[attr-defined]
            settle(200)
            save(reports, out, f"report-{kind}.png")
        w.close()

        # The definitions editor, on the claim timeframe of a weekday offer.
        w = window(url, "ada", "905238", clock)
        open_jane(w)
        w.open_definitions_editor()
        editor = w.definitions_window
        assert editor is not None
        wait_for(lambda: editor.model.rowCount() > 0)  # type: ignore[attr-defined]
        editor.resize(*SIZE)
        editor.select("Weekday Denim 15% off")  # type: ignore[attr-defined]
        wait_for(lambda: (editor.current or {}).get("handle") == "weekday-denim")  # type: ignore[attr-defined]
        settle(200)
        box = editor.findChild(QWidget, "section_Claiming")
        if box is not None:
            editor.form_scroll.ensureWidgetVisible(box, 0, 0)  # type: ignore[attr-defined]
            bar = editor.form_scroll.verticalScrollBar()  # type: ignore[attr-defined]
            bar.setValue(box.y())
        field = editor.field("claim_condition")  # type: ignore[attr-defined]
        field.widget.set_text('{"==": [{"var": "attributes.favourite_category"}, "denim"]}')
        if field.try_button is not None:
            field.try_button.click()
        save(editor, out, "definitions-editor.png")
        w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
