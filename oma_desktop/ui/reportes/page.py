"""Reportes (issue #11, point 3): choose a report and its filters, generate it, read its
tables and charts, export it as PDF, Excel or CSV.

The report is built off the GUI thread (``services.reports.build_report`` on the job's own
session) while an inline progress bar runs and «Generar» waits; then its sections and
tables are listed on the left and the chosen table is shown with its chart (QtCharts) on
the right; «Notas y fuentes» closes the list. The filters may change meanwhile: the page
says the report shown no longer matches them until it is generated again.

Exports (``services.reports.write_report``: the acting role is checked, the export
recorded in the audit log) are written off the GUI thread too. «Versión para socios»
suppresses every cell under 5 people. A file that cannot be written is explained in
Spanish at the bottom of the page; the report stays on screen. The last folder used is
remembered in the data folder's settings.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCharts import QChartView
from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import N_, _, format_date, format_datetime, ngettext
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission
from oma_desktop.services.report_filter import ReportFilter
from oma_desktop.services.report_model import ReportDocument, Section, Table
from oma_desktop.services.session import Session
from oma_desktop.ui.models.report_model import ReportTableModel
from oma_desktop.ui.reportes.charts import build_chart
from oma_desktop.ui.tasks import Progress, TaskHandle, default_error_handler, run_job
from oma_desktop.ui.widgets.filter_bar import FilterBar

# (kind, label msgid) in the order of the list
KINDS: tuple[tuple[str, str], ...] = (
    ("general", N_("General")),
    ("laboral", N_("Labour diagnostic")),
    ("programas", N_("Social programmes")),
    ("5w", N_("R4V 5W")),
)
# (format, button label msgid, file dialog filter msgid, suffix)
FORMATS: tuple[tuple[str, str, str, str], ...] = (
    ("pdf", N_("PDF"), N_("PDF document (*.pdf)"), ".pdf"),
    ("xlsx", N_("Excel"), N_("Excel workbook (*.xlsx)"), ".xlsx"),
    ("csv", N_("CSV"), N_("CSV text, comma-separated (*.csv)"), ".csv"),
)
GENERATE_KEYS = ("Ctrl+Return", "Ctrl+Enter")
SETTINGS_FOLDER = "reports/last_folder"
ERROR_STYLE = "color: #b3261e;"
ITEM_ROLE = Qt.ItemDataRole.UserRole
# a table of this many columns or fewer is shown beside its chart, a wider one above it
SIDE_BY_SIDE_COLUMNS = 3
CONTENTS_WIDTH = 290  # the list of sections and tables

Builder = Callable[[Session, str, ReportFilter], ReportDocument]
# (session, document, path, format, partners) -> the path written
Exporter = Callable[[Session, ReportDocument, Path, str, bool], Path]


def build_report(session: Session, kind: str, flt: ReportFilter) -> ReportDocument:
    """The services' report builder (imported when first used)."""
    from oma_desktop.services.reports import build_report as build

    return build(session, kind, flt)


def export_report(session: Session, doc: ReportDocument, path: Path, fmt: str,
                  partners: bool) -> Path:
    """The services' export door (imported when first used): checks the role, writes the
    partner version when asked, records the export in the audit log."""
    from oma_desktop.services.reports import write_report

    return write_report(session, doc, path, fmt, partners=partners)


def ask_save_path(parent: QWidget, fmt: str, suggested: Path) -> Path | None:
    """Where to save the export (a file dialog; tests replace this function)."""
    _fmt, _label, file_filter, suffix = next(f for f in FORMATS if f[0] == fmt)
    name, _chosen = QFileDialog.getSaveFileName(parent, _("Export report"), str(suggested),
                                                _(file_filter))
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


def file_name(doc: ReportDocument, suffix: str) -> str:
    """``informe-general-2026-11-01-a-2026-11-30.pdf``: the title and period, plain ASCII."""
    plain = unicodedata.normalize("NFKD", doc.title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "informe"
    return (f"{slug}-{doc.period_from.isoformat()}-{_('to')}-"
            f"{doc.period_to.isoformat()}{suffix}").replace(" ", "-")


def error_text(exc: BaseException, path: Path | None = None) -> str | None:
    """The Spanish message for an error the user can act on (None: a bug)."""
    if isinstance(exc, OmaError):
        return str(exc)
    if isinstance(exc, OSError) and path is not None:
        from oma_desktop.services.export import file_error

        return str(file_error(path, exc))
    return None


class ReportsPage(QWidget):
    # the filter of the report shown, to see it on the map (the main window opens Mapa)
    map_requested = Signal(object)

    def __init__(self, ctx: AppContext, builder: Builder | None = None,
                 exporter: Exporter | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__()
        self.ctx = ctx
        self.builder: Builder = builder or build_report
        self.exporter: Exporter = exporter or export_report
        self.document: ReportDocument | None = None
        self.document_filter: ReportFilter | None = None
        self.generating: TaskHandle[ReportDocument] | None = None
        self.exporting: TaskHandle[Path] | None = None
        self.last_export: Path | None = None

        # --- the report and its filters --------------------------------------------------
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName(_("Report"))
        for kind, label in KINDS:
            self.kind_combo.addItem(_(label), kind)
        kind_label = QLabel(_("Report:"))
        kind_label.setBuddy(self.kind_combo)
        self.generate_button = QPushButton(_("Generate"))
        self.generate_button.setDefault(True)
        self.generate_button.setToolTip(_("Make the report with these filters (Ctrl+Enter)."))
        self.generate_button.clicked.connect(self.generate)
        for keys in GENERATE_KEYS:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(self.generate)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # the builder does not say how far it got
        self.busy_bar.setMaximumWidth(160)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        self.filter_bar = FilterBar(ctx.session, today=today)
        self.filter_bar.changed.connect(self._filters_changed)

        top = QHBoxLayout()
        top.addWidget(kind_label)
        top.addWidget(self.kind_combo)
        top.addWidget(self.generate_button)
        top.addWidget(self.busy_bar)
        top.addWidget(self.state_label, 1)

        # --- the document ----------------------------------------------------------------
        self.contents = QTreeWidget()
        self.contents.setHeaderHidden(True)
        self.contents.setAccessibleName(_("Contents of the report"))
        self.contents.setRootIsDecorated(False)
        self.contents.setIndentation(14)
        self.contents.setTextElideMode(Qt.TextElideMode.ElideRight)  # whole in the tooltip
        self.contents.currentItemChanged.connect(self._item_chosen)

        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        self.title_label.setTextFormat(Qt.TextFormat.RichText)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.intro_label = QLabel()
        self.intro_label.setWordWrap(True)
        self.table_title = QLabel()
        bold = QFont(self.table_title.font())
        bold.setBold(True)
        self.table_title.setFont(bold)
        self.table_title.setWordWrap(True)
        self.model = ReportTableModel(parent=self)
        self.table_view = QTableView()
        self.table_view.setModel(self.model)
        self.table_view.setAccessibleName(_("Table of the report"))
        self.table_view.verticalHeader().hide()
        self.table_view.verticalHeader().setDefaultSectionSize(
            self.table_view.fontMetrics().height() + 8)
        self.table_view.setAlternatingRowColors(True)
        self.table_view.setWordWrap(False)
        self.table_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table_note = QLabel()
        self.table_note.setWordWrap(True)
        self.chart_view = QChartView()
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(180)
        self.chart_view.hide()

        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.table_view, 1)
        table_layout.addWidget(self.table_note)
        self.table_split = QSplitter(Qt.Orientation.Vertical)
        self.table_split.addWidget(table_box)
        self.table_split.addWidget(self.chart_view)
        self.table_split.setChildrenCollapsible(False)
        self.table_split.setStretchFactor(0, 1)
        self.table_split.setStretchFactor(1, 1)

        self.notes_view = QTextBrowser()
        self.notes_view.setAccessibleName(_("Notes and sources"))
        self.empty_label = QLabel(_(
            "Choose the report, the period and the filters, then press «Generate» "
            "(Ctrl+Enter)."))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.table_split)
        self.stack.addWidget(self.notes_view)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.title_label)
        right_layout.addWidget(self.intro_label)
        right_layout.addWidget(self.table_title)
        right_layout.addWidget(self.stack, 1)
        self.body = QSplitter(Qt.Orientation.Horizontal)
        self.body.addWidget(self.contents)
        self.body.addWidget(right)
        self.body.setStretchFactor(0, 0)
        self.body.setStretchFactor(1, 1)
        self.body.setSizes([CONTENTS_WIDTH, 1366 - CONTENTS_WIDTH])
        self.body.setChildrenCollapsible(False)

        # --- exporting ---------------------------------------------------------------------
        self.export_buttons: dict[str, QPushButton] = {}
        export_row = QHBoxLayout()
        export_label = QLabel(_("Export the report:"))
        export_row.addWidget(export_label)
        for fmt, label, _filter, _suffix in FORMATS:
            button = QPushButton(_(label))
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, f=fmt: self.export(f))
            self.export_buttons[fmt] = button
            export_row.addWidget(button)
        self.partners_check = QCheckBox(_("Version for partners (suppresses cells under 5)"))
        self.partners_check.setToolTip(_(
            "Counts of 1 to 4 people are shown as «<5», so nobody can be recognised. Use it "
            "for anything given outside the Municipality."))
        export_row.addWidget(self.partners_check)
        self.export_label = QLabel()
        self.export_label.setWordWrap(True)
        self.export_label.setTextFormat(Qt.TextFormat.RichText)
        self.export_label.setOpenExternalLinks(False)
        self.export_label.linkActivated.connect(self._open_link)
        self.export_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        export_row.addWidget(self.export_label, 1)
        self.map_button = QPushButton(_("See on the map (Ctrl+M)"))
        self.map_button.setAutoDefault(False)
        self.map_button.setToolTip(_("Open Mapa with the period and filters of this report."))
        self.map_button.setEnabled(False)
        self.map_button.clicked.connect(self.show_on_map)
        QShortcut(QKeySequence("Ctrl+M"), self, self.show_on_map)
        export_row.addWidget(self.map_button)
        self.may_export = ctx.session.can(Permission.EXPORT_AGGREGATE)
        if not self.may_export:
            refusal = _("Your role may not export statistics.")
            for widget in (*self.export_buttons.values(), self.partners_check):
                widget.setToolTip(refusal)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.filter_bar)
        layout.addWidget(line)
        layout.addWidget(self.body, 1)
        layout.addLayout(export_row)
        self._enable()

    # --- generating --------------------------------------------------------------------------

    def kind(self) -> str:
        return str(self.kind_combo.currentData())

    def generate(self) -> TaskHandle[ReportDocument] | None:
        """Build the chosen report for the filters shown, off the GUI thread."""
        if self.generating is not None:
            return None
        kind, flt, builder = self.kind(), self.filter_bar.report_filter(), self.builder

        def job(session: Session, progress: Progress) -> ReportDocument:
            progress.report(0, 0, _("Generating the report…"))
            return builder(session, kind, flt)

        def done(doc: ReportDocument) -> None:
            self.generating = None
            self.show_document(doc, flt)
            self._enable()

        def failed(exc: BaseException) -> None:
            self.generating = None
            self._enable()
            self._fail(exc, self.state_label,
                       bug=_("Something went wrong: the report could not be made."))

        self.state_label.setStyleSheet("")
        self.state_label.setText(_("Generating the report…"))
        self.generating = run_job(self, self.ctx, job, done, on_error=failed)
        self._enable()
        return self.generating

    def show_on_map(self) -> None:
        """Ask for Mapa with the filter of the report shown (nothing before a report)."""
        if self.document_filter is not None:
            self.map_requested.emit(self.document_filter)

    def show_document(self, doc: ReportDocument, flt: ReportFilter | None = None) -> None:
        """Show ``doc`` (made with ``flt``): its contents on the left, its first table."""
        self.document = doc
        self.document_filter = flt
        self.map_button.setEnabled(flt is not None)
        period = _("{start} to {end}").format(start=format_date(doc.period_from),
                                              end=format_date(doc.period_to))
        parts = [f"<b>{_escape(doc.title)}</b>", _escape(doc.scope), _escape(period)]
        filters = "; ".join(doc.filters)
        self.title_label.setText(" · ".join(parts) + (
            f"<br><small>{_escape(_('Filters:'))} {_escape(filters)}</small>" if filters else ""))
        self.state_label.setStyleSheet("")
        tables = sum(len(s.tables) for s in doc.sections)
        self.state_label.setText(ngettext(
            "Generated on {when}: {n} table.", "Generated on {when}: {n} tables.", tables,
        ).format(when=format_datetime(doc.generated_at), n=tables))
        self.export_label.clear()
        self.contents.clear()
        first: QTreeWidgetItem | None = None
        for number, section in enumerate(doc.sections, start=1):
            head = QTreeWidgetItem([f"{number}. {section.title}"])
            head.setData(0, ITEM_ROLE, section)
            head.setToolTip(0, section.title)
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            self.contents.addTopLevelItem(head)
            for sub, table in enumerate(section.tables, start=1):
                item = QTreeWidgetItem([f"{number}.{sub} {table.title}"])
                item.setData(0, ITEM_ROLE, table)
                item.setToolTip(0, table.title)
                head.addChild(item)
                if first is None:
                    first = item
        notes = QTreeWidgetItem([_("Notes and sources")])
        notes.setData(0, ITEM_ROLE, "notes")
        self.contents.addTopLevelItem(notes)
        self.contents.expandAll()
        self._fill_notes(doc)
        self.contents.setCurrentItem(first or notes)

    def _fill_notes(self, doc: ReportDocument) -> None:
        lines = [f"<h3>{_escape(_('Notes and sources'))}</h3>"]
        if doc.notes:
            lines.append("<ul>" + "".join(f"<li>{_escape(n)}</li>" for n in doc.notes) + "</ul>")
        if doc.filters:
            lines.append(f"<p><b>{_escape(_('Filters:'))}</b> "
                         f"{_escape('; '.join(doc.filters))}</p>")
        lines.append("<p>" + _escape(_("Generated on {when}.").format(
            when=format_datetime(doc.generated_at))) + "</p>")
        self.notes_view.setHtml("".join(lines))

    def _item_chosen(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        what = None if item is None else item.data(0, ITEM_ROLE)
        if what == "notes":
            self.stack.setCurrentWidget(self.notes_view)
            self.intro_label.hide()
            self.table_title.hide()
            return
        self.table_title.show()
        section: Section | None = None
        if isinstance(what, Section):
            section = what
            what = what.tables[0] if what.tables else None
        elif isinstance(what, Table) and item is not None:
            head = item.parent()
            parent = None if head is None else head.data(0, ITEM_ROLE)
            section = parent if isinstance(parent, Section) else None
        self.intro_label.setText(section.intro if section is not None else "")
        self.intro_label.setVisible(bool(section is not None and section.intro))
        self.show_table(what if isinstance(what, Table) else None)

    def show_table(self, table: Table | None) -> None:
        self.stack.setCurrentWidget(self.table_split)
        self.model.set_table(table)
        self.table_title.setText("" if table is None else table.title)
        self.table_note.setText("" if table is None else table.note)
        self.table_note.setVisible(bool(table is not None and table.note))
        header = self.table_view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        chart = None if table is None else build_chart(table)
        if chart is None:
            self.chart_view.hide()
            return
        old = self.chart_view.chart()
        self.chart_view.setChart(chart)  # the view lets go of the previous chart
        if old is not None:
            old.deleteLater()
        self.chart_view.show()
        # a narrow table (a label and a count or two) beside its chart, which then has the
        # page's height for many categories; a wide one above it
        assert table is not None
        beside = len(table.columns) <= SIDE_BY_SIDE_COLUMNS
        self.table_split.setOrientation(
            Qt.Orientation.Horizontal if beside else Qt.Orientation.Vertical)
        whole = (self.table_split.width() if beside else self.table_split.height()) or 800
        if beside:
            wanted = self._table_width()
            self.table_split.setSizes([wanted, max(whole - wanted, 300)])
        else:
            wanted = min(self._table_height(), whole // 2)
            self.table_split.setSizes([wanted, whole - wanted])

    def _table_height(self) -> int:
        """The height the table needs to show every row (with its note)."""
        view = self.table_view
        rows = sum(view.rowHeight(i) for i in range(self.model.rowCount()))
        note = self.table_note.sizeHint().height() + 6 if self.table_note.isVisible() else 0
        return (rows + view.horizontalHeader().sizeHint().height() + 2 * view.frameWidth()
                + view.horizontalScrollBar().sizeHint().height() + note)

    def _table_width(self) -> int:
        """The width the table needs to show its columns whole."""
        view = self.table_view
        view.resizeColumnsToContents()
        columns = sum(view.columnWidth(i) for i in range(self.model.columnCount()))
        return columns + view.verticalScrollBar().sizeHint().width() + 2 * view.frameWidth() + 4

    def current_table(self) -> Table | None:
        return self.model.table

    def _filters_changed(self) -> None:
        if self.document is not None and self.generating is None:
            self.state_label.setStyleSheet("")
            self.state_label.setText(_(
                "The filters changed: the report shown is still the previous one. Press "
                "«Generate» to update it."))

    # --- exporting ---------------------------------------------------------------------------

    def _settings(self) -> QSettings:
        return QSettings(str(self.ctx.paths.settings), QSettings.Format.IniFormat)

    def export_folder(self) -> Path:
        """The last folder exported to (the data folder's exports/ the first time)."""
        value = self._settings().value(SETTINGS_FOLDER)
        folder = Path(str(value)) if value else self.ctx.paths.exports
        return folder if folder.is_dir() else self.ctx.paths.exports

    def export(self, fmt: str, path: Path | None = None) -> TaskHandle[Path] | None:
        """Ask where (unless ``path``), then write the report shown as ``fmt``."""
        doc = self.document
        if doc is None or self.exporting is not None or not self.may_export:
            return None
        suffix = next(f[3] for f in FORMATS if f[0] == fmt)
        if path is None:
            path = ask_save_path(self, fmt, self.export_folder() / file_name(doc, suffix))
            if path is None:
                return None
        self._settings().setValue(SETTINGS_FOLDER, str(path.parent))
        partners = self.partners_check.isChecked()
        target, exporter = path, self.exporter

        def job(session: Session, progress: Progress) -> Path:
            progress.report(0, 0, _("Saving the report…"))
            return exporter(session, doc, target, fmt, partners)

        def done(written: Path) -> None:
            self.exporting = None
            self.last_export = written
            self._enable()
            self.export_label.setStyleSheet("")
            self.export_label.setText(_("Saved as {file} in {folder}.").format(
                file=_escape(written.name), folder=_escape(str(written.parent)))
                + f' <a href="{QUrl.fromLocalFile(str(written)).toString()}">'
                + _escape(_("Open the file")) + "</a>")

        def failed(exc: BaseException) -> None:
            self.exporting = None
            self._enable()
            self._fail(exc, self.export_label, target,
                       bug=_("Something went wrong: the file was not saved. The report is still "
                             "here."))

        self.export_label.setStyleSheet("")
        self.export_label.setText(_("Saving {file}…").format(file=_escape(target.name)))
        self.exporting = run_job(self, self.ctx, job, done, on_error=failed)
        self._enable()
        return self.exporting

    def _open_link(self, link: str) -> None:
        QDesktopServices.openUrl(QUrl(link))

    # --- state ---------------------------------------------------------------------------------

    def _fail(self, exc: BaseException, label: QLabel, path: Path | None = None, *,
              bug: str) -> None:
        message = error_text(exc, path)
        if message is None:  # a bug: the error dialog, and a word on the page
            label.setStyleSheet(ERROR_STYLE)
            label.setText(bug)
            default_error_handler(self, exc)
            return
        label.setStyleSheet(ERROR_STYLE)
        label.setText(_escape(message) if label.textFormat() == Qt.TextFormat.RichText
                      else message)

    def _enable(self) -> None:
        running = self.generating is not None
        self.generate_button.setEnabled(not running)
        self.kind_combo.setEnabled(not running)
        self.busy_bar.setVisible(running or self.exporting is not None)
        can_export = (self.may_export and self.document is not None and not running
                      and self.exporting is None)
        for button in self.export_buttons.values():
            button.setEnabled(can_export)
        self.partners_check.setEnabled(self.may_export)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
