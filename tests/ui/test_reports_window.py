"""The Reports window (SPEC §5, §3.7, issue 18): an associate has no Reports menu; a manager
sees their own store's reports, computed on the engine worker (the ``open_window`` fixture
fails a test whose SQL ran on the GUI thread), with chart, table and CSV in agreement, a PDF,
and the last sync named."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from clienteling.engine.clock import FixedClock
from clienteling.engine.models import Profile, Reward, RewardDefinition, new_id
from clienteling.engine.services import Clienteling
from clienteling.engine.services.reports.tables import (
    EXPIRING_COLUMNS,
    LIABILITY_COLUMNS,
    REACTIONS_COLUMNS,
    REDEMPTIONS_COLUMNS,
    table,
    to_csv,
)
from clienteling.engine.services.sync_state import LAST_SYNCED
from clienteling.ui.main_window import MainWindow
from clienteling.ui.reports.chart_data import chart_data
from clienteling.ui.reports.window import (
    HEADINGS,
    WORDED_COLUMNS,
    ReportPage,
    cell_words,
    heading,
)
from tests.internals import database_of
from tests.ui.support import TIMEOUT, customer_owed_elsewhere, open_reports

Open = Callable[..., MainWindow]


def _another_stores_customer_owed(url: str, clock: FixedClock) -> str:
    """A customer of a second store with 77.00 reward dollars: a manager of the demo store
    must not see them."""
    with Clienteling.open(url, clock=clock) as cl:
        return customer_owed_elsewhere(cl)


def test_an_associate_sees_no_reports_menu(open_window: Open) -> None:
    w = open_window("ava")
    assert not w.reports_action.isVisible()
    assert w.reports_action not in [a for a in w.user_menu.actions() if a.isVisible()]
    w.open_reports()  # the shortcut too: nothing opens
    assert w.reports_window is None


def test_a_manager_sees_their_store_only_chart_table_and_csv_agree(
        open_window: Open, qtbot: Any, demo_url: str, clock: FixedClock, tmp_path: Path) -> None:
    other_store = _another_stores_customer_owed(demo_url, clock)
    w = open_window("max")
    assert w.reports_action.isVisible()
    window = open_reports(qtbot, w)
    manager = w.state.actor
    assert manager is not None

    liability = window.pages["liability"]
    assert liability.result is not None
    report = liability.result.report
    assert report.scope.store_id == manager.store_id != other_store
    assert liability.as_of.text().startswith(f"{report.scope.label} · computed on this till at")
    # The table is the engine's table, and that is the CSV, row for row.
    with Clienteling.open(demo_url, clock=clock) as cl:
        expected = cl.reports.liability(manager)
        chain = cl.reports.liability(cl.staff.actor(_staff_id(cl, "ada")))
    assert liability.result.table == table(expected)
    assert chain.total - expected.total == Decimal("77.00")  # the other store's, not shown
    header, rows = liability.result.table
    model = liability.model
    # The table's headings are words; the CSV (below) keeps the hub's keys.
    assert [model.headerData(i, _horizontal()) for i in range(len(header))] == [
        HEADINGS[key] for key in header]
    # The cells are the CSV's, a row's kind in words ("Reward dollars" for ``reward``).
    assert [tuple(model.display_text(r, c) for c in range(len(header)))
            for r in range(model.rowCount())] == [
        tuple(cell_words(v) if v and header[c] in WORDED_COLUMNS else v
              for c, v in enumerate(row)) for row in rows]
    chart = chart_data(report)
    assert sum((v for _, values in chart.series for v in values), Decimal("0.00")) == report.total

    out = tmp_path / "liability.csv"
    liability.export_csv(out)
    assert out.read_bytes().decode("utf-8") == to_csv(report)
    parsed = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8"))))
    assert tuple(parsed[0]) == header

    pdf = tmp_path / "liability.pdf"
    liability.save_pdf(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    # For the store meeting, with its chart: the page, read back with Qt's own PDF reader,
    # has the bars' colours on the chart's side (the table beside it is black on white).
    assert _coloured_share_left(pdf) > 0.002

    for kind in ("expiring", "redemptions", "reactions"):
        page = window.pages[kind]
        assert page.result is not None
        assert page.result.report.scope.store_id == manager.store_id


def test_the_reactions_tab_counts_this_stores_customers(
        open_window: Open, qtbot: Any, demo_url: str, clock: FixedClock) -> None:
    """What a reaction issued (RX5) to a customer of this store is on the Reactions tab, a
    customer of another store's is not; the chart, the table and the CSV say the same."""
    other_store = _another_stores_customer_owed(demo_url, clock)
    with Clienteling.open(demo_url, clock=clock) as cl:
        now = cl.now()
        with database_of(cl).write() as s:
            mine = s.scalars(select(Profile.id).where(Profile.home_store_id.is_not(None),
                                                      Profile.home_store_id != other_store)
                             .limit(1)).one()
            theirs = s.scalars(select(Profile.id).where(Profile.first_name == "Far")).one()
            definition = s.scalars(select(RewardDefinition.id).limit(1)).one()
            for pid, value in ((mine, "12.00"), (theirs, "30.00")):
                s.add(Reward(id=new_id(), profile_id=pid, reward_definition_id=definition,
                             value_initial=Decimal(value), value_remaining=Decimal(value),
                             issued_at=now, expires_at=now - timedelta(days=1),
                             timezone="Australia/Melbourne", source="reaction:ui-welcome",
                             created_at=now, updated_at=now))
            s.commit()
    w = open_window("max")
    window = open_reports(qtbot, w)
    page = window.pages["reactions"]
    assert page.result is not None
    report = page.result.report
    (line,) = [x for x in report.reactions if x.handle == "ui-welcome"]
    assert (line.issued, line.redeemed, line.expired_unused, line.reward_dollars) == (
        1, 0, 1, Decimal("12.00"))
    assert page.result.csv == to_csv(report)
    rows = page.result.table[1]
    assert ("reaction", "ui-welcome", "ui-welcome", "1", "0", "1", "12.00") in rows
    chart = chart_data(report)
    issued = dict(chart.series)["Issued"]
    assert sum(issued, Decimal(0)) == report.total.issued


