"""«Registro de accesos» (Administración): who viewed, created, modified, printed, exported
or imported which record, and when (issue #9, point 4).

Filters: from/to dates, user, action, kind of record and a person found by name or
document (the desk's person search). The table reads the log a page at a time as it
scrolls (``AuditLogModel``); F5 reads it again. «Exportar CSV…» writes the filtered log off
the GUI thread (formula-safe, and recorded as an export itself). Only roles with
``VIEW_AUDIT`` see it; the service refuses anyone else whatever the screen shows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.vocab import document_short_label
from oma_desktop.i18n import _, date_pattern, ngettext
from oma_desktop.services import audit
from oma_desktop.services.audit import AuditFilter
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission, denied
from oma_desktop.services.search import search_persons
from oma_desktop.services.session import Session
from oma_desktop.ui.administracion.log_models import (
    COL_ACTION,
    COL_DETAIL,
    COL_KIND,
    COL_PERSON,
    COL_USER,
    COL_WHEN,
    AuditLogModel,
)
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.tasks import Progress, TaskHandle, default_error_handler, run_job
from oma_desktop.ui.widgets.forms import CodeCombo
from oma_desktop.ui.widgets.person_page import shortcut

DEFAULT_DAYS = 30  # the tab opens on the last month
PERSON_HITS = 20


def ask_csv_path(parent: QWidget, suggested: Path) -> Path | None:
    """Where to save the CSV (a file dialog; tests replace this function)."""
    name, _chosen = QFileDialog.getSaveFileName(
        parent, _("Export the audit log"), str(suggested), _("CSV text, comma-separated (*.csv)"))
    if not name:
        return None
    path = Path(name)
    return path if path.suffix.lower() == ".csv" else path.with_suffix(".csv")


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


class AuditTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.handle: TaskHandle[Path] | None = None
        self._loaded = False
        today = today or dt.date.today()
        title = QLabel(_("Audit log"))
        title.setFont(scaled(title.font(), 1.3, bold=True))
        intro = QLabel(_(
            "Who viewed, created, modified, printed, exported or imported each record, and "
            "when. Entries cannot be changed or deleted; they are kept indefinitely, in the "
            "database and in its backups."))
        intro.setWordWrap(True)
        self.allowed = ctx.session.can(Permission.VIEW_AUDIT)

        self.since_edit = self._date_edit(today - dt.timedelta(days=DEFAULT_DAYS), _("From"))
        self.until_edit = self._date_edit(today, _("To"))
        self.user_combo = CodeCombo(
            audit.user_choices(ctx.session) if self.allowed else [], _("All users"))
        self.user_combo.setAccessibleName(_("User"))
        self.action_combo = CodeCombo(audit.action_choices(), _("All actions"))
        self.action_combo.setAccessibleName(_("Action"))
        self.kind_combo = CodeCombo(audit.entity_choices(), _("All kinds of record"))
        self.kind_combo.setAccessibleName(_("Kind of record"))
        self.person_edit = QLineEdit()
        self.person_edit.setPlaceholderText(_("Name or document, then Enter"))
        self.person_edit.setAccessibleName(_("Search person"))
        self.person_edit.returnPressed.connect(self.find_person)
        self.person_combo = CodeCombo([], _("All persons"))
        self.person_combo.setAccessibleName(_("Person"))
        self.person_combo.setMinimumContentsLength(28)
        self.clear_button = QPushButton(_("Clear &filters"))
        self.clear_button.clicked.connect(lambda: self.clear_filters())
        self.export_button = QPushButton(_("E&xport CSV…"))
        self.export_button.clicked.connect(lambda: self.export_csv())

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        for col, (text, widget) in enumerate((
                (_("&From"), self.since_edit), (_("&To"), self.until_edit),
                (_("&User"), self.user_combo), (_("&Action"), self.action_combo),
                (_("&Kind of record"), self.kind_combo))):
            label = QLabel(text)
            label.setBuddy(widget)
            grid.addWidget(label, 0, col)
            grid.addWidget(widget, 1, col)
        person_label = QLabel(_("&Person"))
        person_label.setBuddy(self.person_edit)
        grid.addWidget(person_label, 2, 0)
        person_row = QHBoxLayout()
        person_row.addWidget(self.person_edit, 1)
        person_row.addWidget(self.person_combo, 1)
        person_row.addWidget(self.clear_button)
        person_row.addStretch(0)
        person_row.addWidget(self.export_button)
        grid.addLayout(person_row, 3, 0, 1, 5)

        self.model = AuditLogModel(parent=self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setAccessibleName(_("Audit log"))
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        for column, sample in ((COL_WHEN, "00/00/0000 00:00 "), (COL_USER, "M" * 14),
                               (COL_ACTION, "Restauró una copia"), (COL_KIND, "Estado de derivación"),
                               (COL_PERSON, "M" * 17)):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 16)
        header.setSectionResizeMode(COL_DETAIL, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel()
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        shortcut(self, "F5", self.reload)
        if not self.allowed:
            for widget in (self.since_edit, self.until_edit, self.user_combo, self.action_combo,
                           self.kind_combo, self.person_edit, self.person_combo,
                           self.clear_button, self.export_button, self.table):
                widget.setEnabled(False)
            self.status.setText(str(denied(ctx.session.actor.role, Permission.VIEW_AUDIT)))
            return
        for combo in (self.user_combo, self.action_combo, self.kind_combo, self.person_combo):
            combo.currentIndexChanged.connect(lambda _i: self.reload())
        for edit in (self.since_edit, self.until_edit):
            edit.dateChanged.connect(lambda _d: self.reload())
        self.model.rowsInserted.connect(lambda *_a: self._count())

    def _date_edit(self, day: dt.date, name: str) -> QDateEdit:
        edit = QDateEdit(_qdate(day))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat(date_pattern())
        edit.setAccessibleName(name)
        return edit

    # --- filters ----------------------------------------------------------------------

    def filters(self) -> AuditFilter:
        since, until = _date(self.since_edit.date()), _date(self.until_edit.date())
        if until < since:
            since, until = until, since
        return AuditFilter(since=since, until=until, user_id=self.user_combo.value(),
                           action=self.action_combo.value(), entity=self.kind_combo.value(),
                           person_id=self.person_combo.value())

    def clear_filters(self, today: dt.date | None = None) -> None:
        today = today or dt.date.today()
        widgets = (self.since_edit, self.until_edit, self.user_combo, self.action_combo,
                   self.kind_combo, self.person_combo)
        for widget in widgets:
            widget.blockSignals(True)
        self.since_edit.setDate(_qdate(today - dt.timedelta(days=DEFAULT_DAYS)))
        self.until_edit.setDate(_qdate(today))
        for combo in (self.user_combo, self.action_combo, self.kind_combo, self.person_combo):
            combo.setCurrentIndex(0)
        self.person_edit.clear()
        for widget in widgets:
            widget.blockSignals(False)
        self.reload()

    def find_person(self) -> int:
        """Enter in the person box: fill the person list with the matches and pick the first."""
        text = self.person_edit.text().strip()
        hits = search_persons(self.ctx.session, text, limit=PERSON_HITS) if text else []
        self.person_combo.blockSignals(True)
        self.person_combo.clear()
        self.person_combo.addItem(_("All persons"), "")
        for hit in hits:
            doc = " ".join(p for p in (document_short_label(hit.document_type or "",
                                                             self.ctx.catalogs),
                                       hit.document_number or "") if p)
            self.person_combo.addItem(f"{hit.full_name} — {doc}" if doc else hit.full_name,
                                      hit.id)
        self.person_combo.setCurrentIndex(1 if hits else 0)
        self.person_combo.blockSignals(False)
        self.reload()
        if text and not hits:
            self.status.setText(_("Nobody matches «{text}».").format(text=text))
        return len(hits)

    # --- reading ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.allowed and not self._loaded:
            self.reload()

    def reload(self) -> None:
        if not self.allowed:
            return
        self._loaded = True
        session, filters = self.ctx.session, self.filters()
        self.model.set_fetch(
            lambda offset, limit: audit.audit_log(session, filters, limit=limit, offset=offset))
        self._count()

    def _count(self) -> None:
        n = self.model.rowCount()
        if n == 0:
            self.status.setText(_("No entries with these filters."))
        elif self.model.has_more():
            self.status.setText(ngettext(
                "{n} entry shown; scroll down to see older ones.",
                "{n} entries shown; scroll down to see older ones.", n).format(n=n))
        else:
            self.status.setText(ngettext("{n} entry.", "{n} entries.", n).format(n=n))

    # --- export -----------------------------------------------------------------------

    def export_csv(self, path: Path | None = None) -> TaskHandle[Path] | None:
        if self.handle is not None:
            return None
        if path is None:
            stamp = dt.date.today().isoformat()
            path = ask_csv_path(self, self.ctx.paths.exports / f"registro-de-accesos-{stamp}.csv")
            if path is None:
                return None
        target, filters = path, self.filters()

        def job(session: Session, _progress: Progress) -> Path:
            return audit.export_audit_log(session, target, filters)

        def finished(out: Path) -> None:
            self.handle = None
            self.export_button.setEnabled(True)
            self.status.setText(_("Audit log saved in {path}.").format(path=out))

        def failed(exc: BaseException) -> None:
            self.handle = None
            self.export_button.setEnabled(True)
            default_error_handler(self, exc)

        self.export_button.setEnabled(False)
        self.handle = run_job(self, self.ctx, job, finished, on_error=failed)
        return self.handle
