"""«Incidentes de seguridad» (Administración): the register behind the 48-hour notice
(issue #9, point 4; the rule is in ``services/incidents.py``).

The list shows each incident with its notice deadline and state, overdue ones first and in
red; «Registrar incidente…» opens the form (title, when it was detected, what happened,
which data and how many persons, measures taken), «Marcar notificado…» records to whom and
when the notice went, «Cerrar» closes it. Only roles with ``MANAGE_INCIDENTS`` use it; the
service refuses anyone else.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.i18n import N_, _, date_pattern, ngettext
from oma_desktop.services import incidents
from oma_desktop.services.context import AppContext
from oma_desktop.services.incidents import Incident, IncidentInput
from oma_desktop.services.permissions import Permission, denied
from oma_desktop.ui.administracion.log_models import IncidentsModel
from oma_desktop.ui.changes import subscribe
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.widgets.forms import FieldErrors, submit
from oma_desktop.ui.widgets.person_page import shortcut

HELP = N_(
    "An incident that affects personal data (a lost USB stick or laptop, a shared "
    "password, a list sent to the wrong person, an intrusion) is notified to the "
    "National Authority for Personal Data Protection (ANPD), and a digital one also to "
    "the National Digital Security Centre (reporte.cnsd.gob.pe), within 48 hours of "
    "detecting it, even if it is already solved (D.S. 016-2024-JUS, art. 34). Tell the "
    "affected persons within the same 48 hours. Record every incident here, notified "
    "or not.")


def confirm(parent: QWidget, text: str) -> bool:
    """Ask yes/no (tests replace this function)."""
    answer = QMessageBox.question(parent, _("Security incidents"), text)
    return answer == QMessageBox.StandardButton.Yes


def _qdatetime(when: dt.datetime) -> QDateTime:
    return QDateTime.fromString(when.replace(second=0, microsecond=0).isoformat(),
                                Qt.DateFormat.ISODate)


def _datetime(value: QDateTime) -> dt.datetime:
    return dt.datetime.fromisoformat(value.toString(Qt.DateFormat.ISODate)[:16])


def _datetime_edit(when: dt.datetime, name: str) -> QDateTimeEdit:
    edit = QDateTimeEdit(_qdatetime(when))
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(f"{date_pattern()} HH:mm")
    edit.setAccessibleName(name)
    return edit


class IncidentDialog(QDialog):
    """Register an incident; the typed text stays when something must be corrected."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 now: dt.datetime | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.now = now
        self.incident_id: str | None = None
        self.setWindowTitle(_("Register a security incident"))
        self.errors = FieldErrors()
        self.title_edit = QLineEdit()
        self.title_edit.setAccessibleName(_("Title"))
        self.title_edit.setPlaceholderText(_("e.g. USB stick with the call list lost"))
        self.detected_edit = _datetime_edit(now or dt.datetime.now(), _("Detected on"))
        self.description_edit = QPlainTextEdit()
        self.description_edit.setAccessibleName(_("What happened"))
        self.data_edit = QLineEdit()
        self.data_edit.setAccessibleName(_("Data affected"))
        self.data_edit.setPlaceholderText(_("e.g. names, documents and phones"))
        self.persons_edit = QLineEdit()
        self.persons_edit.setAccessibleName(_("Persons affected"))
        self.persons_edit.setPlaceholderText(_("empty if not known yet"))
        self.persons_edit.setMaximumWidth(160)
        self.measures_edit = QPlainTextEdit()
        self.measures_edit.setAccessibleName(_("Measures taken"))
        for edit in (self.description_edit, self.measures_edit):
            edit.setTabChangesFocus(True)
            edit.setFixedHeight(edit.fontMetrics().lineSpacing() * 4 + 12)
        form = QFormLayout()
        form.addRow(_("&Title *"), self.errors.with_label("title", self.title_edit))
        form.addRow(_("&Detected on *"), self.errors.with_label("detected_at",
                                                               self.detected_edit))
        form.addRow(_("&What happened"), self.errors.with_label("description",
                                                               self.description_edit))
        form.addRow(_("D&ata affected"), self.errors.with_label("data_affected", self.data_edit))
        form.addRow(_("&Persons affected"), self.errors.with_label("persons_affected",
                                                                  self.persons_edit))
        form.addRow(_("&Measures taken"), self.errors.with_label("measures", self.measures_edit))
        deadline = QLabel(_("The notice is due 48 hours after the detection."))
        deadline.setWordWrap(True)
        self.message = QLabel()
        self.message.setStyleSheet("color: #b71c1c;")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(deadline)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    def collect(self) -> IncidentInput | None:
        text = self.persons_edit.text().strip()
        persons: int | None = None
        if text:
            try:
                persons = int(text.replace(",", "").replace(".", ""))
            except ValueError:
                self.errors.show({"persons_affected": _(
                    "Write the number of persons as digits, or leave it empty.")})
                return None
        return IncidentInput(
            title=self.title_edit.text(), detected_at=_datetime(self.detected_edit.dateTime()),
            description=self.description_edit.toPlainText(), data_affected=self.data_edit.text(),
            persons_affected=persons, measures=self.measures_edit.toPlainText())

    def save(self) -> bool:
        data = self.collect()
        if data is None:
            self.message.setText(_("Check the marked fields."))
            return False

        def write() -> None:
            self.incident_id = incidents.register_incident(self.ctx.session, data, self.now)

        if not submit(write, self.errors, self.message.setText):
            return False
        self.accept()
        return True


