"""The session locks itself after inactivity (issue #9, point 2).

Front-desk PCs are shared: after ``Security/lock_after_minutes`` (settings.ini in the data
folder; 10 by default) without a key pressed or the mouse used anywhere in the app, or at
once with Ctrl+L («Bloquear ahora»), every window of the app is covered and the main
window's pages are hidden, so no personal data stays on screen. A «Sesión bloqueada»
dialog asks the same user's password («Desbloquear»: the password is checked against the
key file, failures count like failed logins) or lets the user «Cerrar sesión» (the window
closes and the login dialog comes back).

Dialogs that were open stay open (with what was typed in them) under their covers, and
come back as they were when the session is unlocked. The interval is injected
(``interval_ms``) so tests use milliseconds.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeyEvent, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from oma_desktop import APP_NAME
from oma_desktop.core.errors import OmaError
from oma_desktop.core.keyring import LoginError, LoginLockedError
from oma_desktop.i18n import _
from oma_desktop.logs import log_exception
from oma_desktop.paths import DataPaths
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import role_label
from oma_desktop.services.status import installation_facts
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.login import Countdown, PasswordEdit, wait_text

log = logging.getLogger(__name__)
SETTINGS_KEY = "Security/lock_after_minutes"
DEFAULT_MINUTES = 10
MAX_MINUTES = 240
LOCK_SHORTCUT = "Ctrl+L"
# what counts as somebody at the PC
ACTIVITY_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
})


def lock_after_minutes(paths: DataPaths) -> int:
    """The local setting (minutes, 1 to 240; the default when missing or not a number)."""
    value = QSettings(str(paths.settings), QSettings.Format.IniFormat).value(SETTINGS_KEY)
    try:
        minutes = int(str(value)) if value is not None else DEFAULT_MINUTES
    except ValueError:
        return DEFAULT_MINUTES
    return min(max(minutes, 1), MAX_MINUTES)


class _Cover(QWidget):
    """An opaque sheet over a window's whole client area while the session is locked."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("lock_cover")
        self.setAutoFillBackground(True)
        label = QLabel(_("The session is locked"))
        label.setFont(scaled(label.font(), 1.5, bold=True))
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        QVBoxLayout(self).addWidget(label)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        parent = self.parentWidget()
        if parent is not None and watched is parent and event.type() == QEvent.Type.Resize:
            self.setGeometry(parent.rect())
            self.raise_()
        return False


