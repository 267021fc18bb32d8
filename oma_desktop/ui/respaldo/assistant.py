"""The restore assistant: choose a backup, read in plain Spanish what will happen, confirm,
and watch it being restored off the GUI thread (``services.backup.restore``).

Restoring needs the database closed: the assistant calls ``before_restore`` (the caller
closes its context, which releases the data folder) right before it starts; the service
then locks the folder itself. Afterwards the program must open the database again, so the
result page says that OMA Desktop closes, and ``on_restored``/``restored`` tell the caller.

:func:`offer_restore` is what the start-up check shows when it finds the database
damaged: the reason and a button that opens the assistant.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QMessageBox,
    QProgressBar,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from oma_desktop.i18n import _, format_datetime
from oma_desktop.paths import DataPaths
from oma_desktop.services.backup import (
    BackupInfo,
    RestoreReport,
    known_folders,
    list_backups,
    restore,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission, allowed
from oma_desktop.ui.respaldo.model import backup_table
from oma_desktop.ui.tasks import Progress, TaskHandle, run_task

log = logging.getLogger(__name__)

_ERROR_STYLE = "color: #b71c1c;"
_OK_STYLE = "color: #1b5e20;"
Key = bytes | None


def _label(text: str = "", style: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if style:
        label.setStyleSheet(style)
    return label


class ChoosePage(QWizardPage):
    """The list of backups (read off the GUI thread: every file's checksum is read)."""

    def __init__(self, wizard: RestoreAssistant, damage: str) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(_("Choose the backup to restore"))
        self.damage = _label(damage, _ERROR_STYLE)
        self.damage.setObjectName("damage_message")
        self.damage.setVisible(bool(damage))
        intro = _label(_("These are the saved backups, newest first. Usually the newest "
                         "verified one is the right choice."))
        self.model, self.table = backup_table("backup_table")
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._selected())
        self.status = _label()
        self.status.setObjectName("list_status")
        folders = "\n".join(str(f) for f in wizard.folders)
        self.folders = _label(_("Folders searched:\n{folders}").format(folders=folders))
        self.folders.setStyleSheet("color: #555;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.damage)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.folders)
        self.listing: TaskHandle[list[BackupInfo]] | None = None
        self.loaded = False

    def initializePage(self) -> None:
        if self.loaded or self.listing is not None:
            return
        self.status.setText(_("Checking the backups…"))
        folders = list(self._wizard.folders)
        self.listing = run_task(self, lambda _p: list_backups(folders), self._listed,
                                self._list_failed)

    def _listed(self, backups: list[BackupInfo]) -> None:
        self.listing = None
        self.loaded = True
        self.model.set_backups(backups)
        if not backups:
            self.status.setText(_("There are no backups in these folders. If the copies are on "
                                  "a USB drive or another folder, call technical support."))
            self.status.setStyleSheet(_ERROR_STYLE)
            return
        self.status.setText("")
        preselect = self._wizard.preselect
        row = next((i for i, b in enumerate(backups) if b.path == preselect), None)
        if row is None:  # the newest verified one
            row = next((i for i, b in enumerate(backups) if b.verified), 0)
        self.table.selectRow(row)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def _list_failed(self, exc: BaseException) -> None:
        self.listing = None
        self.status.setText(str(exc))
        self.status.setStyleSheet(_ERROR_STYLE)

    def chosen(self) -> BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.backup_at(rows[0].row()) if rows else None

    def _selected(self) -> None:
        info = self.chosen()
        if info is not None and info.verified is False:
            self.status.setText(_("This backup is damaged and cannot be restored: choose "
                                  "another one."))
            self.status.setStyleSheet(_ERROR_STYLE)
        elif self.loaded:
            self.status.setText("")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        info = self.chosen()
        return info is not None and info.verified is not False


class ConfirmPage(QWizardPage):
    """What will happen, in plain words, and a tick to confirm it."""

    def __init__(self, wizard: RestoreAssistant) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(_("Confirm the restore"))
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, _("&Restore"))
        self.text = _label()
        self.text.setObjectName("confirm_text")
        self.confirm = QCheckBox(_("&I understand that the current database will be replaced"))
        self.confirm.setObjectName("confirm_check")
        self.confirm.toggled.connect(lambda _on: self.completeChanged.emit())
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addSpacing(12)
        layout.addWidget(self.confirm)
        layout.addStretch(1)

    def initializePage(self) -> None:
        info = self._wizard.chosen()
        assert info is not None
        self.confirm.setChecked(False)
        self.text.setText("\n\n".join([
            _("The database of this PC will be replaced by the backup of {date} ({reason}).")
            .format(date=format_datetime(info.created), reason=info.reason.label),
            _("Whatever was recorded on this PC after that date and time will no longer be in "
              "the database."),
            _("Before replacing it, a copy of the current database is saved («before "
              "restoring»), so the step can be undone. If the current database is damaged "
              "and cannot be copied, it is kept aside as it is for technical support."),
            _("When it finishes, OMA Desktop closes: open it again to go on working."),
        ]))

    def isComplete(self) -> bool:
        return self.confirm.isChecked()