class NotifyDialog(QDialog):
    """Record to whom and when an incident was notified."""

    def __init__(self, ctx: AppContext, incident: Incident, parent: QWidget | None = None,
                 now: dt.datetime | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.incident = incident
        self.now = now
        self.setWindowTitle(_("Mark as notified"))
        self.errors = FieldErrors()
        self.to_combo = QComboBox()
        self.to_combo.setEditable(True)
        self.to_combo.addItems([_(a) for a in incidents.AUTHORITIES])
        self.to_combo.setAccessibleName(_("Notified to"))
        self.to_combo.setMinimumContentsLength(40)
        self.at_edit = _datetime_edit(now or dt.datetime.now(), _("Notified on"))
        form = QFormLayout()
        title = QLabel(incident.title)
        title.setWordWrap(True)
        form.addRow(_("Incident"), title)
        form.addRow(_("Notified &to *"), self.errors.with_label("notified_to", self.to_combo))
        form.addRow(_("Notified &on *"), self.errors.with_label("notified_at", self.at_edit))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def save(self) -> bool:
        try:
            incidents.notify_incident(self.ctx.session, self.incident.id,
                                      self.to_combo.currentText(),
                                      _datetime(self.at_edit.dateTime()), self.now)
        except ValidationError as exc:
            unbound = self.errors.show(exc.fields)
            if unbound:
                QMessageBox.warning(self, _("Mark as notified"), str(exc))
            return False
        self.accept()
        return True


class IncidentsTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.now: dt.datetime | None = None  # tests fix the clock
        self.allowed = ctx.session.can(Permission.MANAGE_INCIDENTS)
        title = QLabel(_("Security incidents"))
        title.setFont(scaled(title.font(), 1.3, bold=True))
        help_label = QLabel(_(HELP))
        help_label.setWordWrap(True)
        self.register_button = QPushButton(_("&Register incident…"))
        self.register_button.clicked.connect(lambda: self.register())
        self.notify_button = QPushButton(_("Mark &notified…"))
        self.notify_button.clicked.connect(lambda: self.notify())
        self.close_button = QPushButton(_("C&lose incident"))
        self.close_button.clicked.connect(lambda: self.close_incident())
        buttons = QHBoxLayout()
        for button in (self.register_button, self.notify_button, self.close_button):
            button.setAutoDefault(False)
            buttons.addWidget(button)
        buttons.addStretch(1)

        self.model = IncidentsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setAccessibleName(_("Security incidents"))
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        for column, sample in ((0, "00/00/0000 00:00"), (1, "00/00/0000 00:00 (vencido)"),
                               (2, "Notificado"), (4, "Personas afectadas")):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 20)
        for column in (3, 5):  # the title and to whom: what is left, shared
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._show_details())
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.status = QLabel()
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(title)
        layout.addWidget(help_label)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.details, 1)
        layout.addWidget(self.status)
        self._loaded = False
        if not self.allowed:
            for widget in (self.register_button, self.notify_button, self.close_button,
                           self.table):
                widget.setEnabled(False)
            self.status.setText(str(denied(ctx.session.actor.role,
                                           Permission.MANAGE_INCIDENTS)))
            return
        shortcut(self, "F5", self.reload)
        subscribe(self, ctx.session, {"security_incident"}, lambda _c: self.reload())
        self._enable_actions()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.allowed and not self._loaded:
            self.reload()

    def reload(self) -> None:
        if not self.allowed:
            return
        self._loaded = True
        keep = self.current()
        now = self.now or dt.datetime.now()
        rows = incidents.list_incidents(self.ctx.session, now)
        self.model.set_rows(rows, now)
        row = self.model.row_of(keep.id) if keep is not None else -1
        if row < 0 and rows:
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        overdue = sum(1 for i in rows if i.overdue(now))
        text = ngettext("{n} incident", "{n} incidents", len(rows)).format(n=len(rows))
        if overdue:
            text += "; " + ngettext("{n} overdue without notice", "{n} overdue without notice",
                                    overdue).format(n=overdue)
        self.status.setText(text + ".")
        self._show_details()

    def current(self) -> Incident | None:
        index = self.table.currentIndex()
        row = self.model.row_object(index.row()) if index.isValid() else None
        return row if isinstance(row, Incident) else None

    def _enable_actions(self) -> None:
        incident = self.current()
        self.notify_button.setEnabled(incident is not None and incident.status == "abierto")
        self.close_button.setEnabled(incident is not None and incident.status != "cerrado")

    def _show_details(self) -> None:
        self._enable_actions()
        incident = self.current()
        if incident is None:
            self.details.clear()
            return
        parts = [
            (_("What happened"), incident.description),
            (_("Data affected"), incident.data_affected),
            (_("Measures taken"), incident.measures),
            (_("Registered by"), incident.reported_by_name),
        ]
        self.details.setText("\n".join(f"{label}: {text}" for label, text in parts if text))

    # --- actions ----------------------------------------------------------------------

    def register(self) -> IncidentDialog:
        dialog = IncidentDialog(self.ctx, self, now=self.now)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def notify(self) -> NotifyDialog | None:
        incident = self.current()
        if incident is None or incident.status != "abierto":
            return None
        dialog = NotifyDialog(self.ctx, incident, self, now=self.now)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def close_incident(self) -> bool:
        incident = self.current()
        if incident is None or incident.status == "cerrado":
            return False
        question = _("Close the incident «{title}»? It can no longer be changed.").format(
            title=incident.title)
        if incident.status == "abierto":
            question += " " + _("It was not notified: close it only if it did not need a "
                                "notice.")
        if not confirm(self, question):
            return False
        try:
            incidents.close_incident(self.ctx.session, incident.id, self.now)
        except OmaError as exc:
            self.status.setText(str(exc))
            return False
        self.reload()
        return True