class LockDialog(QDialog):
    """«Sesión bloqueada»: the user's password to go on, or «Cerrar sesión»."""

    unlocked = Signal()
    logout = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("lock_dialog")
        self.setWindowTitle(_("Session locked — {app}").format(app=APP_NAME))
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.setMinimumWidth(460)
        title = QLabel(_("The session is locked"))
        title.setFont(scaled(title.font(), 1.6, bold=True))
        actor = ctx.actor
        username = ctx.vault.username if ctx.vault is not None else ""
        who = installation_facts(ctx.session).user_name or username
        self.user_label = QLabel(_("{name} ({user}), {role}").format(
            name=who, user=username, role=role_label(actor.role)))
        self.user_label.setFont(scaled(self.user_label.font(), 1.1))
        self.user_label.setWordWrap(True)
        explain = QLabel(_("The session was locked so that nobody else sees the records."
                           " Write your password to go on, or close the session so that"
                           " another person can log in."))
        explain.setWordWrap(True)
        self.password = PasswordEdit(_("Password"))
        self.message = QLabel()
        self.message.setObjectName("lock_message")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b71c1c;")
        self.unlock_button = QPushButton(_("Unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.setFont(scaled(self.unlock_button.font(), 1.0, bold=True))
        self.unlock_button.clicked.connect(self.try_unlock)
        self.logout_button = QPushButton(_("Log out"))
        self.logout_button.setAutoDefault(False)
        self.logout_button.clicked.connect(self.logout.emit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.logout_button)
        password_label = QLabel(_("&Password"))
        password_label.setBuddy(self.password.edit)
        row = QHBoxLayout()
        row.addWidget(password_label)
        row.addWidget(self.password, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(title)
        layout.addWidget(self.user_label)
        layout.addWidget(explain)
        layout.addSpacing(6)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.countdown = Countdown(self._show_wait, self)

    def try_unlock(self) -> bool:
        vault = self.ctx.vault
        if vault is None or self.countdown.remaining:
            return False
        if not self.password.text():
            self.message.setText(_("Write your password."))
            self.password.setFocus()
            return False
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            vault.keyring.unlock(vault.username, self.password.text())
        except LoginLockedError as exc:
            self.password.clear()
            self.countdown.start(exc.wait_s)
            return False
        except LoginError:
            self.message.setText(_("The password is not correct. Check that Caps Lock is off"
                                   " and try again."))
            self.password.clear()
            self.password.setFocus()
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        self.password.clear()
        self.message.clear()
        self.unlocked.emit()
        return True

    def _show_wait(self, remaining: int) -> None:
        if remaining:
            self.message.setText(_(
                "Too many failed attempts for this account. You can try again in {time}"
                " (minutes:seconds), or ask the casa's administrator to reset the"
                " password.").format(time=wait_text(remaining)))
        else:
            self.message.setText(_("You can try again now."))
            self.password.setFocus()
        self.unlock_button.setEnabled(not remaining)

    def reject(self) -> None:  # Escape does not unlock
        return

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            return
        super().keyPressEvent(event)


class InactivityLock(QObject):
    """Locks ``window`` (and the app's other windows) after ``interval_ms`` without input."""

    locked = Signal()
    unlocked = Signal()
    logout_requested = Signal()

    def __init__(self, window: QMainWindow, ctx: AppContext, interval_ms: int) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = ctx
        self.dialog: LockDialog | None = None
        self._covers: list[_Cover] = []
        self._disabled: list[QAction | QShortcut] = []
        self._focus_before: QWidget | None = None  # where the clerk was typing at the lock
        self._central_was_visible = True
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.lock)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.timer.start()

    def set_interval(self, interval_ms: int) -> None:
        self.timer.setInterval(interval_ms)
        if not self.is_locked():
            self.timer.start()

    def is_locked(self) -> bool:
        return self.dialog is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in ACTIVITY_EVENTS and self.dialog is None:
            self.timer.start()  # restarts the count
        return False

    def stop(self) -> None:
        """No more locking (the window is closing)."""
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    # --- locking --------------------------------------------------------------------------

    def lock(self) -> None:
        if self.dialog is not None or self.ctx.vault is None:
            return
        self.timer.stop()
        window = self.window
        # where the clerk was typing: the unlock puts the focus back there
        self._focus_before = QApplication.focusWidget()
        for widget in QApplication.topLevelWidgets():
            if widget.isVisible() and not isinstance(widget, LockDialog):
                self._covers.append(_Cover(widget))
        central = window.centralWidget()
        self._central_was_visible = central is not None and central.isVisible()
        if central is not None:
            central.hide()
        items: list[QAction | QShortcut] = [*window.findChildren(QAction),
                                            *window.findChildren(QShortcut)]
        for item in items:
            if item.isEnabled():
                item.setEnabled(False)
                self._disabled.append(item)
        window.menuBar().setEnabled(False)
        self.dialog = LockDialog(self.ctx, window)
        self.dialog.unlocked.connect(self._unlock)
        self.dialog.logout.connect(self.logout_requested.emit)
        self.dialog.show()
        self.dialog.activateWindow()
        self.dialog.password.setFocus()
        record_quietly(self.ctx, "session_locked")
        self.locked.emit()

    def _unlock(self) -> None:
        for cover in self._covers:
            cover.deleteLater()
        self._covers.clear()
        for item in self._disabled:
            item.setEnabled(True)
        self._disabled.clear()
        self.window.menuBar().setEnabled(True)
        central = self.window.centralWidget()
        if central is not None and self._central_was_visible:
            central.show()
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.hide()
            dialog.deleteLater()
        focus, self._focus_before = self._focus_before, None
        if focus is not None and focus.isVisible():
            focus.window().activateWindow()
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self.timer.start()
        self.unlocked.emit()


def record_quietly(ctx: AppContext, action: str) -> None:
    """An audit entry for the session (locked, logged out) that never stops the lock: if it
    cannot be written now (the start-up check still holds writes) it is only logged."""
    from oma_desktop.services import audit

    try:
        audit.record(ctx.session, action)
    except OmaError as exc:
        log_exception(log, f"audit entry {action} not written", exc)


def install_lock(window: QMainWindow, ctx: AppContext,
                 interval_ms: int | None = None) -> InactivityLock | None:
    """The inactivity lock of ``window``; None when the folder has no accounts (a plain
    folder opened without logging in: there is no password to unlock with)."""
    if ctx.vault is None:
        return None
    if interval_ms is None:
        interval_ms = lock_after_minutes(ctx.paths) * 60_000
    return InactivityLock(window, ctx, interval_ms)