def test_every_report_table_is_headed_in_words_and_its_csv_keeps_the_keys(
        open_window: Open, qtbot: Any) -> None:
    """UX: a manager reads "Expired unused", not ``expired_unused``; the CSV's header is still
    the hub's keys (SPEC §7 ``/reports``), so a spreadsheet built on it keeps working."""
    for key in {*LIABILITY_COLUMNS, *EXPIRING_COLUMNS, *REDEMPTIONS_COLUMNS, *REACTIONS_COLUMNS}:
        assert key in HEADINGS, key  # a new column needs its heading, not the fallback
        assert "_" not in HEADINGS[key] and HEADINGS[key][0].isupper(), HEADINGS[key]
    assert heading("a_newer_hubs_column") == "A newer hubs column"
    w = open_window("max")
    window = open_reports(qtbot, w)
    for kind, columns in (("liability", LIABILITY_COLUMNS), ("expiring", EXPIRING_COLUMNS),
                          ("redemptions", REDEMPTIONS_COLUMNS), ("reactions", REACTIONS_COLUMNS)):
        page = window.pages[kind]
        assert page.result is not None
        shown = [page.model.headerData(i, _horizontal()) for i in range(len(columns))]
        assert shown == [HEADINGS[key] for key in columns], kind
        assert next(csv.reader(io.StringIO(page.result.csv))) == list(columns), kind
        # What a row is reads as words too ("Total", not ``total``); the CSV keeps the key.
        worded = [i for i, key in enumerate(columns) if key in WORDED_COLUMNS]
        csv_rows = list(csv.reader(io.StringIO(page.result.csv)))[1:]
        for i in worded:
            cells = [page.model.data(page.model.index(r, i)) for r in range(len(csv_rows))]
            assert cells == [cell_words(row[i]) if row[i] else "" for row in csv_rows], kind
            assert all("_" not in c and (not c or c[0].isupper()) for c in cells), cells
    liability = window.pages["liability"]
    assert liability.model.data(liability.model.index(liability.model.rowCount() - 1, 0)) == "Total"
    # ... and is shown whole, not cut to "Re…".
    window.tabs.setCurrentWidget(liability)
    words = liability.table.fontMetrics().horizontalAdvance("Reward dollars")
    qtbot.waitUntil(lambda: liability.table.columnWidth(0) >= words, timeout=TIMEOUT)


