"""The Reports window (SPEC §5, issue 18): liability, expiring soon, redemptions and reactions,
each a chart (QtCharts) with its table beside it, a CSV export (the hub's columns), and a PDF
or a printout for the store meeting. A manager's store is computed on the engine worker from
this till's own database and labelled with the last sync, since that is how current it is. An admin's chain is
asked of the hub on the network worker when the till is connected ("Chain, from the hub at
14:02"); when it is not, or the hub cannot be asked, it is this till's copy, and the label says
so and why."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QMarginsF, QPoint, Qt, Signal
from PySide6.QtGui import QPageLayout, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clienteling.engine.errors import ValidationError
from clienteling.engine.permissions import Action
from clienteling.ui.common import formatting as fmt
from clienteling.ui.common.errors import describe
from clienteling.ui.common.rows_model import Column, RowsModel
from clienteling.ui.common.tables import make_table
from clienteling.ui.operations.reports import (
    LoadedReport,
    load_report,
    load_report_at_hub,
    load_report_here,
)
from clienteling.ui.reports.chart_data import ChartData, chart_data
from clienteling.ui.state import AppState

if TYPE_CHECKING:
    from clienteling.ui.sync.controller import SyncController

TITLES = {"liability": "Liability", "expiring": "Expiring soon", "redemptions": "Redemptions",
          "reactions": "Reactions"}
Row = tuple[str, ...]
#: The table's column headings in words. The CSV keeps its keys (``expired_unused``): they are
#: the hub's columns, read by spreadsheets and scripts; a person reading the table reads words.
HEADINGS = {
    "kind": "Kind", "expiry_month": "Expiry month", "reward_type": "Reward type",
    "definition_id": "Definition ID", "definition_name": "Definition",
    "reward_dollars": "Reward dollars", "instances": "Instances",
    "uses_outstanding": "Uses outstanding", "unlimited_instances": "Unlimited instances",
    "first_name": "First name", "last_name": "Last name", "email": "Email",
    "mobile_phone": "Mobile phone", "opted_out": "Opted out of contact", "rewards": "Rewards",
    "benefits": "Benefits", "first_expiry": "First expiry", "profile_id": "Profile ID",
    "breakdown": "Breakdown", "key": "Key", "name": "Name", "benefit_uses": "Benefit uses",
    "voided_uses": "Voided uses", "net_uses": "Net uses", "voided_dollars": "Voided dollars",
    "net_dollars": "Net dollars", "handle": "Handle", "issued": "Issued", "redeemed": "Redeemed",
    "expired_unused": "Expired unused",
}
#: What a row is (the CSV's ``kind`` and ``breakdown`` keys) and yes/no flags, in words in
#: the table; the CSV keeps the keys. A value this till does not know reads as words too.
CELL_WORDS = {
    "reward": "Reward dollars", "benefit": "Benefit", "total": "Total", "bucket": "Period",
    "staff": "Staff member", "benefit_definition": "Benefit definition",
    "reward_definition": "Reward definition", "reaction": "Reaction", "yes": "Yes", "no": "No",
}
#: The columns whose values are keys, not figures or names.
WORDED_COLUMNS = frozenset({"kind", "breakdown", "opted_out"})
NOT_CONNECTED = "this till is not connected to a hub"
HUB_UNREACHED = "the hub could not be reached at the last sync"


class ReportPage(QWidget):
    """One report: its parameters, chart and table; ``loaded`` once a result is shown,
    ``failed`` (the message) when the engine refused."""

    loaded = Signal()
    failed = Signal(str)

    def __init__(self, state: AppState, kind: str, parent: QWidget | None = None, *,
                 sync: SyncController | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"report_{kind}")
        self.state = state
        self.kind = kind
        self.sync = sync
        self.result: LoadedReport | None = None
        self._generation = 0  # a later Refresh wins over an answer still on its way

        controls = QHBoxLayout()
        self.days = QComboBox(self)
        self.days.setObjectName("daysChoice")
        self.custom_days = QSpinBox(self)
        self.custom_days.setObjectName("customDays")
        self.custom_days.setRange(1, 3660)
        self.custom_days.setValue(14)
        self.custom_days.setSuffix(" days")
        self.by = QComboBox(self)
        self.by.setObjectName("bucketChoice")
        self.start = QDateEdit(self)
        self.start.setObjectName("fromDate")
        self.end = QDateEdit(self)
        self.end.setObjectName("toDate")
        if kind == "expiring":
            self.days.addItems(["7 days", "30 days", "Custom"])
            self.days.setCurrentIndex(1)
            self.days.currentIndexChanged.connect(self._days_changed)
            controls.addWidget(QLabel("Expiring within", self))
            controls.addWidget(self.days)
            controls.addWidget(self.custom_days)
            self.custom_days.setVisible(False)
        if kind == "redemptions":
            self.by.addItems(["day", "week", "month"])
            today = fmt.local(state.engine.now(), state.timezone).date()
            for edit, day in ((self.start, date.fromordinal(today.toordinal() - 29)),
                              (self.end, today)):
                edit.setCalendarPopup(True)
                edit.setDisplayFormat("yyyy-MM-dd")
                edit.setDate(QDate(day.year, day.month, day.day))
            for label, widget in (("By", self.by), ("From", self.start), ("To", self.end)):
                controls.addWidget(QLabel(label, self))
                controls.addWidget(widget)
        unused: tuple[QWidget, ...] = (self.days, self.custom_days, self.by, self.start, self.end)
        for spare in unused:
            if controls.indexOf(spare) < 0:
                spare.hide()
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("refreshReport")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setObjectName("exportCsv")
        self.export_button.clicked.connect(self._ask_export)
        self.pdf_button = QPushButton("Save as PDF…", self)
        self.pdf_button.setObjectName("savePdf")
        self.pdf_button.clicked.connect(self._ask_pdf)
        self.print_button = QPushButton("Print…", self)
        self.print_button.setObjectName("printReport")
        self.print_button.clicked.connect(self._ask_print)
        controls.addStretch(1)
        for button in (self.refresh_button, self.export_button, self.pdf_button,
                       self.print_button):
            controls.addWidget(button)

        self.as_of = QLabel(self)
        self.as_of.setObjectName("asOf")
        self.message = QLabel(self)
        self.message.setObjectName("reportMessage")
        self.message.setWordWrap(True)

        self.chart = QChart()
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart_view = QChartView(self.chart, self)
        self.chart_view.setObjectName("reportChart")
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumWidth(420)
        self.model: RowsModel[Row] = RowsModel([], key=lambda row: "|".join(row), parent=self)
        self.table = make_table("reportTable", self.model, self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.chart_view)
        splitter.addWidget(self.table)
        splitter.setSizes([560, 520])

        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.as_of)
        layout.addWidget(self.message)
        layout.addWidget(splitter, 1)

    # -- computing --------------------------------------------------------------------------
    def _days_changed(self, index: int) -> None:
        self.custom_days.setVisible(index == 2)

    def chosen_days(self) -> int:
        return {0: 7, 1: 30}.get(self.days.currentIndex(), self.custom_days.value())

    def refresh(self) -> None:
        """Compute the report on the engine worker, or for an admin on a connected till ask the
        hub for the chain on the network worker; the GUI thread only draws the result."""
        actor = self.state.actor
        if actor is None or not self.state.allows(Action.VIEW_REPORTS):
            return
        self._generation += 1
        generation = self._generation
        start = _day(self.start.date()) if self.kind == "redemptions" else None
        end = _day(self.end.date()) if self.kind == "redemptions" else None
        options: dict[str, Any] = {"days": self.chosen_days(),
                                   "by": self.by.currentText() or "day", "start": start,
                                   "end": end}
        self.message.setText("Computing…")
        self.refresh_button.setEnabled(False)
        if not actor.may(Action.VIEW_CHAIN_REPORTS):  # a manager's store is the till's own
            self.state.worker.submit(
                load_report, self.state.engine, actor, self.kind, **options,
            ).then(lambda r: self._show_if(generation, r),
                   lambda e: self._refused_if(generation, e), owner=self)
            return
        problem = self.hub_problem()
        if problem is not None or self.sync is None or self.state.network is None:
            self._run_here(generation, problem or NOT_CONNECTED, options)
            return
        self.state.network.submit(
            load_report_at_hub, self.sync.link.report, self.state.engine, actor, self.kind,
            **options,
        ).then(lambda r: self._hub_answered(generation, r, options),
               lambda e: self._hub_failed(generation, e, options), owner=self)

    def hub_problem(self) -> str | None:
        """Why the hub is not asked, or None when the last sync cycle reached it."""
        last = self.sync.last if self.sync is not None else None
        if self.state.standalone or last is None or last.report is None:
            return NOT_CONNECTED
        return None if last.report.online else HUB_UNREACHED

    def _run_here(self, generation: int, problem: str, options: dict[str, Any]) -> None:
        actor = self.state.actor
        if actor is None:
            return
        self.state.worker.submit(
            load_report_here, self.state.engine, actor, self.kind, problem, **options,
        ).then(lambda r: self._show_if(generation, r),
               lambda e: self._refused_if(generation, e), owner=self)

    def _hub_answered(self, generation: int, result: LoadedReport | None,
                      options: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        if result is None:  # no hub or token any more
            self._run_here(generation, NOT_CONNECTED, options)
        else:
            self._show(result)

    def _hub_failed(self, generation: int, exc: BaseException,
                    options: dict[str, Any]) -> None:
        if generation != self._generation:
            return
        if isinstance(exc, ValidationError):  # the hub judged the parameters: say which
            self._refused(exc)
            return
        reason = getattr(exc, "message", "") or describe(exc).text
        self._run_here(generation, f"the hub could not be asked: {reason.rstrip('.')}", options)

    def _show_if(self, generation: int, result: LoadedReport) -> None:
        if generation == self._generation:
            self._show(result)

    def _refused_if(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._refused(exc)

    def _refused(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        text = describe(exc).text
        self.message.setText(text)  # a refusal in words, never an empty chart
        self.failed.emit(text)

    def _show(self, result: LoadedReport) -> None:
        self.refresh_button.setEnabled(True)
        self.result = result
        self.message.setText("")
        header, rows = result.table
        self.model = RowsModel([Column(heading(key), _cell(i, key)) for i, key in enumerate(header)],
                               key=lambda row: "|".join(row), parent=self)
        self.model.set_rows(rows)
        self.table.setModel(self.model)
        # The table is the CSV's; a column empty in every row (another kind's) is only hidden.
        for column in range(len(header)):
            self.table.setColumnHidden(column, all(not row[column] for row in rows))
        # Every column as wide as its words; the last shown takes the rest.
        widths = self.table.horizontalHeader()
        widths.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        widths.setStretchLastSection(True)
        self.as_of.setText(source_label(result))
        self._draw(chart_data(result.report))
        self.loaded.emit()

    def _draw(self, data: ChartData) -> None:
        chart = self.chart
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        chart.setTitle(data.title)
        series: QAbstractBarSeries
        if data.horizontal:
            series = QHorizontalBarSeries()
        else:
            series = QStackedBarSeries() if data.stacked else QBarSeries()
        for name, values in data.series:
            bar = QBarSet(name)
            # Bar heights are pixels: the exact Decimal amounts are in the table and the CSV.
            bar.append([float(v) for v in values])
            series.append(bar)
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append(list(data.categories))
        along, across = Qt.AlignmentFlag.AlignBottom, Qt.AlignmentFlag.AlignLeft
        if data.horizontal:
            along, across = across, along
        chart.addAxis(categories, along)
        series.attachAxis(categories)
        values_axis = QValueAxis()
        values_axis.setTitleText(data.value_title)
        chart.addAxis(values_axis, across)
        series.attachAxis(values_axis)
        # A stacked bar reaches the sum of its sets; an empty report still needs a scale.
        heights = [sum(float(values[i]) for _, values in data.series) if data.stacked
                   else max((float(values[i]) for _, values in data.series), default=0.0)
                   for i in range(len(data.categories))]
        values_axis.setRange(0.0, max([*heights, 1.0]))
        values_axis.applyNiceNumbers()

    # -- exporting --------------------------------------------------------------------------
    def export_csv(self, path: Path) -> None:
        """The report's CSV (the hub's columns) to ``path``."""
        if self.result is not None:
            path.write_text(self.result.csv, encoding="utf-8", newline="")

    def save_pdf(self, path: Path) -> None:
        """The chart and the table on one landscape page, for a store meeting."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(path))
        self.print_on(printer)

    def print_on(self, printer: QPrinter) -> None:
        """The page ``save_pdf`` writes, on ``printer`` (a PDF file or a printer the
        Print dialog chose): landscape, the chart and the table as they are shown."""
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        printer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
        painter = QPainter(printer)
        try:
            page = printer.pageLayout().paintRectPixels(printer.resolution())
            widget = self
            scale = min(page.width() / max(widget.width(), 1),
                        page.height() / max(widget.height(), 1))
            painter.scale(scale, scale)
            widget.render(painter, QPoint(0, 0))
        finally:
            painter.end()

    def _ask_export(self) -> None:
        if self.result is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Export CSV", f"{self.kind}.csv",
                                              "CSV files (*.csv)")
        if name:
            self.export_csv(Path(name))

    def _ask_pdf(self) -> None:
        if self.result is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save as PDF", f"{self.kind}.pdf",
                                              "PDF files (*.pdf)")
        if name:
            self.save_pdf(Path(name))

    def _ask_print(self) -> None:
        if self.result is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(f"{self.kind} report")
        printer.setPageOrientation(QPageLayout.Orientation.Landscape)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Print report")
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.print_on(printer)