class RunPage(QWizardPage):
    """The restore itself, off the GUI thread, with its progress and result."""

    def __init__(self, wizard: RestoreAssistant) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(_("Restoring the backup"))
        self.setFinalPage(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setAccessibleName(_("Progress"))
        self.step = _label(_("Preparing…"))
        self.result = _label()
        self.result.setObjectName("restore_result")
        layout = QVBoxLayout(self)
        layout.addWidget(self.step)
        layout.addWidget(self.bar)
        layout.addSpacing(12)
        layout.addWidget(self.result)
        layout.addStretch(1)
        self.task: TaskHandle[RestoreReport] | None = None
        self.done = False

    def initializePage(self) -> None:
        wizard = self._wizard
        info = wizard.chosen()
        assert info is not None
        wizard.button(QWizard.WizardButton.CancelButton).setEnabled(False)
        wizard.started = True
        if wizard.before_restore is not None:
            wizard.before_restore()  # the caller closes its database and the folder
        paths, key, role = wizard.paths, wizard.key, wizard.role

        def work(progress: Progress) -> RestoreReport:
            return restore(info.path, paths, key, role=role, progress=progress.report)

        self.task = run_task(self, work, self._restored, self._failed,
                             on_progress=self._progress)

    def _progress(self, done: int, total: int, label: str) -> None:
        self.bar.setRange(0, total)
        self.bar.setValue(done)
        self.step.setText(label)

    def _restored(self, report: RestoreReport) -> None:
        self._finish()
        self.bar.setValue(self.bar.maximum())
        self.step.setText(_("The backup was restored."))
        lines = [*report.summary_lines(), "",
                 _("Press Finish: OMA Desktop closes. Open it again to work with the restored "
                   "database.")]
        self.result.setText("\n".join(lines))
        self.result.setStyleSheet(_OK_STYLE)
        self._wizard.report = report
        self._wizard.restored.emit(report)

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.step.setText(_("The backup could not be restored."))
        log.error("restore failed: %s", type(exc).__name__)
        closing = (_("Press Finish: OMA Desktop closes; open it again.")
                   if self._wizard.before_restore is not None else "")
        self.result.setText("\n\n".join(filter(None, [str(exc), closing])))
        self.result.setStyleSheet(_ERROR_STYLE)
        self._wizard.error = exc

    def _finish(self) -> None:
        self.task = None
        self.done = True
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.done


class RestoreAssistant(QWizard):
    """Choose → confirm → restore. ``folders`` are where backups are looked for
    (``services.backup.known_folders``); ``before_restore`` closes the caller's database;
    ``role`` is the acting account's (the service refuses a role that may not restore).
    """

    restored = Signal(object)  # RestoreReport, once the backup is in place

    def __init__(
        self,
        paths: DataPaths,
        key: Key,
        folders: list[Path],
        *,
        before_restore: Callable[[], None] | None = None,
        preselect: Path | None = None,
        damage: str = "",
        role: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("restore_assistant")
        self.setWindowTitle(_("Restore a backup"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.paths = paths
        self.key = key
        self.folders = folders
        self.before_restore = before_restore
        self.preselect = preselect
        self.role = role
        self.started = False  # once the restore began (the caller's database is closed)
        self.report: RestoreReport | None = None
        self.error: BaseException | None = None
        self.choose_page = ChoosePage(self, damage)
        self.confirm_page = ConfirmPage(self)
        self.run_page = RunPage(self)
        for page in (self.choose_page, self.confirm_page, self.run_page):
            self.addPage(page)
        self.resize(760, 520)

    def chosen(self) -> BackupInfo | None:
        return self.choose_page.chosen()

    def reject(self) -> None:
        if self.started and not self.run_page.done:
            return  # the restore is running: it cannot be stopped half-way
        super().reject()


def offer_restore(
    parent: QWidget | None,
    paths: DataPaths,
    key: Key,
    *,
    message: str,
    before_restore: Callable[[], None] | None = None,
    on_finished: Callable[[RestoreReport | None], None] | None = None,
    role: str | None = None,
) -> QMessageBox:
    """Tell the clerk the database is damaged (``message``, from the start-up check or the
    failed opening) and offer the restore assistant. Non-blocking: returns the message box,
    already open. ``on_finished(report)`` is called once the clerk is done (``None``: no
    restore was made), so the caller can close the program or open the database again.
    ``role`` (the signed-in account's): a role that may not restore is told whom to ask."""
    may_restore = role is None or allowed(role, Permission.RESTORE)
    advice = (_("You can restore the latest good backup now. The damaged database is kept "
                "aside, not deleted.") if may_restore else
              _("Ask the casa's administrator to restore the latest good backup (Administración "
                "→ Backups), or call technical support. Do not delete any file."))
    box = QMessageBox(QMessageBox.Icon.Critical, _("The database is damaged"),
                      "\n\n".join([message, advice]), QMessageBox.StandardButton.NoButton,
                      parent)
    box.setObjectName("damaged_database_message")
    restore_button = box.addButton(_("&Restore a backup…"), QMessageBox.ButtonRole.AcceptRole)
    restore_button.setObjectName("offer_restore_button")
    restore_button.setVisible(may_restore)
    close_button = box.addButton(_("&Close"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore_button if may_restore else close_button)

    def answered() -> None:
        if box.clickedButton() is not restore_button:
            if on_finished is not None:
                on_finished(None)
            return
        folders = known_folders(paths, key=key)
        assistant = RestoreAssistant(paths, key, folders, before_restore=before_restore,
                                     damage=message, role=role, parent=parent)
        assistant.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setProperty("assistant", assistant)  # found by tests and the caller
        if on_finished is not None:
            assistant.finished.connect(lambda _result: on_finished(assistant.report))
        assistant.open()

    box.finished.connect(lambda _result: answered())
    box.open()
    return box


def offer_restore_for(window: QWidget, ctx: AppContext, message: str) -> QMessageBox:
    """:func:`offer_restore` for the running app (``ui/app.start_verification`` when the
    start-up check finds the file damaged): the app's database is closed only when the
    restore starts, the signed-in role is checked, and once a restore started — done or
    failed — the window closes, since the database must be opened again."""
    box = offer_restore(window, ctx.paths, ctx.key, message=message,
                        before_restore=ctx.close, role=ctx.actor.role,
                        on_finished=lambda _report: _close_if_started(window, box))
    return box


def _close_if_started(window: QWidget, box: QMessageBox) -> None:
    assistant = box.property("assistant")
    if isinstance(assistant, RestoreAssistant) and assistant.started:
        QTimer.singleShot(0, window.close)