def _drawn(page: ReportPage) -> tuple[list[str], dict[str, list[float]]]:
    """What the page's QChart shows: its categories and each bar set's values."""
    from PySide6.QtCharts import QBarCategoryAxis

    [series] = page.chart.series()
    [axis] = [a for a in page.chart.axes() if isinstance(a, QBarCategoryAxis)]
    return list(axis.categories()), {bar.label(): [bar.at(i) for i in range(bar.count())]
                                     for bar in series.barSets()}  # type: ignore[attr-defined]


def test_each_drawn_chart_shows_the_numbers_of_its_csv(
        open_window: Open, qtbot: Any, demo_url: str, clock: FixedClock) -> None:
    """Issue 18 "the chart, table and CSV agree", for all four reports: the bars drawn (not
    only the chart's data) are the CSV's numbers, category by category."""
    from clienteling.demo import JANE_CARD

    with Clienteling.open(demo_url, clock=clock) as cl:  # a redemption today, at this store
        jane = cl.profiles.find_scan(JANE_CARD).profile_id
        held = next(h for h in cl.benefits.for_profile(jane) if h.state.is_redeemable)
        cl.benefits.redeem(cl.staff.actor(_staff_id(cl, "max")), jane, held.benefit.id)
    w = open_window("max")
    window = open_reports(qtbot, w)
    rows: dict[str, list[dict[str, str]]] = {}
    for kind, page in window.pages.items():
        assert page.result is not None
        rows[kind] = list(csv.DictReader(io.StringIO(page.result.csv)))
        assert rows[kind], kind  # the demo has something in every report

    def numbers(values: list[str]) -> list[float]:
        return [float(Decimal(v)) for v in values]

    cats, bars = _drawn(window.pages["liability"])
    owed = [r for r in rows["liability"] if r["kind"] == "reward"]
    assert set(cats) == {r["expiry_month"] for r in owed}
    assert set(bars) == {r["reward_type"] for r in owed}
    for r in owed:
        assert bars[r["reward_type"]][cats.index(r["expiry_month"])] == float(
            Decimal(r["reward_dollars"])), r
    assert sum(sum(v) for v in bars.values()) == pytest.approx(float(Decimal(
        next(r["reward_dollars"] for r in rows["liability"] if r["kind"] == "total"))))

    cats, bars = _drawn(window.pages["expiring"])
    top = rows["expiring"][:len(cats)]
    assert cats == [f"{r['first_name']} {r['last_name']}" for r in top] and cats
    assert bars["Reward dollars"] == numbers([r["reward_dollars"] for r in top])
    assert bars["Benefits"] == numbers([r["benefits"] for r in top])

    cats, bars = _drawn(window.pages["redemptions"])
    buckets = [r for r in rows["redemptions"] if r["breakdown"] == "bucket"]
    assert cats == [r["key"] for r in buckets]
    assert bars["Reward dollars"] == numbers([r["reward_dollars"] for r in buckets])
    assert bars["Voided dollars"] == numbers([r["voided_dollars"] for r in buckets])
    assert bars["Benefit uses"] == numbers([r["benefit_uses"] for r in buckets])
    assert any(bars["Reward dollars"]) or any(bars["Benefit uses"])  # not an empty picture

    cats, bars = _drawn(window.pages["reactions"])
    lines = [r for r in rows["reactions"] if r["kind"] == "reaction"]
    assert cats == [r["name"] for r in lines]
    for label, key in (("Issued", "issued"), ("Redeemed", "redeemed"),
                       ("Expired unused", "expired_unused")):
        assert bars[label] == numbers([r[key] for r in lines]), label


