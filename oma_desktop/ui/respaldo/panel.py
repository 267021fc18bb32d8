"""«Copias de seguridad» in Administración: the folder, «Hacer copia ahora», the list of
copies and «Restaurar…»; and the daily backup timer of the main window.

Every copy is made and listed off the GUI thread, on a job's own session
(``ui.tasks.run_job``); the restore goes through the assistant, which closes the app's
database first, so the window closes when it is done.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError
from oma_desktop.i18n import _
from oma_desktop.logs import log_exception
from oma_desktop.services import backup as backups
from oma_desktop.services.backup import BackupInfo, Reason
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission, denied
from oma_desktop.services.session import Session
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.respaldo.assistant import RestoreAssistant
from oma_desktop.ui.respaldo.model import backup_table
from oma_desktop.ui.tasks import Progress, TaskHandle, default_error_handler, run_job

log = logging.getLogger(__name__)

# how often the main window checks whether the day's backup is due (ms)
DAILY_CHECK_MS = 60 * 60 * 1000
_ERROR_STYLE = "color: #b71c1c;"
_OK_STYLE = "color: #1b5e20;"


def _listing(session: Session, _progress: Progress) -> tuple[Path, list[BackupInfo]]:
    return backups.backup_folder(session), backups.list_backups(session)


class BackupsPanel(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        session = ctx.session
        title = QLabel(_("Backups"))
        title.setFont(scaled(title.font(), 1.3, bold=True))
        intro = QLabel(_(
            "OMA Desktop copies the database every day, before each import and before "
            "updating the program. Every copy is verified when it is made. It keeps the copies "
            "of the last 7 days, one a week for 4 weeks and one a month for 12 months, and the "
            "last 10 of the other copies."))
        intro.setWordWrap(True)
        self.folder_label = QLabel()
        self.folder_label.setObjectName("backup_folder")
        self.folder_label.setWordWrap(True)
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_button = QPushButton(_("Change &folder…"))
        self.folder_button.clicked.connect(lambda: self.choose_folder())
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.folder_button)

        self.model, self.table = backup_table("backup_list")

        self.message = QLabel()
        self.message.setObjectName("backup_message")
        self.message.setWordWrap(True)
        self.backup_button = QPushButton(_("&Back up now"))
        self.backup_button.clicked.connect(lambda: self.backup_now())
        self.restore_button = QPushButton(_("&Restore…"))
        self.restore_button.clicked.connect(lambda: self.open_assistant())
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.backup_button)
        buttons.addWidget(self.restore_button)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(folder_row)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        for button, permission in ((self.backup_button, Permission.BACKUP),
                                   (self.folder_button, Permission.BACKUP),
                                   (self.restore_button, Permission.RESTORE)):
            if not session.can(permission):
                button.setEnabled(False)
                button.setToolTip(str(denied(session.actor.role, permission)))
        self.task: TaskHandle[object] | None = None
        self.assistant: RestoreAssistant | None = None
        self.refresh()

    # --- list -----------------------------------------------------------------------------

    def refresh(self) -> None:
        self.folder_label.setText(_("Folder: {folder}").format(
            folder=backups.backup_folder(self.ctx.session)))
        self.table.setEnabled(False)
        run_job(self, self.ctx, _listing, self._listed)

    def _listed(self, result: tuple[Path, list[BackupInfo]]) -> None:
        folder, listed = result
        self.folder_label.setText(_("Folder: {folder}").format(folder=folder))
        self.model.set_backups(listed)
        self.table.setEnabled(True)
        if listed:
            self.table.selectRow(0)

    def selected(self) -> BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.backup_at(rows[0].row()) if rows else None

    # --- actions --------------------------------------------------------------------------

    def backup_now(self) -> None:
        def work(session: Session, _progress: Progress) -> BackupInfo:
            return backups.make_backup(session, Reason.MANUAL)

        self._say(_("Making the backup…"), ok=True)
        self.backup_button.setEnabled(False)
        run_job(self, self.ctx, work, self._backed_up, self._failed,
                title=_("Making a backup"))

    def _backed_up(self, info: BackupInfo) -> None:
        self.backup_button.setEnabled(True)
        self._say(_("Backup saved and verified: {file}").format(file=info.name), ok=True)
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.backup_button.setEnabled(True)
        if not isinstance(exc, OmaError):
            default_error_handler(self, exc)  # a bug: the error dialog
            return
        self._say(str(exc), ok=False)

    def choose_folder(self, folder: str | None = None) -> bool:
        if folder is None:
            folder = QFileDialog.getExistingDirectory(
                self, _("Folder for the backups"),
                str(backups.backup_folder(self.ctx.session)))
            if not folder:
                return False
        try:
            chosen = backups.set_backup_folder(self.ctx.session, folder)
        except OmaError as exc:
            self._say(str(exc), ok=False)
            return False
        self._say(_("New backups will be saved in {folder}.").format(folder=chosen), ok=True)
        self.refresh()
        return True

    def open_assistant(self) -> RestoreAssistant:
        ctx = self.ctx
        chosen = self.selected()
        assistant = RestoreAssistant(
            ctx.paths, ctx.key, backups.known_folders(ctx.paths, ctx.session),
            before_restore=ctx.close, preselect=chosen.path if chosen else None,
            role=ctx.actor.role, parent=self)
        assistant.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        assistant.finished.connect(lambda _r: self._assistant_closed(assistant))
        self.assistant = assistant
        assistant.open()
        return assistant

    def _assistant_closed(self, assistant: RestoreAssistant) -> None:
        self.assistant = None
        if assistant.started:  # the database was closed for the restore: start again
            window = self.window()
            QTimer.singleShot(0, window.close)

    def _say(self, text: str, ok: bool) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(_OK_STYLE if ok else _ERROR_STYLE)


class BackupsDialog(QDialog):
    """The panel in a window of its own, opened from Administración."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backups_dialog")
        self.setWindowTitle(_("Backups"))
        self.panel = BackupsPanel(ctx, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel, 1)
        layout.addWidget(buttons)
        self.resize(860, 540)


class DailyBackups(QObject):
    """Makes the day's backup when due: once now and then every hour (off the GUI thread).
    A failure is logged and shown once a day, never every hour."""

    def __init__(self, window: QWidget, ctx: AppContext, interval_ms: int = DAILY_CHECK_MS,
                 ) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        self.warned_on: dt.date | None = None
        self.last: BackupInfo | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        self.running = False

    def check(self) -> None:
        if self.running or self.ctx.session.closed:
            return
        self.running = True
        run_job(self.window, self.ctx, lambda s, _p: backups.daily_backup_if_due(s),
                self._done, self._failed)

    def _done(self, info: BackupInfo | None) -> None:
        self.running = False
        if info is not None:
            self.last = info

    def _failed(self, exc: BaseException) -> None:
        self.running = False
        log_exception(log, "daily backup failed", exc)
        today = dt.date.today()
        if self.warned_on == today or not isinstance(exc, OmaError):
            return
        self.warned_on = today
        box = QMessageBox(QMessageBox.Icon.Warning, _("The daily backup failed"),
                          str(exc), QMessageBox.StandardButton.Close, self.window)
        box.setObjectName("daily_backup_failed")
        box.open()


def start_daily_backups(window: QWidget, ctx: AppContext,
                        interval_ms: int = DAILY_CHECK_MS) -> DailyBackups:
    """Call once the start-up check passed: checks now, then every ``interval_ms``."""
    daily = DailyBackups(window, ctx, interval_ms)
    daily.check()
    return daily