def source_label(result: LoadedReport) -> str:
    """Where the numbers come from and how current they are: the hub's chain, the till's copy
    of the chain and why not the hub's, or a store computed on this till."""
    report = result.report
    tz = report.scope.timezone
    if result.from_hub:
        return f"Chain, from the hub at {fmt.local(report.as_of, tz):%H:%M}"
    synced = (None if result.last_synced_at is None
              else f"as of the last sync {fmt.local(result.last_synced_at, tz):%H:%M}")
    computed = f"{fmt.local(report.as_of, tz):%H:%M}"
    if result.hub_problem is not None and report.scope.store_id is None:
        return (f"Chain, from this till's copy {synced or f'computed at {computed}'} — "
                f"{result.hub_problem}")
    return f"{report.scope.label} · {synced or f'computed on this till at {computed}'}"


def heading(key: str) -> str:
    """A CSV column key as the table's heading in words. A key this till does not know (a
    newer hub's column) still reads as words rather than as a key."""
    return HEADINGS.get(key) or key.replace("_", " ").capitalize()


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def cell_words(value: str) -> str:
    """A row's kind (``benefit_definition``) or a flag (``yes``) as the table shows it."""
    return CELL_WORDS.get(value) or value.replace("_", " ").capitalize()


def _cell(i: int, key: str) -> Callable[[Row], str]:
    if key in WORDED_COLUMNS:
        return lambda row: cell_words(row[i]) if row[i] else ""
    return lambda row: row[i]


class ReportsWindow(QWidget):
    """The four reports as tabs; each computes when first shown and on Refresh."""

    def __init__(self, state: AppState, parent: QWidget | None = None, *,
                 sync: SyncController | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("reportsWindow")
        self.setWindowTitle("Reports")
        self.resize(1180, 700)
        self.tabs = QTabWidget(self)
        self.pages = {kind: ReportPage(state, kind, self, sync=sync) for kind in TITLES}
        for kind, page in self.pages.items():
            self.tabs.addTab(page, TITLES[kind])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.tabs)

    def refresh_all(self) -> None:
        for page in self.pages.values():
            page.refresh()