def test_expiring_within_7_30_or_a_custom_number_of_days(open_window: Open, qtbot: Any) -> None:
    """Issue 18: the call list is for 7 days, 30 days (the default) or a custom number; the
    report computed is for the days chosen, and the custom box shows only for Custom."""
    w = open_window("max")
    window = open_reports(qtbot, w)
    page: ReportPage = window.pages["expiring"]
    assert page.result is not None and page.result.report.days == 30
    assert not page.custom_days.isVisibleTo(page)
    for index, days in ((0, 7), (2, 45)):
        page.days.setCurrentIndex(index)
        page.custom_days.setValue(45)
        assert page.custom_days.isVisibleTo(page) == (index == 2)
        with qtbot.waitSignal(page.loaded, timeout=TIMEOUT):
            page.refresh()
        assert page.result is not None and page.result.report.days == days
        assert page.chart.title().startswith(f"Expiring within {days} days")


def test_the_label_names_the_last_sync_and_a_bad_range_is_said_in_words(
        open_window: Open, qtbot: Any, demo_url: str, clock: FixedClock) -> None:
    with Clienteling.open(demo_url, clock=clock) as cl:
        # 13:05 in Melbourne (AEDT, UTC+11).
        cl.sync_state.put(LAST_SYNCED, (clock.now() + timedelta(hours=2, minutes=5)).isoformat())
    w = open_window("max")
    window = open_reports(qtbot, w)
    assert window.pages["liability"].as_of.text().endswith("as of the last sync 13:05")

    page: ReportPage = window.pages["redemptions"]
    page.end.setDate(page.start.date().addDays(-1))
    with qtbot.waitSignal(page.failed, timeout=TIMEOUT) as blocker:
        page.refresh()
    assert "To: ends" in blocker.args[0]
    assert page.message.text() == blocker.args[0]


def test_print_sends_the_page_to_the_printer_the_dialog_chose(
        open_window: Open, qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Print… (beside Save as PDF…) opens Qt's print dialog and prints the PDF's page on the
    printer chosen there; cancelling prints nothing. The dialog is stood in for by one that
    picks a PDF file as its printer, since no printer exists offscreen."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    from clienteling.ui.reports import window as window_module

    chosen = tmp_path / "printed.pdf"
    answers: list[QPrintDialog.DialogCode] = []

    class Chooser:
        DialogCode = QPrintDialog.DialogCode

        def __init__(self, printer: QPrinter, parent: Any) -> None:
            self.printer = printer

        def setWindowTitle(self, title: str) -> None:
            assert title == "Print report"

        def exec(self) -> QPrintDialog.DialogCode:
            self.printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            self.printer.setOutputFileName(str(chosen))
            return answers.pop(0)

    monkeypatch.setattr(window_module, "QPrintDialog", Chooser)
    w = open_window("max")
    liability = open_reports(qtbot, w).pages["liability"]
    assert liability.print_button.text() == "Print…" and liability.print_button.isEnabled()
    answers.append(QPrintDialog.DialogCode.Rejected)
    liability.print_button.click()
    assert not chosen.exists() and not answers
    answers.append(QPrintDialog.DialogCode.Accepted)
    liability.print_button.click()
    assert chosen.read_bytes().startswith(b"%PDF")
    assert _coloured_share_left(chosen) > 0.002  # the chart, as on the saved PDF


def _coloured_share_left(path: Path) -> float:
    """The share of strongly coloured pixels in the left half (where the chart is) of the
    PDF's one page, rendered by QtPdf."""
    from PySide6.QtCore import QSize
    from PySide6.QtPdf import QPdfDocument

    document = QPdfDocument()
    assert document.load(str(path)) == QPdfDocument.Error.None_
    assert document.pageCount() == 1
    image = document.render(0, QSize(800, 560))
    document.close()
    coloured = sum(1 for x in range(400) for y in range(560)
                   if image.pixelColor(x, y).hsvSaturation() > 120)
    return coloured / (400 * 560)


def _staff_id(cl: Clienteling, username: str) -> str:
    return next(s.id for s in cl.staff.list_staff() if s.username == username)


def _horizontal() -> Any:
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal
