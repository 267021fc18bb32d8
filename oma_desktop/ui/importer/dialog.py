"""Archivo → Importar personas…: bring a casa's Excel/CSV list into the database.

A four-step wizard over :mod:`oma_desktop.services.importer`:

1. choose the file (and the sheet of a workbook);
2. say what each column holds (prefilled by ``guess_mapping``), and values for empty cells;
3. confirm the people consented to be registered and review the preview: counts and every
   row problem in Spanish. Any error keeps «Importar» disabled: nothing is imported until
   the list or the mapping is corrected;
4. a summary of what was imported.

Reading the file, building the preview and the import itself run on worker threads
(:mod:`oma_desktop.ui.tasks`), each with its own database connection; the import plans the
rows again on the worker (the database may have changed since the preview) and writes them
in one transaction: all or nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from oma_desktop import i18n
from oma_desktop.core.errors import OmaError
from oma_desktop.core.vocab import CHANNELS, label
from oma_desktop.i18n import _, current_language, ngettext
from oma_desktop.services import importer
from oma_desktop.services.context import AppContext
from oma_desktop.services.importer import (
    TARGET_FIELDS,
    ImportOptions,
    ImportPlan,
    ImportResult,
    Table,
    target_label,
)
from oma_desktop.services.session import Session
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.importer.models import (
    ISSUE_COL_KIND,
    ISSUE_COL_MESSAGE,
    MAP_COL_HEADER,
    MAP_COL_SAMPLES,
    MAP_COL_TARGET,
    PREVIEW_COL_ROW,
    PREVIEW_COL_STATUS,
    IssuesModel,
    MappingModel,
    PreviewModel,
    not_imported_label,
)
from oma_desktop.ui.tasks import Progress, TaskHandle, run_job, run_task
from oma_desktop.ui.widgets.forms import CodeCombo, SearchableCombo

PAGE_FILE = 0
PAGE_MAPPING = 1
PAGE_CONFIRM = 2
PAGE_SUMMARY = 3

FILE_FILTER_EXTENSIONS = "*.xlsx *.xlsm *.csv *.txt"
ERROR_STYLE = "color: #b71c1c;"
OK_STYLE = "color: #1b5e20;"
MUTED_STYLE = "color: #5f6368;"
WIZARD_SIZE = (1040, 660)
# above what any page needs, so QWizard never changes the limits while it is shown
WIZARD_MINIMUM = (860, 560)


# --------------------------------------------------------------------------- worker jobs
# Each returns the function run on the worker thread. The database jobs receive their own
# session from ``run_job`` (opened from the context, closed on the worker); none of them
# touches the GUI thread's session.


def read_job(path: Path, sheet: str | None) -> Callable[[Progress], Table]:
    def work(progress: Progress) -> Table:
        progress.report(0, 0, _("Reading the file…"))
        return importer.read_table(path, sheet)

    return work


@dataclass(frozen=True)
class PlanRequest:
    """Everything a worker needs to plan an import (plain data, safe across threads)."""

    table: Table
    mapping: dict[int, str]
    options: ImportOptions
    today: dt.date | None
    source: str = ""  # the file's name, kept with the possible duplicates sent to review


def _plan(session: Session, request: PlanRequest, progress: Progress) -> ImportPlan:
    def report(done: int, total: int) -> None:
        progress.raise_if_cancelled()
        progress.report(done, total, _("Checking row {done} of {total}…").format(
            done=i18n.format_number(done), total=i18n.format_number(total)))

    return importer.plan_import(
        session, request.table, request.mapping,
        consent_confirmed=True, today=request.today, options=request.options, progress=report,
        source=request.source,
    )


def plan_job(request: PlanRequest) -> Callable[[Session, Progress], ImportPlan]:
    """Plan the rows for the preview (read-only)."""

    def work(session: Session, progress: Progress) -> ImportPlan:
        return _plan(session, request, progress)

    return work


def import_job(request: PlanRequest) -> Callable[[Session, Progress], ImportResult]:
    """Plan again on fresh data and write everything in one transaction."""

    def work(session: Session, progress: Progress) -> ImportResult:
        plan = _plan(session, request, progress)
        progress.raise_if_cancelled()
        progress.report(0, 0, _("Saving… (this cannot be cancelled)"))
        return importer.commit_import(session, plan)

    return work


# --------------------------------------------------------------------------- helpers


def _label(text: str = "", style: str = "") -> QLabel:
    widget = QLabel(text)
    widget.setWordWrap(True)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    if style:
        widget.setStyleSheet(style)
    return widget


def _set_message(widget: QLabel, text: str, style: str) -> None:
    widget.setText(text)
    widget.setStyleSheet(style)
    widget.setAccessibleName(text)
    widget.setVisible(bool(text))


def _table_view(name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)
    view.setWordWrap(False)
    view.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.verticalHeader().setDefaultSectionSize(QFontMetrics(view.font()).height() + 12)
    view.horizontalHeader().setHighlightSections(False)
    return view


def target_combo(parent: QWidget | None = None) -> QComboBox:
    """"— do not import —", the person fields, a line, the consultation fields."""
    combo = QComboBox(parent)
    combo.addItem(not_imported_label(), "")
    group = "person"
    for target in TARGET_FIELDS:
        if target.group != group:
            combo.insertSeparator(combo.count())
            group = target.group
        combo.addItem(target_label(target.key), target.key)
    combo.setMaxVisibleItems(combo.count())
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


# --------------------------------------------------------------------------- page 1


class FilePage(QWizardPage):
    """Choose the CSV or Excel file (and the sheet); the file is read on a worker."""

    table_loaded = Signal(object)

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self._task: TaskHandle[Table] | None = None
        self._loaded: tuple[str, str | None] | None = None
        self._loading: tuple[str, str | None] | None = None
        self.setTitle(_("1. Choose the list"))
        self.setSubTitle(_(
            "Choose the Excel (.xlsx) or CSV file with the casa's list of people. Nothing is "
            "saved until the last step."))

        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("importPath")
        self.path_edit.setPlaceholderText(_("Write the file's path or choose it with Browse…"))
        self.path_edit.setClearButtonEnabled(True)
        self.path_edit.editingFinished.connect(self._path_edited)
        self.browse_button = QPushButton(_("&Browse…"))
        self.browse_button.clicked.connect(lambda: self.browse())
        path_label = QLabel(_("&File:"))
        path_label.setBuddy(self.path_edit)

        self.sheet_combo = QComboBox()
        self.sheet_combo.setObjectName("importSheet")
        self.sheet_combo.setMinimumWidth(240)
        self.sheet_combo.activated.connect(self._sheet_chosen)
        self.sheet_label = QLabel(_("&Sheet:"))
        self.sheet_label.setBuddy(self.sheet_combo)

        self.status_label = _label()
        self.status_label.setObjectName("fileStatus")
        self.status_label.setVisible(False)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setMaximumWidth(240)
        self.busy_bar.setVisible(False)

        tips = _label(_(
            "How the list should be: the first row has the column titles (a title line above "
            "them is fine); one person per row. A person attended several times may appear in "
            "several rows, one per consultation; they are registered only once. Importing the "
            "same list twice does not register anyone twice."), MUTED_STYLE)

        grid = QGridLayout()
        grid.addWidget(path_label, 0, 0)
        grid.addWidget(self.path_edit, 0, 1)
        grid.addWidget(self.browse_button, 0, 2)
        grid.addWidget(self.sheet_label, 1, 0)
        sheet_row = QHBoxLayout()
        sheet_row.addWidget(self.sheet_combo)
        sheet_row.addStretch(1)
        grid.addLayout(sheet_row, 1, 1, 1, 2)
        grid.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addSpacing(8)
        layout.addWidget(self.busy_bar)
        layout.addWidget(self.status_label)
        layout.addSpacing(16)
        layout.addWidget(tips)
        layout.addStretch(1)
        self._show_sheets([])

    # --- choosing -------------------------------------------------------------------

    def browse(self) -> QFileDialog:
        """Open the file chooser (window-modal, no nested event loop) and return it."""
        start = self.path_edit.text().strip() or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        dialog = QFileDialog(
            self, _("Choose the list to import"), start,
            _("Spreadsheets ({patterns})").format(patterns=FILE_FILTER_EXTENSIONS) + ";;"
            + _("All files (*)"),
        )
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(self.set_path)
        dialog.open()
        return dialog

    def set_path(self, path: str | Path) -> None:
        """Show ``path`` and read it (its first sheet for a workbook)."""
        self.path_edit.setText(str(path))
        self.load(str(path), None)

    def _path_edited(self) -> None:
        path = self.path_edit.text().strip()
        if path and (self._loaded is None or self._loaded[0] != path) and (
            self._loading is None or self._loading[0] != path
        ):
            self.load(path, None)

    def _sheet_chosen(self, index: int) -> None:
        sheet = self.sheet_combo.itemText(index)
        path = self.path_edit.text().strip()
        if path and (path, sheet) != self._loaded:
            self.load(path, sheet)

    def select_sheet(self, sheet: str) -> None:
        index = self.sheet_combo.findText(sheet)
        if index < 0:
            raise ValueError(sheet)
        self.sheet_combo.setCurrentIndex(index)
        self._sheet_chosen(index)

    # --- reading on a worker --------------------------------------------------------

    def load(self, path: str, sheet: str | None) -> None:
        if self._task is not None:
            self._task.cancel()
        self._loaded = None
        self._loading = (path, sheet)
        self._wizard.set_table(None)
        self.busy_bar.setVisible(True)
        _set_message(self.status_label, _("Reading the file…"), MUTED_STYLE)
        self.completeChanged.emit()
        key = (path, sheet)
        self._task = run_task(
            self, read_job(Path(path).expanduser(), sheet),
            lambda table: self._loaded_table(key, table),
            lambda exc: self._failed(key, exc),
        )

    def is_loading(self) -> bool:
        return self._loading is not None

    def _loaded_table(self, key: tuple[str, str | None], table: Table) -> None:
        if key != self._loading:
            return  # an older read finished after a newer one started
        self._loading = None
        self._loaded = (key[0], table.sheet or None)
        self.busy_bar.setVisible(False)
        self._show_sheets(table.sheet_names, table.sheet)
        rows = ngettext("{n} row", "{n} rows", len(table.rows)).format(
            n=i18n.format_number(len(table.rows)))
        columns = ngettext("{n} column", "{n} columns", len(table.headers)).format(
            n=len(table.headers))
        if table.sheet:
            text = _("Sheet «{sheet}» read: {rows} and {columns}.").format(
                sheet=table.sheet, rows=rows, columns=columns)
        else:
            text = _("File read: {rows} and {columns}.").format(rows=rows, columns=columns)
        if not table.rows:
            _set_message(self.status_label, _(
                "The list has titles but no rows to import. Choose another file or sheet."),
                ERROR_STYLE)
        else:
            _set_message(self.status_label, text, OK_STYLE)
            self._wizard.set_table(table)
        self.completeChanged.emit()
        self.table_loaded.emit(table)

    def _failed(self, key: tuple[str, str | None], exc: BaseException) -> None:
        if key != self._loading:
            return
        self._loading = None
        self.busy_bar.setVisible(False)
        if key[1] is None:
            self._show_sheets([])
        if isinstance(exc, OmaError):
            message = str(exc)
        else:
            message = _("The file could not be read ({error}). Check that it is an Excel or CSV "
                        "list and try again.").format(error=exc)
        _set_message(self.status_label, message, ERROR_STYLE)
        self.completeChanged.emit()

    def _show_sheets(self, names: list[str], current: str = "") -> None:
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.addItems(names)
        if current:
            self.sheet_combo.setCurrentText(current)
        self.sheet_combo.blockSignals(False)
        self.sheet_combo.setVisible(bool(names))
        self.sheet_label.setVisible(bool(names))

    def isComplete(self) -> bool:
        return self._loaded is not None and self._wizard.table is not None

    def initializePage(self) -> None:
        self.path_edit.setFocus()


# --------------------------------------------------------------------------- page 2


class MappingPage(QWizardPage):
    """What each column holds, prefilled from the titles; values for empty cells."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self._table: Table | None = None
        self.combos: list[QComboBox] = []
        self.setTitle(_("2. Say what each column holds"))
        self.setSubTitle(_(
            "The columns were assigned from their titles: check them and correct what is "
            "wrong. Columns marked «{none}» are left out.").format(none=not_imported_label()))

        self.model = MappingModel(self)
        self.model.mapping_changed.connect(self._mapping_changed)
        self.view = _table_view("mappingTable")
        self.view.setAccessibleName(_("Columns of the list"))
        self.view.setModel(self.model)
        self.view.verticalHeader().setDefaultSectionSize(
            max(QFontMetrics(self.view.font()).height() + 14, target_combo().sizeHint().height() + 4))
        self.view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from combo to combo
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)

        catalogs = wizard.ctx.catalogs
        lang = current_language()
        self.nationality_combo = SearchableCombo(i18n.countries())
        self.nationality_combo.setObjectName("defaultNationality")
        nationality_edit = self.nationality_combo.lineEdit()
        if nationality_edit is not None:
            nationality_edit.setPlaceholderText(_("— not given —"))
        self.doc_type_combo = CodeCombo(
            [(d.code, d.label(lang)) for d in catalogs.document_types], empty_label=_("— not given —"))
        self.topic_combo = CodeCombo(
            [(t.code, t.label(lang)) for t in catalogs.topics], empty_label=_("— not given —"))
        self.topic_combo.setObjectName("defaultTopic")
        self.channel_combo = CodeCombo([(code, label(CHANNELS, code)) for code, _m in CHANNELS])
        self.channel_combo.set_value(ImportOptions().default_channel)
        for combo in (self.nationality_combo, self.doc_type_combo, self.topic_combo,
                      self.channel_combo):
            combo.setMinimumWidth(200)
            combo.setMaximumWidth(320)
        self.nationality_combo.value_changed.connect(lambda _v: self._mapping_changed())
        for combo in (self.doc_type_combo, self.topic_combo, self.channel_combo):
            combo.currentIndexChanged.connect(lambda _i: self._mapping_changed())

        defaults = QGroupBox(_("When a cell is empty, use"))
        grid = QGridLayout(defaults)
        for i, (text, widget) in enumerate((
            (_("&Nationality:"), self.nationality_combo),
            (_("&Document type:"), self.doc_type_combo),
            (_("&Topic:"), self.topic_combo),
            (_("C&hannel:"), self.channel_combo),
        )):
            caption = QLabel(text)
            caption.setBuddy(widget)
            grid.addWidget(caption, i // 2, (i % 2) * 2)
            grid.addWidget(widget, i // 2, (i % 2) * 2 + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.problems_label = _label()
        self.problems_label.setObjectName("mappingProblems")

        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.problems_label)
        layout.addWidget(defaults)

    def initializePage(self) -> None:
        table = self._wizard.table
        if table is not None and table is not self._table:
            self._table = table
            self.model.set_table(table, importer.guess_mapping(table.headers))
            self._build_combos()
        QTimer.singleShot(0, self._focus_first_combo)  # after QWizard has placed the focus

    def _focus_first_combo(self) -> None:
        if self.combos and self.isVisible():
            self.combos[0].setFocus(Qt.FocusReason.TabFocusReason)

    def _build_combos(self) -> None:
        self.combos = []
        for row in range(self.model.rowCount()):
            combo = target_combo()
            combo.setObjectName(f"target_{row}")
            combo.setAccessibleName(_("Import column {column} as").format(
                column=self.model.index(row, MAP_COL_HEADER).data()))
            combo.setCurrentIndex(max(combo.findData(self.model.target(row)), 0))
            combo.currentIndexChanged.connect(
                lambda _i, r=row, c=combo: self.model.set_target(r, str(c.currentData() or "")))
            self.view.setIndexWidget(self.model.index(row, MAP_COL_TARGET), combo)
            self.combos.append(combo)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(MAP_COL_HEADER, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(MAP_COL_SAMPLES, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(MAP_COL_TARGET, QHeaderView.ResizeMode.Fixed)
        self.view.setColumnWidth(MAP_COL_HEADER, 220)
        widest = max((c.sizeHint().width() for c in self.combos), default=260)
        self.view.setColumnWidth(MAP_COL_TARGET, widest + 12)
        chain = [*self.combos, self.nationality_combo, self.doc_type_combo, self.topic_combo,
                 self.channel_combo]
        for first, second in itertools.pairwise(chain):  # top to bottom
            QWidget.setTabOrder(first, second)

    def set_column_target(self, header: str, key: str) -> None:
        """Choose ``key`` ('' to leave it out) for the column titled ``header``."""
        row = self.model.row_of_header(header)
        combo = self.combos[row]
        combo.setCurrentIndex(combo.findData(key))

    def options(self) -> ImportOptions:
        return ImportOptions(
            default_nationality=self.nationality_combo.value(),
            default_doc_type=self.doc_type_combo.value(),
            default_topic=self.topic_combo.value(),
            default_channel=self.channel_combo.value() or ImportOptions().default_channel,
        )

    def problems(self) -> list[str]:
        if self._table is None:
            return []
        return importer.check_mapping(self.model.headers(), self.model.mapping(), self.options())

    def _mapping_changed(self) -> None:
        problems = self.problems()
        if problems:
            _set_message(self.problems_label, "\n".join(problems), ERROR_STYLE)
        else:
            n = len(self.model.mapping())
            _set_message(self.problems_label, ngettext(
                "{n} column will be imported.", "{n} columns will be imported.", n).format(n=n),
                OK_STYLE)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self._table is not None and bool(self.model.mapping()) and not self.problems()


# --------------------------------------------------------------------------- page 3


class CountBox(QFrame):
    """A big number with its caption."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.number_label = QLabel("—")
        self.number_label.setFont(scaled(self.font(), 1.8, bold=True))
        self.number_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption_label = QLabel(caption)
        self.caption_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(0)
        layout.addWidget(self.number_label)
        layout.addWidget(self.caption_label)
        self.setAccessibleName(caption)

    def set_number(self, value: int | None, alert: bool = False) -> None:
        self.number_label.setText("—" if value is None else i18n.format_number(value))
        self.number_label.setStyleSheet(ERROR_STYLE if alert else "")
        self.setAccessibleDescription(self.number_label.text())


class ConfirmPage(QWizardPage):
    """Consent, counts and the row problems; «Importar» runs the import on a worker."""

    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self._plan_task: TaskHandle[ImportPlan] | None = None
        self._request: PlanRequest | None = None
        self.plan: ImportPlan | None = None
        self.import_task: TaskHandle[ImportResult] | None = None
        self._imported = False
        self.setTitle(_("3. Check and import"))
        self.setSubTitle(_(
            "This is what will be imported. Nothing is saved until you press «Import»."))
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("&Import"))

        self.busy_bar = QProgressBar()
        self.busy_bar.setObjectName("previewProgress")
        self.busy_bar.setFormat(_("Checking the rows… %p%"))
        self.busy_bar.setVisible(False)

        self.new_box = CountBox(_("new people"))
        self.existing_box = CountBox(_("already registered"))
        self.consultations_box = CountBox(_("consultations"))
        self.errors_box = CountBox(_("rows with errors"))
        counts = QHBoxLayout()
        for box in (self.new_box, self.existing_box, self.consultations_box, self.errors_box):
            counts.addWidget(box)

        self.details_label = _label(style=MUTED_STYLE)
        self.details_label.setObjectName("previewDetails")
        self.message_label = _label()
        self.message_label.setObjectName("previewMessage")
        f = self.message_label.font()
        f.setBold(True)
        self.message_label.setFont(f)

        self.issues_model = IssuesModel(self)
        self.issues_view = _table_view("issuesTable")
        self.issues_view.setAccessibleName(_("Problems found in the rows"))
        self.issues_view.setModel(self.issues_model)
        self.issues_view.verticalHeader().setVisible(False)
        header = self.issues_view.horizontalHeader()
        header.setSectionResizeMode(ISSUE_COL_KIND, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ISSUE_COL_MESSAGE, QHeaderView.ResizeMode.Stretch)

        self.preview_model = PreviewModel(self)
        self.preview_view = _table_view("previewTable")
        self.preview_view.setAccessibleName(_("First rows as they will be imported"))
        self.preview_view.setModel(self.preview_model)
        self.preview_view.verticalHeader().setVisible(False)
        self.preview_view.horizontalHeader().setStretchLastSection(True)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.issues_view, _("Problems"))
        self.tabs.addTab(self.preview_view, _("Preview"))

        self.consent_check = QCheckBox(_(
            "I confirm that the people on this list agreed to have their data registered by "
            "the Municipality (consent to register)."))
        self.consent_check.setObjectName("consentCheck")
        self.consent_check.toggled.connect(lambda _c: self.completeChanged.emit())

        layout = QVBoxLayout(self)
        layout.addWidget(self.busy_bar)
        layout.addLayout(counts)
        layout.addWidget(self.details_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.consent_check)

    # --- preview --------------------------------------------------------------------

    def initializePage(self) -> None:
        self._imported = False
        self._set_plan(None)
        self._request = self._wizard.plan_request()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setVisible(True)  # its text says "Checking the rows…"
        _set_message(self.message_label, "", MUTED_STYLE)
        if self._plan_task is not None:
            self._plan_task.cancel()
        request = self._request
        self._plan_task = run_job(
            self, self._wizard.ctx, plan_job(request),
            lambda plan: self._planned(request, plan),
            lambda exc: self._plan_failed(request, exc),
            on_progress=self._plan_progress,
        )
        self.consent_check.setFocus()

    def cleanupPage(self) -> None:  # Back: stop checking, the mapping may change
        if self._plan_task is not None:
            self._plan_task.cancel()
            self._plan_task = None
        self._request = None
        super().cleanupPage()

    def is_planning(self) -> bool:
        return self._plan_task is not None and self._plan_task.is_running()

    def _plan_progress(self, done: int, total: int, _label_text: str) -> None:
        if total > 0:
            self.busy_bar.setRange(0, total)
            self.busy_bar.setValue(done)

    def _planned(self, request: PlanRequest, plan: ImportPlan) -> None:
        if request is not self._request:
            return
        self.busy_bar.setVisible(False)
        self._set_plan(plan)

    def _plan_failed(self, request: PlanRequest, exc: BaseException) -> None:
        if request is not self._request:
            return
        self.busy_bar.setVisible(False)
        message = str(exc) if isinstance(exc, OmaError) else _(
            "The list could not be checked ({error}).").format(error=exc)
        _set_message(self.message_label, message, ERROR_STYLE)
        self.completeChanged.emit()

    def _set_plan(self, plan: ImportPlan | None) -> None:
        self.plan = plan
        if plan is None:
            for box in (self.new_box, self.existing_box, self.consultations_box, self.errors_box):
                box.set_number(None)
            self.details_label.clear()
            self.issues_model.set_issues([])
            self.preview_model.set_rows([])
            self.tabs.setTabText(0, _("Problems"))
            self.completeChanged.emit()
            return
        self.new_box.set_number(plan.new_persons)
        self.existing_box.set_number(plan.existing_persons)
        self.consultations_box.set_number(plan.consultations)
        errors = plan.rows_with_errors
        self.errors_box.set_number(errors, alert=errors > 0)
        self.details_label.setText(self._details(plan))
        self.issues_model.set_issues(plan.issues)
        self.preview_model.set_rows(plan.preview())
        self.preview_view.resizeColumnsToContents()
        self.preview_view.setColumnWidth(PREVIEW_COL_STATUS,
                                         min(self.preview_view.columnWidth(PREVIEW_COL_STATUS), 200))
        self.preview_view.setColumnWidth(PREVIEW_COL_ROW,
                                         max(self.preview_view.columnWidth(PREVIEW_COL_ROW), 48))
        n_issues = len(plan.issues)
        self.tabs.setTabText(0, _("Problems ({n})").format(n=n_issues))
        if errors:
            _set_message(self.message_label, ngettext(
                "{n} row has errors, so nothing will be imported. Correct the spreadsheet, or go "
                "«Back» to change the columns or the values for empty cells, and try again.",
                "{n} rows have errors, so nothing will be imported. Correct the spreadsheet, or go "
                "«Back» to change the columns or the values for empty cells, and try again.",
                errors).format(n=errors),
                ERROR_STYLE)
            self.tabs.setCurrentIndex(0)
        elif plan.total_rows == 0:
            _set_message(self.message_label, _("The list has no rows to import."), ERROR_STYLE)
        else:
            warnings = plan.rows_with_warnings
            text = _("The list can be imported.")
            if warnings:
                text += " " + ngettext(
                    "Check the warning of {n} row before importing.",
                    "Check the warnings of {n} rows before importing.", warnings).format(n=warnings)
            _set_message(self.message_label, text, OK_STYLE)
            self.tabs.setCurrentIndex(0 if n_issues else 1)
        self.completeChanged.emit()

    @staticmethod
    def _details(plan: ImportPlan) -> str:
        parts = [ngettext("{n} row read", "{n} rows read", plan.total_rows).format(
            n=i18n.format_number(plan.total_rows))]
        if plan.repeated_rows:
            parts.append(ngettext(
                "{n} row repeats a person of an earlier row",
                "{n} rows repeat a person of an earlier row", plan.repeated_rows).format(
                    n=plan.repeated_rows))
        if plan.consultations_already:
            parts.append(ngettext(
                "{n} consultation was already registered",
                "{n} consultations were already registered", plan.consultations_already).format(
                    n=plan.consultations_already))
        if plan.empty_rows:
            parts.append(ngettext("{n} empty row skipped", "{n} empty rows skipped",
                                  plan.empty_rows).format(n=plan.empty_rows))
        return " · ".join(parts) + "."

    # --- import ---------------------------------------------------------------------

    def isComplete(self) -> bool:
        plan = self.plan
        return (
            plan is not None
            and plan.rows_with_errors == 0
            and plan.total_rows > 0
            and self.consent_check.isChecked()
            and not self.is_importing()
        )

    def is_importing(self) -> bool:
        return self.import_task is not None and self.import_task.is_running()

    def validatePage(self) -> bool:
        """«Import»: start the import; the wizard moves on when it has finished."""
        if self._imported:
            return True
        if not self.isComplete() or self._request is None:
            return False
        self.start_import()
        return False

    def start_import(self) -> None:
        assert self._request is not None
        self.import_task = run_job(
            self._wizard, self._wizard.ctx, import_job(self._request),
            self._import_done, self._import_failed, on_cancelled=self._import_cancelled,
            title=_("Importing people"),
            delay_ms=0,  # at once: the wizard takes no clicks while the import runs
        )
        self.completeChanged.emit()

    def _import_done(self, result: ImportResult) -> None:
        self._imported = True
        self._wizard.import_result = result
        self._wizard.imported.emit(result)
        self.completeChanged.emit()
        self._wizard.next()

    def _import_failed(self, exc: BaseException) -> None:
        if isinstance(exc, OmaError):
            message = str(exc)
        else:
            message = _("The import failed ({error}).").format(error=exc)
        _set_message(self.message_label, message + " " + _("Nothing was imported."), ERROR_STYLE)
        self.completeChanged.emit()

    def _import_cancelled(self) -> None:
        _set_message(self.message_label, _("Import cancelled. Nothing was imported."), ERROR_STYLE)
        self.completeChanged.emit()


# --------------------------------------------------------------------------- page 4


class SummaryPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(_("Import finished"))
        self.setSubTitle(_("The list was imported completely."))
        self.summary_label = _label()
        self.summary_label.setObjectName("importSummary")
        self.summary_label.setFont(scaled(self.font(), 1.15))
        hint = _label(_("The people imported can now be found in Attention and People."),
                      MUTED_STYLE)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(hint)
        layout.addStretch(1)

    def initializePage(self) -> None:
        result = self._wizard.import_result
        lines = result.summary_lines() if result is not None else []
        self.summary_label.setText("\n".join(f"• {line}" for line in lines))


# --------------------------------------------------------------------------- wizard


class ImportWizard(QWizard):
    """The four-step import; ``imported(ImportResult)`` is emitted when rows were saved."""

    imported = Signal(object)

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, today: dt.date | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today
        self.table: Table | None = None
        self.import_result: ImportResult | None = None
        self.setObjectName("importWizard")
        self.setWindowTitle(_("Import people from a list"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        for button, text in (
            (QWizard.WizardButton.BackButton, _("< &Back")),
            (QWizard.WizardButton.NextButton, _("&Next >")),
            (QWizard.WizardButton.CommitButton, _("&Import")),
            (QWizard.WizardButton.FinishButton, _("&Finish")),
            (QWizard.WizardButton.CancelButton, _("Cancel")),
        ):
            self.setButtonText(button, text)
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.confirm_page = ConfirmPage(self)
        self.summary_page = SummaryPage(self)
        for page_id, page in ((PAGE_FILE, self.file_page), (PAGE_MAPPING, self.mapping_page),
                              (PAGE_CONFIRM, self.confirm_page), (PAGE_SUMMARY, self.summary_page)):
            self.setPage(page_id, page)
        self.setStartId(PAGE_FILE)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._fit_to_screen()

    def _fit_to_screen(self) -> None:
        self.setMinimumSize(*WIZARD_MINIMUM)
        width, height = WIZARD_SIZE
        screen = self.screen()
        if screen is not None:
            free = screen.availableGeometry()
            width = min(width, free.width() - 16)
            height = min(height, free.height() - 48)
        self.resize(width, height)

    def set_table(self, table: Table | None) -> None:
        self.table = table

    def plan_request(self) -> PlanRequest:
        assert self.table is not None
        return PlanRequest(
            table=self.table,
            mapping=self.mapping_page.model.mapping(),
            options=self.mapping_page.options(),
            today=self.today,
            source=Path(self.file_page.path_edit.text().strip()).name,
        )

    def reject(self) -> None:
        if self.confirm_page.is_importing():
            return  # the progress dialog's Cancelar is the way to stop an import
        super().reject()


def open_import_dialog(ctx: AppContext, parent: QWidget | None = None) -> ImportWizard:
    """Open the import wizard (window-modal, not blocking) and return it."""
    wizard = ImportWizard(ctx, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.setWindowModality(Qt.WindowModality.WindowModal)
    wizard.open()
    return wizard
