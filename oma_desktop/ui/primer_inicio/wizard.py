"""«Primer inicio»: the assistant shown instead of the login dialog when the data folder
is new (issue #12), and, for an administrator, again from Administración.

Pages: welcome; casa or headquarters (nothing chosen beforehand); which casa; the first
administrator; sync (a casa: headquarters' key file or «Lo haré después»; headquarters: its
keys are made and where the public file goes is shown); data and backup folders; summary
with «Crear». Checks are the services' (``services.first_run.validate*``), shown beside
the fields; nothing typed is lost going back and forth or when creating fails.
«Crear» runs :func:`apply_first_run` on a worker thread with a progress bar.

Run again (:class:`RerunWizard`) on an open installation, only the backup folder and the
sync enrolment can be changed: the casa and the mode of an installation stay.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from oma_desktop import APP_NAME
from oma_desktop.core.catalogs import Catalogs, load_catalogs
from oma_desktop.core.errors import OmaError, ValidationError
from oma_desktop.i18n import _
from oma_desktop.paths import DataPaths, platform_data_dir
from oma_desktop.services import first_run
from oma_desktop.services.context import AppContext
from oma_desktop.services.first_run import MODE_CASA, MODE_HQ, FirstRunChoices, RerunChoices
from oma_desktop.services.sync import HQ_KEY_FILE
from oma_desktop.ui.login import FirstAccountFields, password_rules_text
from oma_desktop.ui.tasks import TaskHandle, run_task
from oma_desktop.ui.widgets.forms import CodeCombo, FieldErrors

WIZARD_SIZE = (780, 600)  # fits 1366×768 with the taskbar and the title bar
ERROR_STYLE = "color: #b71c1c;"
NOTE_STYLE = "background: #fff8e1; border: 1px solid #ffcc80;"

PAGE_WELCOME, PAGE_MODE, PAGE_CASA, PAGE_ADMIN, PAGE_SYNC, PAGE_FOLDERS, PAGE_SUMMARY = range(7)


def _text(text: str, *, note: bool = False) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if note:
        label.setStyleSheet(NOTE_STYLE)
        label.setMargin(6)
    return label


def _message() -> QLabel:
    label = _text("")
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName(_("Message"))
    return label


class PathField(QWidget):
    """A folder or file path: a line to type or paste it, and «Elegir…» to browse."""

    def __init__(self, title: str, *, file_filter: str | None = None,
                 placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.file_filter = file_filter
        self.edit = QLineEdit()
        self.edit.setAccessibleName(title)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.browse = QPushButton(_("Choose…"))
        self.browse.setAutoDefault(False)
        self.browse.clicked.connect(self._choose)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)
        self.setFocusProxy(self.edit)

    def _choose(self) -> None:
        start = self.edit.text().strip()
        if self.file_filter is not None:
            chosen, _filter = QFileDialog.getOpenFileName(self, self.title, start,
                                                          self.file_filter)
        else:
            chosen = QFileDialog.getExistingDirectory(self, self.title, start)
        if chosen:
            self.edit.setText(chosen)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_path(self, path: Path | None) -> None:
        self.edit.setText(str(path) if path is not None else "")


class _Page(QWizardPage):
    """A page with a form, its field errors and a message line."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        super().__init__()
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        self.errors = FieldErrors()
        self.message = _message()
        self.box = QVBoxLayout(self)

    def assistant(self) -> FirstRunWizard:
        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        return wizard

    def refuse(self, errors: dict[str, str]) -> bool:
        """Show ``errors`` beside their fields; True when there are none."""
        self.errors.clear()
        self.message.clear()
        if not errors:
            return True
        self.errors.show(errors)
        self.message.setText(_("Check the marked fields."))
        first = self.errors.first_invalid(errors)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
        return False


class WelcomePage(_Page):
    def __init__(self) -> None:
        super().__init__(_("Welcome to {app}").format(app=APP_NAME))
        self.box.addWidget(_text(_(
            "This PC has no OMA Desktop data yet. This assistant prepares it in a few steps:"
            " whether it is a casa vecinal's PC or headquarters', which casa, the first"
            " administration account, the connection with headquarters for synchronising,"
            " and where the data and the backups are kept.")))
        self.box.addWidget(_text(_(
            "Have at hand: the name of the casa vecinal of this PC and, for a casa, the key"
            " file headquarters gave you (a file ending in .omakey, usually on a USB stick)."
            " If you do not have it yet, you can connect with headquarters later.")))
        self.box.addWidget(_text(_(
            "Nothing is created until you press «Create» on the last page. You can go back"
            " with «Back» at any time."), note=True))
        self.box.addStretch(1)


class ModePage(_Page):
    def __init__(self) -> None:
        super().__init__(_("Casa vecinal or headquarters"),
                         _("Choose what this PC is. It cannot be changed later from the"
                           " assistant."))
        self.casa_radio = QRadioButton(_("A casa vecinal's PC (front desk: registers persons,"
                                         " consultations and referrals)"))
        self.hq_radio = QRadioButton(_("Headquarters' PC (receives the casas' sync files and"
                                       " consolidates the reports)"))
        self.group = QButtonGroup(self)
        self.group.addButton(self.casa_radio)
        self.group.addButton(self.hq_radio)
        self.box.addWidget(self.casa_radio)
        self.box.addWidget(self.hq_radio)
        self.box.addWidget(_text(_(
            "Most PCs are a casa vecinal's. There is only one headquarters PC, in the"
            " Subgerencia; it is installed first, because its key file is needed by the"
            " casas.")))
        self.box.addWidget(self.message)
        self.box.addStretch(1)

    def mode(self) -> str:
        if self.casa_radio.isChecked():
            return MODE_CASA
        if self.hq_radio.isChecked():
            return MODE_HQ
        return ""

    def validatePage(self) -> bool:
        errors = first_run.validate_identity_choice(
            FirstRunChoices(mode=self.mode() or "-"), self.assistant().catalogs)
        self.message.setText(errors.get("mode", ""))
        return "mode" not in errors

    def nextId(self) -> int:
        return PAGE_CASA if self.mode() != MODE_HQ else PAGE_ADMIN


class CasaPage(_Page):
    def __init__(self, catalogs: Catalogs) -> None:
        super().__init__(_("Which casa vecinal"),
                         _("The casa this PC works for: its name goes in the window title,"
                           " on slips and on referral codes."))
        self.combo = CodeCombo(((c.code, f"{c.name} ({c.code})") for c in catalogs.casas),
                               empty_label=_("Choose the casa…"))
        self.combo.setAccessibleName(_("Casa vecinal"))
        form = QFormLayout()
        form.addRow(_("&Casa vecinal"), self.errors.with_label("casa", self.combo))
        self.box.addLayout(form)
        self.box.addWidget(_text(_(
            "If two PCs work in the same casa, choose the same casa on both: each PC keeps its"
            " own station code, so their referral codes never repeat.")))
        self.box.addWidget(self.message)
        self.box.addStretch(1)

    def validatePage(self) -> bool:
        return self.refuse(first_run.validate_identity_choice(
            FirstRunChoices(mode=MODE_CASA, casa=self.combo.value()),
            self.assistant().catalogs))


class AdminPage(_Page):
    def __init__(self) -> None:
        super().__init__(_("The first administration account"),
                         _("The administration creates the staff's accounts and resets"
                           " their passwords when they forget them."))
        fields = FirstAccountFields(self.errors, "password_repeat")
        self.username, self.display_name = fields.user, fields.name
        self.password, self.repeat = fields.password, fields.repeat
        self.box.addLayout(fields.form)
        self.box.addWidget(_text(password_rules_text()))
        self.box.addWidget(_text(_(
            "The data of this PC will be encrypted: without the password of one of its"
            " accounts nobody can read them. Keep the administration password safe: if it is"
            " forgotten, only headquarters can recover the data."), note=True))
        self.box.addWidget(self.message)
        self.box.addStretch(1)

    def initializePage(self) -> None:
        self.display_name.setFocus()

    def validatePage(self) -> bool:
        return self.refuse(first_run.validate_account(self.assistant().choices()))


class SyncPage(_Page):
    def __init__(self) -> None:
        super().__init__(_("Synchronising with headquarters"))
        self.casa_box = QWidget()
        casa_layout = QVBoxLayout(self.casa_box)
        casa_layout.setContentsMargins(0, 0, 0, 0)
        casa_layout.addWidget(_text(_(
            "A casa sends its records to headquarters on a USB stick. To do so it needs"
            " headquarters' key file, {name}, which headquarters wrote when it was"
            " installed.").format(name=HQ_KEY_FILE)))
        self.with_file = QRadioButton(_("I have headquarters' key file"))
        self.later = QRadioButton(_("I will do it later (from the Synchronisation page)"))
        self.choice = QButtonGroup(self)
        self.choice.addButton(self.with_file)
        self.choice.addButton(self.later)
        self.key_file = PathField(_("Headquarters' key file"),
                                  file_filter=_("OMA key files (*.omakey)"),
                                  placeholder=_("e.g. E:\\{name}").format(name=HQ_KEY_FILE))
        # typing or choosing a file means «I have it»
        self.key_file.edit.textChanged.connect(
            lambda text: self.with_file.setChecked(True) if text.strip() else None)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("&Key file"), self.errors.with_label("hq_key_file", self.key_file))
        casa_layout.addWidget(self.with_file)
        casa_layout.addLayout(form)
        casa_layout.addWidget(_text(_(
            "This casa's own key file is written in the same folder (on the same stick):"
            " take it to headquarters so that it registers this PC.")))
        casa_layout.addWidget(self.later)

        self.hq_box = QWidget()
        hq_layout = QVBoxLayout(self.hq_box)
        hq_layout.setContentsMargins(0, 0, 0, 0)
        hq_layout.addWidget(_text(_(
            "Headquarters' keys are created now. Its public key file, {name}, is written in"
            " the folder below: copy it to a USB stick and give it to each casa, which"
            " chooses it in its own assistant. It holds no secret.").format(
                name=HQ_KEY_FILE)))
        self.out_dir = PathField(_("Folder for headquarters' key file"))
        hq_form = QFormLayout()
        hq_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        hq_form.addRow(_("&Write it in"), self.errors.with_label("key_out_dir", self.out_dir))
        hq_layout.addLayout(hq_form)
        self.box.addWidget(self.casa_box)
        self.box.addWidget(self.hq_box)
        self.box.addWidget(self.message)
        self.box.addStretch(1)

    def initializePage(self) -> None:
        hq = self.assistant().mode() == MODE_HQ
        self.casa_box.setVisible(not hq)
        self.hq_box.setVisible(hq)
        self.setSubTitle(_("Headquarters' keys") if hq else
                         _("Enrolment with headquarters' key file"))
        if hq and self.out_dir.path() is None:
            self.out_dir.set_path(DataPaths(self.assistant().data_dir()).exports)

    def hq_key_file(self) -> Path | None:
        if self.assistant().mode() != MODE_CASA or not self.with_file.isChecked():
            return None
        return self.key_file.path()

    def validatePage(self) -> bool:
        if self.assistant().mode() == MODE_CASA:
            if not self.with_file.isChecked() and not self.later.isChecked():
                self.message.setText(_("Choose whether you have headquarters' key file now or"
                                       " will enrol later."))
                return False
            if self.with_file.isChecked() and self.key_file.path() is None:
                return self.refuse({"hq_key_file": _(
                    "Choose the file {name}, or «I will do it later».").format(
                        name=HQ_KEY_FILE)})
        return self.refuse(first_run.validate_sync(self.assistant().choices()))


class FoldersPage(_Page):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(_("Data and backup folders"),
                         _("The suggested folders suit almost every PC: change them only if"
                           " the municipality's IT asks you to."))
        self.data_dir = PathField(_("Data folder"))
        self.data_dir.set_path(data_dir)
        self.backup_dir = PathField(_("Backup folder"))
        self.backup_dir.edit.setPlaceholderText(_("In the data folder (suggested)"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("&Data folder"), self.errors.with_label("data_dir", self.data_dir))
        form.addRow(_("&Backups"), self.errors.with_label("backup_dir", self.backup_dir))
        self.box.addLayout(form)
        self.box.addWidget(_text(_(
            "The data folder holds the encrypted database and its key file. A backup is made"
            " every day; keeping the backups on another disk (for example D:) protects them"
            " if this disk fails. Leave «Backups» empty to keep them in the data folder.")))
        self.box.addWidget(self.message)
        self.box.addStretch(1)

    def validatePage(self) -> bool:
        choices = self.assistant().choices()
        errors = first_run.validate_folders(choices)
        if self.data_dir.path() is None:
            errors["data_dir"] = _("Choose a full folder path, for example C:\\OMA\\datos.")
        return self.refuse(errors)


class SummaryPage(_Page):
    def __init__(self) -> None:
        super().__init__(_("Summary"), _("Check the choices, then press «Create»."))
        self.summary = _text("")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = _text("")
        self.box.addWidget(self.summary)
        self.box.addStretch(1)
        self.box.addWidget(self.progress)
        self.box.addWidget(self.status)
        self.box.addWidget(self.message)

    def initializePage(self) -> None:
        self.message.clear()
        self.summary.setText(self.assistant().summary_html())

    def validatePage(self) -> bool:
        return self.assistant().start_creating()


class FirstRunWizard(QWizard):
    """The first-run assistant; after «Crear» :attr:`context` is the new installation,
    opened and logged in as its administrator (the caller closes it)."""

    def __init__(self, data_dir: Path | None = None, casa: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("{app} — first start").format(app=APP_NAME))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.setButtonText(QWizard.WizardButton.NextButton, _("&Next >"))
        self.setButtonText(QWizard.WizardButton.BackButton, _("< &Back"))
        self.setButtonText(QWizard.WizardButton.CancelButton, _("Exit"))
        self.setButtonText(QWizard.WizardButton.FinishButton, _("&Create"))
        self.resize(*WIZARD_SIZE)
        self.catalogs = load_catalogs()
        self.context: AppContext | None = None
        self.task: TaskHandle[AppContext] | None = None
        self.welcome = WelcomePage()
        self.mode_page = ModePage()
        self.casa_page = CasaPage(self.catalogs)
        self.admin_page = AdminPage()
        self.sync_page = SyncPage()
        self.folders_page = FoldersPage(Path(data_dir) if data_dir else platform_data_dir())
        self.summary_page = SummaryPage()
        for number, page in ((PAGE_WELCOME, self.welcome), (PAGE_MODE, self.mode_page),
                             (PAGE_CASA, self.casa_page), (PAGE_ADMIN, self.admin_page),
                             (PAGE_SYNC, self.sync_page), (PAGE_FOLDERS, self.folders_page),
                             (PAGE_SUMMARY, self.summary_page)):
            self.setPage(number, page)
        if casa:  # --casa on the command line: proposed, still to be confirmed
            self.mode_page.casa_radio.setChecked(True)
            self.casa_page.combo.set_value(casa)

    # --- the choices --------------------------------------------------------------------------

    def mode(self) -> str:
        return self.mode_page.mode()

    def data_dir(self) -> Path:
        return self.folders_page.data_dir.path() or platform_data_dir()

    def choices(self) -> FirstRunChoices:
        hq = self.mode() == MODE_HQ
        return FirstRunChoices(
            mode=self.mode(),
            casa="" if hq else self.casa_page.combo.value(),
            username=self.admin_page.username.text().strip(),
            display_name=self.admin_page.display_name.text(),
            password=self.admin_page.password.text(),
            password_repeat=self.admin_page.repeat.text(),
            data_dir=self.folders_page.data_dir.path(),
            backup_dir=self.folders_page.backup_dir.path(),
            hq_key_file=self.sync_page.hq_key_file(),
            key_out_dir=self.sync_page.out_dir.path() if hq else None,
        )

    def summary_html(self) -> str:
        from html import escape

        c = self.choices()
        rows: list[tuple[str, str]] = []
        if c.mode == MODE_HQ:
            rows.append((_("This PC"), _("Headquarters")))
        else:
            casa = next((x for x in self.catalogs.casas if x.code == c.casa), None)
            rows.append((_("This PC"), _("Casa vecinal: {name}").format(
                name=casa.name if casa else c.casa)))
        rows.append((_("Administration"), f"{c.display_name.strip()} ({c.username})"))
        if c.mode == MODE_HQ:
            rows.append((_("Headquarters' key file"), str(
                first_run.default_key_out_dir(c) / HQ_KEY_FILE)))
        elif c.hq_key_file is not None:
            rows.append((_("Enrolment"), _("with {file}; this casa's key file goes to {folder}")
                         .format(file=c.hq_key_file,
                                 folder=first_run.default_key_out_dir(c))))
        else:
            rows.append((_("Enrolment"), _("later, from the Synchronisation page")))
        rows.append((_("Data folder"), str(c.folder)))
        rows.append((_("Backups"), str(c.backup_dir) if c.backup_dir
                     else str(DataPaths(c.folder).backups)))
        body = "".join(f"<tr><td style='padding-right:12px'><b>{escape(k)}</b></td>"
                       f"<td>{escape(v)}</td></tr>" for k, v in rows)
        return f"<table>{body}</table>"

    # --- creating ------------------------------------------------------------------------------

    def start_creating(self) -> bool:
        """«Crear»: True once the installation exists (the wizard may close)."""
        if self.context is not None:
            return True
        if self.task is not None:
            return False
        choices = self.choices()
        page = self.summary_page
        page.message.clear()
        page.progress.setVisible(True)
        page.progress.setRange(0, 0)
        self._set_busy(True)
        self.task = run_task(self, lambda progress: first_run.apply_first_run(
            choices, lambda d, t, label: progress(d, t, label)),
            self._created, self._failed, self._progressed)
        return False

    def _progressed(self, done: int, total: int, label: str) -> None:
        self.summary_page.progress.setRange(0, total)
        self.summary_page.progress.setValue(done)
        self.summary_page.status.setText(label)

    def _created(self, ctx: AppContext) -> None:
        self.task = None
        self._set_busy(False)
        self.context = ctx
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.task = None
        self._set_busy(False)
        page = self.summary_page
        page.progress.setVisible(False)
        page.status.clear()
        if isinstance(exc, ValidationError):
            page.message.setText("\n".join(
                [_("Go back with «Back» and check:"), *exc.fields.values()]))
        elif isinstance(exc, OmaError):
            page.message.setText(str(exc))
        else:
            raise exc  # a bug: the application's error dialog shows it

    def _set_busy(self, busy: bool) -> None:
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.FinishButton,
                      QWizard.WizardButton.CancelButton):
            button = self.button(which)
            if button is not None:
                button.setEnabled(not busy)
        if busy:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        else:
            QGuiApplication.restoreOverrideCursor()

    def busy(self) -> bool:
        return self.task is not None

    def reject(self) -> None:
        if self.busy():
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy():
            event.ignore()
            return
        super().closeEvent(event)


def run_first_run(data_dir: Path | None = None, casa: str | None = None) -> AppContext | None:
    """Show the assistant until the installation is made (its context, logged in) or the
    user leaves with «Salir» (None)."""
    wizard = FirstRunWizard(data_dir, casa)
    try:
        if wizard.exec() != QWizard.DialogCode.Accepted:
            return None
        return wizard.context
    finally:
        wizard.deleteLater()


# --- run again by an administrator -----------------------------------------------------------


class RerunWizard(QWizard):
    """«Asistente de configuración» from Administración, for administrators: the backup
    folder and the sync enrolment of the open installation (never its casa or mode)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        from oma_desktop.services.backup import backup_folder
        from oma_desktop.services.status import installation_facts

        super().__init__(parent)
        if not first_run.is_administrator(ctx):
            raise OmaError(_("Only the administration can run the setup assistant."))
        self.ctx = ctx
        self.written: Path | None = None
        self.setWindowTitle(_("Setup assistant"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setButtonText(QWizard.WizardButton.FinishButton, _("&Apply"))
        self.setButtonText(QWizard.WizardButton.CancelButton, _("Cancel"))
        self.resize(*WIZARD_SIZE)
        facts = installation_facts(ctx.session)
        hq = self.hq = facts.mode == MODE_HQ
        page = QWizardPage()
        page.setTitle(_("Setup assistant"))
        page.setSubTitle(_("Headquarters") if hq else _("Casa vecinal: {name}").format(
            name=facts.casa_name))
        box = QVBoxLayout(page)
        box.addWidget(_text(_(
            "On a PC already in use this assistant changes only the backup folder and the"
            " enrolment with headquarters. The casa and whether the PC is headquarters do not"
            " change here: to move this PC to another casa, use «oma-desktop set-casa»"
            " (it is logged)."), note=True))
        self.backup_dir = PathField(_("Backup folder"))
        current = backup_folder(ctx.session)
        if current != ctx.paths.backups:
            self.backup_dir.set_path(current)
        self.backup_dir.edit.setPlaceholderText(_("In the data folder (suggested)"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("&Backups"), self.backup_dir)
        self.key_file = PathField(_("Headquarters' key file"),
                                  file_filter=_("OMA key files (*.omakey)"))
        self.remake = QRadioButton(_("Write headquarters' key file again"))
        self.remake.setAutoExclusive(False)
        self.out_dir = PathField(_("Folder for headquarters' key file"))
        if hq:
            form.addRow("", self.remake)
            form.addRow(_("&Write it in"), self.out_dir)
            self.out_dir.set_path(ctx.paths.exports)
        else:
            form.addRow(_("&Key file"), self.key_file)
        box.addLayout(form)
        if not hq:
            box.addWidget(_text(_(
                "Choose headquarters' key file only to enrol (again) with headquarters; leave"
                " it empty to keep the enrolment as it is.")))
        self.message = _message()
        box.addWidget(self.message)
        box.addStretch(1)
        self.addPage(page)

    def accept(self) -> None:
        choices = RerunChoices(
            backup_dir=self.backup_dir.path(), hq_key_file=self.key_file.path(),
            key_out_dir=self.out_dir.path() if self.hq else None,
            remake_hq_key=self.remake.isChecked())
        try:
            self.written = first_run.apply_to_existing(self.ctx, choices)
        except OmaError as exc:
            self.message.setText(str(exc))
            return
        super().accept()


def open_setup_assistant(parent: QWidget, ctx: AppContext) -> RerunWizard | None:
    """Open the assistant for an administrator (None for anybody else)."""
    if not first_run.is_administrator(ctx):
        return None
    wizard = RerunWizard(ctx, parent)
    wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    wizard.open()
    return wizard
