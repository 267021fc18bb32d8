"""«Derechos sobre los datos» (a tab of Administración, ui/administracion/tabs.py): the
register of access, rectification, cancellation and opposition requests, overdue ones
first; and the retention review, where persons without activity for the retention period
are ticked and anonymised by a background job.

Everything goes through ``services.rights`` and ``services.anonymise``, which check the
acting user's permissions (coordinación handles requests; only administración
anonymises); the buttons a role may not use are disabled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import N_, _, format_date, ngettext
from oma_desktop.services import anonymise, rights
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission
from oma_desktop.services.session import Session
from oma_desktop.ui.derechos.dialogs import DeadlinesDialog, RequestDialog, RespondDialog
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.tasks import Progress, run_job

OVERDUE = QColor("#b71c1c")


def _item(text: str, data: Any = None) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
    if data is not None:
        item.setData(Qt.ItemDataRole.UserRole, data)
    return item


class RequestsTab(QWidget):
    COLUMNS = (N_("Due"), N_("Kind"), N_("Person or requester"), N_("Received"),
               N_("Channel"), N_("Status"))

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today
        self.dialog: QDialog | None = None
        self.requests: list[rights.RightsRequest] = []
        intro = QLabel(_(
            "Requests to see (access), correct (rectification), delete (cancellation) or stop "
            "a use (opposition) of personal data, Law No. 29733. Register each one the day "
            "it arrives: the due date is computed from it. Overdue requests come first."))
        intro.setWordWrap(True)
        self.summary = QLabel()
        self.open_only = QCheckBox(_("Only &pending"))
        self.open_only.setChecked(True)
        self.open_only.toggled.connect(lambda _on: self.reload())
        self.new_button = QPushButton(_("&New request…"))
        self.new_button.clicked.connect(lambda: self.new_request())
        self.respond_button = QPushButton(_("&Answer…"))
        self.respond_button.clicked.connect(lambda: self.respond())
        self.deadlines_button = QPushButton(_("&Deadlines…"))
        self.deadlines_button.clicked.connect(lambda: self.edit_deadlines())
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.open_only)
        top.addWidget(self.new_button)
        top.addWidget(self.respond_button)
        top.addWidget(self.deadlines_button)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([_(c) for c in self.COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName(_("Requests"))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemActivated.connect(lambda _item: self.respond())
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.detail)
        allowed = ctx.session.can(Permission.MANAGE_RIGHTS_REQUESTS)
        for button in (self.new_button, self.deadlines_button):
            button.setEnabled(allowed)
        self.reload()

    def reload(self) -> None:
        if not self.ctx.session.can(Permission.MANAGE_RIGHTS_REQUESTS):
            self.requests = []
            self.table.setRowCount(0)
            self.summary.setText(_("Your role does not handle these requests."))
            self._update_buttons()
            return
        today = self.today()
        everything = rights.list_requests(self.ctx.session, today)
        pending = [r for r in everything if r.open]
        overdue = sum(1 for r in pending if r.overdue(today))
        self.requests = pending if self.open_only.isChecked() else everything
        self.summary.setText(ngettext("{n} pending request", "{n} pending requests",
                                      len(pending)).format(n=len(pending))
                             + (" · " + ngettext("{n} overdue", "{n} overdue", overdue).format(
                                 n=overdue) if overdue else ""))
        self.summary.setStyleSheet("color: #b71c1c; font-weight: bold;" if overdue else "")
        self.table.setRowCount(len(self.requests))
        for row, req in enumerate(self.requests):
            due = format_date(req.due_on)
            if req.overdue(today):
                due = _("{date} (overdue {n} d)").format(date=due, n=-req.days_left(today))
            cells = [_item(due, req.id), _item(rights.kind_label(req.kind)),
                     _item(req.person_name), _item(format_date(req.received_on)),
                     _item(rights.channel_label(req.channel)),
                     _item(rights.status_label(req.status))]
            for column, cell in enumerate(cells):
                if req.overdue(today):
                    cell.setForeground(QBrush(OVERDUE))
                self.table.setItem(row, column, cell)
        if self.requests:
            self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> rights.RightsRequest | None:
        rows = self.table.selectionModel().selectedRows()
        return self.requests[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        req = self.selected()
        self.respond_button.setEnabled(req is not None)
        if req is None:
            self.detail.clear()
            return
        parts = [req.details] if req.details else []
        if req.response:
            parts.append(_("Answer ({when}, {who}): {text}").format(
                when=req.answered_at[:10], who=req.answered_by, text=req.response))
        self.detail.setText("\n".join(parts))

    def _open(self, dialog: QDialog) -> QDialog:
        self.dialog = dialog

        def finished(result: int) -> None:
            self.dialog = None
            if result == QDialog.DialogCode.Accepted:
                self.reload()
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog

    def new_request(self) -> QDialog | None:
        if self.dialog is not None:
            return None
        return self._open(RequestDialog(self.ctx, self, self.today()))

    def respond(self) -> QDialog | None:
        req = self.selected()
        if self.dialog is not None or req is None:
            return None
        return self._open(RespondDialog(self.ctx, req.id, self, self.today()))

    def edit_deadlines(self) -> QDialog | None:
        if self.dialog is not None:
            return None
        return self._open(DeadlinesDialog(self.ctx, self))


class RetentionTab(QWidget):
    """The retention review: who has had no activity for the period; tick and anonymise."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today
        self.confirm = self._ask  # replaced by tests
        self.candidates: list[anonymise.RetentionCandidate] = []
        self.reviewing = False
        self.allowed = ctx.session.can(Permission.ANONYMISE)
        intro = QLabel(_(
            "Personal data are kept only as long as needed (Law No. 29733, art. 8). The "
            "persons below have had no consultation, referral, call or change to their record "
            "for longer than the retention period. Tick those whose data are no longer needed "
            "and anonymise them: their names, documents, phones and notes are erased, and only "
            "figures for statistics remain."))
        intro.setWordWrap(True)
        self.years = QSpinBox()
        self.years.setRange(1, 100)
        self.years.setSuffix(_(" years"))
        self.years.setValue(anonymise.retention_years(ctx.session))
        self.years.setAccessibleName(_("Retention period"))
        self.save_years_button = QPushButton(_("Save &period"))
        self.save_years_button.clicked.connect(lambda: self.save_years())
        self.review_button = QPushButton(_("&Review"))
        self.review_button.clicked.connect(lambda: self.reload())
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Retention period after the last activity:")))
        row.addWidget(self.years)
        row.addWidget(self.save_years_button)
        row.addStretch(1)
        row.addWidget(self.review_button)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([_("Person"), _("Last activity"), _("What")])
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setAccessibleName(_("Persons to review"))
        self.summary = QLabel()
        self.tick_all_button = QPushButton(_("Tick &all"))
        self.tick_all_button.clicked.connect(lambda: self.tick_all())
        self.anonymise_button = QPushButton(_("A&nonymise the ticked…"))
        self.anonymise_button.clicked.connect(lambda: self.anonymise_ticked())
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.tick_all_button)
        bottom.addWidget(self.anonymise_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        for widget in (self.save_years_button, self.review_button, self.years,
                       self.tick_all_button, self.anonymise_button):
            widget.setEnabled(self.allowed)
        if not self.allowed:
            self.summary.setText(_("Only the casa's administration can anonymise."))

    def save_years(self) -> None:
        anonymise.set_retention_years(self.ctx.session, self.years.value())
        self.reload()

    def reload(self) -> None:
        """Look for the persons past the period off the GUI thread (every person's latest
        activity is read: seconds on a large database), then list them."""
        if not self.allowed or self.reviewing:
            return
        self.reviewing = True
        self.review_button.setEnabled(False)
        self.summary.setText(_("Reviewing…"))
        today = self.today()

        def work(session: Session, _progress: Progress) -> list[anonymise.RetentionCandidate]:
            return anonymise.retention_review(session, today)

        def finished() -> None:
            self.reviewing = False
            self.review_button.setEnabled(True)

        def done(found: list[anonymise.RetentionCandidate]) -> None:
            finished()
            self.show_candidates(found)

        def failed(exc: BaseException) -> None:
            finished()
            self.summary.setText(str(exc) if isinstance(exc, OmaError) else repr(exc))

        run_job(self, self.ctx, work, done, on_error=failed)

    def show_candidates(self, found: list[anonymise.RetentionCandidate]) -> None:
        self.candidates = found
        self.table.setRowCount(len(self.candidates))
        for row, c in enumerate(self.candidates):
            name = QTableWidgetItem(c.name or _("(no name)"))
            name.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                          | Qt.ItemFlag.ItemIsSelectable)
            name.setCheckState(Qt.CheckState.Unchecked)
            name.setData(Qt.ItemDataRole.UserRole, c.person_id)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, _item(format_date(c.last_activity)))
            self.table.setItem(row, 2, _item(c.what))
        self.summary.setText(ngettext(
            "{n} person without activity for more than {years} years",
            "{n} persons without activity for more than {years} years",
            len(self.candidates)).format(n=len(self.candidates), years=self.years.value()))

    def ticked(self) -> list[str]:
        out = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def tick_all(self) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None:
                item.setCheckState(Qt.CheckState.Checked)

    def _ask(self, count: int) -> bool:
        answer = QMessageBox.question(
            self, _("Anonymise"),
            ngettext("The personal data of {n} person will be erased for good. This cannot be "
                     "undone. Continue?",
                     "The personal data of {n} persons will be erased for good. This cannot be "
                     "undone. Continue?", count).format(n=count),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def anonymise_ticked(self) -> bool:
        ids = self.ticked()
        if not ids:
            self.summary.setText(_("Tick the persons to anonymise first."))
            return False
        if not self.confirm(len(ids)):
            return False

        def work(session: Session, progress: Progress) -> int:
            return anonymise.anonymise_many(session, ids, progress)

        def done(count: int) -> None:
            self.candidates = [c for c in self.candidates if c.person_id not in set(ids)]
            self.show_candidates(self.candidates)
            self.summary.setText(ngettext("{n} person anonymised.", "{n} persons anonymised.",
                                          count).format(n=count))

        def failed(exc: BaseException) -> None:  # those done before it stay anonymised
            self.summary.setText(str(exc) if isinstance(exc, OmaError) else repr(exc))

        run_job(self, self.ctx, work, done, on_error=failed, on_cancelled=self.reload,
                title=_("Anonymising…"))
        return True


class RightsPage(QWidget):
    """The two tabs, for Administración."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(parent)
        title = QLabel(_("Data-protection rights and retention"))
        title.setFont(scaled(title.font(), 1.3, bold=True))
        self.requests = RequestsTab(ctx, self, today)
        self.retention = RetentionTab(ctx, self, today)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.requests, _("&Requests"))
        self.tabs.addTab(self.retention, _("Retention re&view"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(title)
        layout.addWidget(self.tabs, 1)


class RightsDialog(QDialog):
    """The page in a window of its own (Administración shows it as a tab)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Data-protection rights and retention"))
        self.page = RightsPage(ctx, self, today)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.page)
        self.resize(1100, 640)

