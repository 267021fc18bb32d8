"""The dialogs of «Derechos y consentimiento»: register a request, answer it, set the
deadlines. They call ``services.rights`` (and ``services.anonymise`` through it); the
access file is written off the GUI thread (``ui.tasks.run_job``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.i18n import _, format_date
from oma_desktop.services import consent, rights
from oma_desktop.services.context import AppContext
from oma_desktop.services.search import search_persons
from oma_desktop.services.session import Session
from oma_desktop.ui.tasks import Progress, run_job
from oma_desktop.ui.widgets.forms import CodeCombo, DateField, FieldErrors, submit

WARN = "color: #b71c1c;"


def _name(hit: object) -> str:
    parts = (getattr(hit, k) for k in ("given_names", "paternal_surname", "maternal_surname"))
    return " ".join(p for p in parts if p)


class RequestDialog(QDialog):
    """Register a request: kind, the person (search) or the requester, channel, date."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today or dt.date.today()
        self.result_id: str | None = None
        self.setWindowTitle(_("New data-protection request"))
        self.errors = FieldErrors()
        self.kind_combo = CodeCombo([(c, _(t)) for c, t in rights.KINDS], _("Choose…"))
        self.kind_combo.setAccessibleName(_("Kind of request"))
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(_("Name, document or phone of the registered person"))
        self.search_edit.setAccessibleName(_("Search person"))
        self.results = QListWidget()
        self.results.setMaximumHeight(110)
        self.results.setAccessibleName(_("Persons found"))
        self.requester_edit = QLineEdit()
        self.requester_edit.setAccessibleName(_("Requester's name"))
        self.document_edit = QLineEdit()
        self.document_edit.setAccessibleName(_("Requester's document"))
        self.channel_combo = CodeCombo([(c, _(t)) for c, t in rights.CHANNELS])
        self.channel_combo.setAccessibleName(_("Channel"))
        self.received_edit = DateField()
        self.received_edit.set_value(self.today)
        self.received_edit.setAccessibleName(_("Received on"))
        self.details_edit = QPlainTextEdit()
        self.details_edit.setPlaceholderText(_("What the person asks, in their words"))
        self.details_edit.setMaximumHeight(90)
        self.due_label = QLabel()
        self.due_label.setWordWrap(True)
        person_box = QWidget()
        person_layout = QVBoxLayout(person_box)
        person_layout.setContentsMargins(0, 0, 0, 0)
        person_layout.addWidget(self.search_edit)
        person_layout.addWidget(self.results)
        form = QFormLayout()
        form.addRow(_("&Kind *"), self.errors.with_label("kind", self.kind_combo))
        form.addRow(_("&Person"), self.errors.with_label("person", person_box))
        form.addRow(_("Or, if not registered: &name"), self.requester_edit)
        form.addRow(_("Requester's &document"), self.document_edit)
        form.addRow(_("&Channel"), self.errors.with_label("channel", self.channel_combo))
        form.addRow(_("&Received on *"), self.errors.with_label("received_on", self.received_edit))
        form.addRow(_("&Details"), self.errors.with_label("details", self.details_edit))
        form.addRow(_("Due date"), self.due_label)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet(WARN)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(_("&Register"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.search_edit.textEdited.connect(self.search)
        self.kind_combo.currentIndexChanged.connect(lambda _i: self.update_due())
        for signal in (self.kind_combo.currentIndexChanged, self.results.currentRowChanged,
                       self.requester_edit.textEdited):
            signal.connect(lambda *_args: self._clear_errors())
        self.received_edit.textChanged.connect(lambda _t: self.update_due())
        self.resize(620, 560)
        self.update_due()

    def _clear_errors(self) -> None:
        """What was marked is being corrected: the old messages go."""
        self.errors.clear()
        self.message.clear()

    def search(self, text: str) -> None:
        self.results.clear()
        if len(text.strip()) < 2:
            return
        for hit in search_persons(self.ctx.session, text, limit=8, today=self.today):
            label = _name(hit)
            if hit.document_number:
                label += f" · {hit.document_number}"
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, hit.id)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def person_id(self) -> str | None:
        item = self.results.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def update_due(self) -> None:
        kind = self.kind_combo.value()
        try:
            received = self.received_edit.value()
        except ValueError:
            received = None
        if not kind or received is None:
            self.due_label.setText(_("Choose the kind and the date to see it."))
            return
        limit = rights.deadlines(self.ctx.session)[kind]
        self.due_label.setText(_("{date} ({days} from the day after it was received)").format(
            date=format_date(rights.due_date(received, limit)), days=limit.text))

    def collect(self) -> rights.RequestInput:
        try:
            received = self.received_edit.value()
        except ValueError:
            received = None
        return rights.RequestInput(
            kind=self.kind_combo.value(), person_id=self.person_id(),
            requester_name=self.requester_edit.text(),
            requester_document=self.document_edit.text(), channel=self.channel_combo.value(),
            received_on=received, details=self.details_edit.toPlainText())

    def save(self) -> bool:
        data = self.collect()

        def write() -> None:
            self.result_id = rights.register_request(self.ctx.session, data, self.today)

        if not submit(write, self.errors, self.message.setText):
            return False
        self.accept()
        return True


class RespondDialog(QDialog):
    """Answer a request: status and response; per kind, the access file, the anonymisation
    (after a confirmation), the consents to withdraw, or the person's form."""

    def __init__(self, ctx: AppContext, request_id: str, parent: QWidget | None = None,
                 today: dt.date | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today or dt.date.today()
        self.request = rights.get_request(ctx.session, request_id)
        self.confirm_anonymise = self._ask_anonymise  # replaced by tests
        self.saved_file: Path | None = None
        req = self.request
        self.setWindowTitle(_("Answer request: {kind}").format(kind=rights.kind_label(req.kind)))
        self.errors = FieldErrors()
        summary = QLabel(_("<b>{kind}</b> — {name}<br>Received on {received} ({channel}); "
                           "due on <b>{due}</b>.").format(
            kind=rights.kind_label(req.kind), name=req.person_name or _("(no name)"),
            received=format_date(req.received_on), channel=rights.channel_label(req.channel),
            due=format_date(req.due_on)))
        summary.setWordWrap(True)
        details = QLabel(req.details)
        details.setWordWrap(True)
        details.setVisible(bool(req.details))
        self.status_combo = CodeCombo([(c, _(t)) for c, t in rights.STATUSES
                                       if c != rights.RECEIVED])
        self.status_combo.setAccessibleName(_("Status"))
        self.status_combo.set_value(rights.ANSWERED)
        self.response_edit = QPlainTextEdit(req.response)
        self.response_edit.setPlaceholderText(_("What was done, or why it was denied"))
        self.response_edit.setAccessibleName(_("Answer"))
        form = QFormLayout()
        form.addRow(_("&Status"), self.errors.with_label("status", self.status_combo))
        form.addRow(_("&Answer *"), self.errors.with_label("response", self.response_edit))

        self.kind_box = QVBoxLayout()
        self.file_button: QPushButton | None = None
        self.person_button: QPushButton | None = None
        self.withdraw_boxes: dict[str, QCheckBox] = {}
        no_person = req.person_id is None or req.anonymised
        if req.kind == rights.ACCESS:
            self.file_button = QPushButton(_("Save the access file (PDF)…"))
            self.file_button.clicked.connect(lambda: self.save_access_file())
            self.file_button.setEnabled(not no_person)
            self.kind_box.addWidget(self.file_button)
        elif req.kind == rights.CANCELLATION:
            warning = QLabel(_(
                "When you save it as «Answered», the person's names, documents, phones, "
                "address, notes and the free text of their consultations, calls and referrals "
                "are erased for good (anonymised), here and at headquarters. Sex, nationality, "
                "district and year of birth stay for the statistics."))
            warning.setWordWrap(True)
            warning.setStyleSheet(WARN)
            self.kind_box.addWidget(warning)
        elif req.kind == rights.OPPOSITION:
            self.kind_box.addWidget(QLabel(_("Consents the person withdraws:")))
            for code, _column, _text in consent.PURPOSES:
                box = QCheckBox(consent.purpose_name(code))
                box.setEnabled(not no_person)
                self.withdraw_boxes[code] = box
                self.kind_box.addWidget(box)
        elif req.kind == rights.RECTIFICATION:
            self.person_button = QPushButton(_("Open the person's record to correct it…"))
            self.person_button.setEnabled(not no_person)
            self.person_button.clicked.connect(lambda: self.open_person())
            self.kind_box.addWidget(self.person_button)
        if no_person and req.kind != rights.CANCELLATION:
            self.kind_box.addWidget(QLabel(_("The requester is not registered: there is no "
                                             "record to act on.")))
        self.message = QLabel()
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox()
        buttons.addButton(_("&Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(details)
        layout.addLayout(self.kind_box)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(620, 480)

    def _say(self, text: str, ok: bool = False) -> None:
        self.message.setStyleSheet("color: #1b5e20;" if ok else WARN)
        self.message.setText(text)

    def _ask_anonymise(self) -> bool:
        answer = QMessageBox.question(
            self, _("Anonymise the person"),
            _("The personal data of {name} will be erased for good. This cannot be undone. "
              "Continue?").format(name=self.request.person_name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def save_access_file(self, path: Path | None = None) -> None:
        person_id = self.request.person_id
        if person_id is None:
            return
        if path is None:
            chosen, _filter = QFileDialog.getSaveFileName(
                self, _("Save the access file"),
                str(Path.home() / _("access-file.pdf")), _("PDF files (*.pdf)"))
            if not chosen:
                return
            path = Path(chosen)
        target = path

        def work(session: Session, _progress: Progress) -> Path:
            return rights.write_access_file(session, person_id, target, self.today)

        def done(written: Path) -> None:
            self.saved_file = written
            self._say(_("Access file saved in {path}. Give it to the person, then save the "
                        "answer.").format(path=written), ok=True)
            if not self.response_edit.toPlainText().strip():
                self.response_edit.setPlainText(_("The file of the personal data held was "
                                                  "handed over on {date}.").format(
                    date=format_date(self.today)))

        run_job(self, self.ctx, work, done, title=_("Access file"))

    def open_person(self) -> QDialog | None:
        from oma_desktop.ui.personas.person_form import PersonDialog

        if self.request.person_id is None:
            return None
        dialog = PersonDialog(self.ctx, self, person_id=self.request.person_id)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()
        return dialog

    def save(self) -> bool:
        status = self.status_combo.value()
        req = self.request
        if (req.kind == rights.CANCELLATION and status == rights.ANSWERED
                and req.person_id and not req.anonymised and not self.confirm_anonymise()):
            self._say(_("Nothing was saved."))
            return False
        withdraw = [c for c, box in self.withdraw_boxes.items() if box.isChecked()]
        if not submit(lambda: rights.respond(self.ctx.session, req.id, status,
                                             self.response_edit.toPlainText(),
                                             withdraw=withdraw, today=self.today),
                      self.errors, self._say):
            return False
        self.accept()
        return True


class DeadlinesDialog(QDialog):
    """The deadline of each kind (days, calendar or working), stored on this PC."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(_("Deadlines to answer"))
        current = rights.deadlines(ctx.session)
        defaults = rights.default_deadlines()
        intro = QLabel(_(
            "Default figures: D.S. 016-2024-JUS art. 69 (access 20 days; rectification, "
            "cancellation and opposition 10 days), not yet checked against the official "
            "text, which does not say whether they are working days. Change them here if "
            "the municipality's legal office says otherwise."))
        intro.setWordWrap(True)
        form = QFormLayout()
        self.rows: dict[str, tuple[QSpinBox, CodeCombo]] = {}
        for kind, text in rights.KINDS:
            days = QSpinBox()
            days.setRange(1, rights.MAX_DAYS)
            days.setValue(current[kind].days)
            days.setAccessibleName(_("Days for {kind}").format(kind=_(text)))
            unit = CodeCombo([(c, _(t)) for c, t in rights.UNITS])
            unit.set_value(current[kind].unit)
            row = QHBoxLayout()
            row.addWidget(days)
            row.addWidget(unit, 1)
            row.addWidget(QLabel(_("(default {text})").format(text=defaults[kind].text)))
            form.addRow(_(text), row)
            self.rows[kind] = (days, unit)
        buttons = QDialogButtonBox()
        buttons.addButton(_("&Save"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def save(self) -> None:
        for kind, (days, unit) in self.rows.items():
            rights.set_deadline(self.ctx.session, kind, days.value(), unit.value())
        self.accept()
