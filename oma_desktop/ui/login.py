"""Logging in (issue #9): the dialog ``run_gui`` shows before the main window.

Three pages in one dialog:

- **Entrar**: user name and password. The password unwraps the database key
  (``services.accounts.unlock_folder``, Argon2id: a fraction of a second, longer when a
  plain database is converted), so the folder is opened on a worker thread with the
  dialog busy; the opened context is handed over to the GUI thread when it is done (its
  connection allows that). A wrong password or a lockout is said in red in the dialog: the
  user name stays, the password is cleared; a lockout counts down and lets the user try
  again when it ends.
- **Crear la cuenta de administración**: in a folder without a key file (a new
  installation, or a plain database to be encrypted once) the first account is created;
  it is the casa's administrator.
- **Cambiar la contraseña**: an account whose password was reset must choose a new one
  before going on; the only other way out is «Salir».

The dialog never touches the database by path: it calls the ``opener`` it is given
(``open_context`` with the installation's options) and services on the opened context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from oma_desktop import APP_NAME
from oma_desktop.core.errors import DamagedDatabaseError, OmaError, ValidationError
from oma_desktop.core.keyring import (
    MIN_PASSWORD_LENGTH,
    LoginError,
    LoginLockedError,
    PasswordRuleError,
    check_password_rules,
)
from oma_desktop.i18n import _
from oma_desktop.paths import DataPaths
from oma_desktop.services.accounts import (
    ADMIN_USERNAME,
    Credentials,
    change_own_password,
    folder_is_protected,
    rename_account,
)
from oma_desktop.services.context import AppContext
from oma_desktop.ui.about import ORGANIZATION
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.tasks import TaskHandle, run_task
from oma_desktop.ui.widgets.forms import FieldErrors

Opener = Callable[[Credentials], AppContext]
ERROR_STYLE = "color: #b71c1c;"
DIALOG_WIDTH = 520


def password_rules_text() -> str:
    return _("The password needs at least {n} characters and must not contain the user name."
             " A short sentence that is easy to remember works well, for example three or"
             " four words and a number.").format(n=MIN_PASSWORD_LENGTH)


def wait_text(seconds: int) -> str:
    """``seconds`` as «0:45» / «12:05» (minutes:seconds), free of plural forms."""
    return f"{seconds // 60}:{seconds % 60:02d}"


class PasswordEdit(QWidget):
    """A password line with a «Mostrar» toggle beside it."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setAccessibleName(accessible_name)
        self.show_button = QPushButton(_("Show"))
        self.show_button.setCheckable(True)
        self.show_button.setAutoDefault(False)
        self.show_button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.show_button.setAccessibleName(_("Show the password"))
        self.show_button.toggled.connect(self._toggle)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.show_button)
        self.setFocusProxy(self.edit)

    def _toggle(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown
                              else QLineEdit.EchoMode.Password)
        self.show_button.setText(_("Hide") if shown else _("Show"))

    def text(self) -> str:
        return self.edit.text()

    def clear(self) -> None:
        self.edit.clear()


def _message_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setAccessibleName(_("Message"))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class FirstAccountFields:
    """The fields of a data folder's first administration account (user name, name,
    password twice) in a form whose rows mark refused fields through ``errors``; the login
    dialog (a plain folder converted) and the first-run assistant both use it.
    ``repeat_key`` is the error key of the repeated password."""

    def __init__(self, errors: FieldErrors, repeat_key: str) -> None:
        self.user = QLineEdit(ADMIN_USERNAME)
        self.user.setAccessibleName(_("User name"))
        self.name = QLineEdit()
        self.name.setAccessibleName(_("Your name"))
        self.name.setPlaceholderText(_("e.g. Rosa Huamán Torres"))
        self.password = PasswordEdit(_("Password"))
        self.repeat = PasswordEdit(_("Repeat the password"))
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.addRow(_("&User name"), errors.with_label("username", self.user))
        self.form.addRow(_("Your &name"), errors.with_label("display_name", self.name))
        self.form.addRow(_("&Password"), errors.with_label("password", self.password))
        self.form.addRow(_("&Repeat it"), errors.with_label(repeat_key, self.repeat))


class Countdown:
    """Seconds left before a locked-out account may try again; :meth:`tick` once a second
    (a timer does it; tests call it)."""

    def __init__(self, on_tick: Callable[[int], None], owner: QWidget) -> None:
        self.remaining = 0
        self._on_tick = on_tick
        self.timer = QTimer(owner)  # dies with its dialog
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.tick)

    def start(self, seconds: int) -> None:
        self.remaining = max(0, seconds)
        self._on_tick(self.remaining)
        if self.remaining:
            self.timer.start()

    def tick(self) -> None:
        self.remaining = max(0, self.remaining - 1)
        if not self.remaining:
            self.timer.stop()
        self._on_tick(self.remaining)

    def stop(self) -> None:
        self.timer.stop()
        self.remaining = 0


class ChangePasswordForm(QWidget):
    """Current password, new one twice: the logged-in user changes their own password."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.errors = FieldErrors()
        self.current = PasswordEdit(_("Current password"))
        self.new = PasswordEdit(_("New password"))
        self.repeat = PasswordEdit(_("Repeat the new password"))
        rules = QLabel(password_rules_text())
        rules.setWordWrap(True)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("&Current password"), self.errors.with_label("current", self.current))
        form.addRow(_("&New password"), self.errors.with_label("password", self.new))
        form.addRow(_("&Repeat it"), self.errors.with_label("repeat", self.repeat))
        self.message = _message_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(rules)
        layout.addWidget(self.message)

    def submit(self) -> bool:
        """Change the password; False (with the reason shown) when it was not changed."""
        self.errors.clear()
        self.message.clear()
        vault = self.ctx.vault
        if vault is None:  # a plain folder opened without an account (tests)
            self.message.setText(_("This data folder has no accounts: there is no password"
                                   " to change."))
            return False
        errors: dict[str, str] = {}
        if not self.current.text():
            errors["current"] = _("Write your current password.")
        if self.new.text() != self.repeat.text():
            errors["repeat"] = _("The two new passwords are not the same. Write them again.")
        else:
            try:
                check_password_rules(self.new.text(), vault.username)
            except PasswordRuleError as exc:
                errors["password"] = str(exc)
        if not errors:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                change_own_password(self.ctx.session, vault, self.current.text(),
                                    self.new.text())
            except LoginLockedError as exc:
                errors["current"] = str(exc)
            except LoginError:
                errors["current"] = _("The current password is not correct.")
            except PasswordRuleError as exc:
                errors["password"] = str(exc)
            finally:
                QGuiApplication.restoreOverrideCursor()
        if errors:
            self.errors.show(errors)
            if "current" in errors:
                self.current.clear()
            if "repeat" in errors or "password" in errors:
                self.new.clear()
                self.repeat.clear()
            focus = self.errors.first_invalid(errors)
            (focus or self.current).setFocus()
            return False
        self.ctx.must_change_password = False
        for field in (self.current, self.new, self.repeat):
            field.clear()
        self.changed.emit()
        return True


class ChangePasswordDialog(QDialog):
    """«Cambiar mi contraseña…» (any user, from the main window's menu)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Change my password"))
        self.setMinimumWidth(DIALOG_WIDTH)
        self.form = ChangePasswordForm(ctx)
        self.change_button = QPushButton(_("Change the password"))
        self.change_button.setDefault(True)
        self.change_button.clicked.connect(self._submit)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.change_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addLayout(buttons)
        self.form.current.setFocus()

    def _submit(self) -> None:
        if self.form.submit():
            self.accept()


class LoginDialog(QDialog):
    """Log in, or create the folder's first account; the opened context is
    :attr:`context` once the dialog is accepted (the caller closes it)."""

    LOGIN, FIRST_ACCOUNT, CHANGE_PASSWORD = range(3)

    def __init__(self, data_dir: Path, opener: Opener, username: str = "",
                 casa_name: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("login_dialog")
        self.setWindowTitle(_("Log in — {app}").format(app=APP_NAME))
        self.setMinimumWidth(DIALOG_WIDTH)
        self.paths = DataPaths(Path(data_dir))
        self.opener = opener
        self.context: AppContext | None = None
        self.task: TaskHandle[AppContext] | None = None
        self.first_account = not folder_is_protected(self.paths)
        self.converts = self.first_account and self.paths.database.exists()

        title = QLabel(APP_NAME)
        title.setFont(scaled(title.font(), 1.8, bold=True))
        office = _("Municipal offices for migrant neighbours")
        subtitle = QLabel("\n".join(filter(None, (casa_name, office, ORGANIZATION))))
        subtitle.setObjectName("login_subtitle")
        subtitle.setWordWrap(True)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_login(username))
        self.pages.addWidget(self._build_first_account())
        self.pages.addWidget(self._build_change_page())

        self.enter_button = QPushButton(_("Log in"))
        self.enter_button.setObjectName("enter_button")
        self.enter_button.setDefault(True)
        self.enter_button.setFont(scaled(self.enter_button.font(), 1.0, bold=True))
        self.enter_button.clicked.connect(self.submit)
        self.quit_button = QPushButton(_("Exit"))
        self.quit_button.setAutoDefault(False)
        self.quit_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.enter_button)
        buttons.addWidget(self.quit_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(8)
        layout.addWidget(self.pages)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.countdown = Countdown(self._show_wait, self)
        self._show_page(self.FIRST_ACCOUNT if self.first_account else self.LOGIN)

    # --- pages ----------------------------------------------------------------------------

    def _build_login(self, username: str) -> QWidget:
        page = QWidget()
        self.user_edit = QLineEdit(username)
        self.user_edit.setAccessibleName(_("User name"))
        self.password = PasswordEdit(_("Password"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("&User"), self.user_edit)
        form.addRow(_("&Password"), self.password)
        self.login_message = _message_label()
        self.login_message.setObjectName("login_message")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.login_message)
        layout.addStretch(1)
        return page

    def _build_first_account(self) -> QWidget:
        page = QWidget()
        heading = QLabel(_("Create the administration account"))
        heading.setFont(scaled(heading.font(), 1.2, bold=True))
        intro = QLabel(_("This is the first time OMA Desktop opens this data folder. The first"
                         " account is the casa's administration: it creates the accounts of"
                         " the staff and resets their passwords when they forget them."))
        intro.setWordWrap(True)
        self.first_errors = FieldErrors()
        fields = FirstAccountFields(self.first_errors, "repeat")
        self.first_user, self.first_name = fields.user, fields.name
        self.first_password, self.first_repeat = fields.password, fields.repeat
        form = fields.form
        rules = QLabel(password_rules_text())
        rules.setWordWrap(True)
        notice_text = _("The data of this PC will be encrypted: without the password of one of"
                        " its accounts nobody can read them. Keep the administration password"
                        " safe: if it is forgotten, only headquarters can recover the data.")
        if self.converts:
            notice_text += " " + _("The records already on this PC are encrypted once now,"
                                   " after a backup; it may take a minute.")
        self.notice = QLabel(notice_text)
        self.notice.setObjectName("encryption_notice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("background: #fff8e1; border: 1px solid #ffcc80;")
        self.notice.setMargin(6)
        self.first_message = _message_label()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(rules)
        layout.addWidget(self.notice)
        layout.addWidget(self.first_message)
        return page

    def _build_change_page(self) -> QWidget:
        page = QWidget()
        heading = QLabel(_("Choose a new password"))
        heading.setFont(scaled(heading.font(), 1.2, bold=True))
        intro = QLabel(_("Your password was reset by the administration. Before going on,"
                         " choose a new one that only you know."))
        intro.setWordWrap(True)
        self.change_box = QVBoxLayout(page)
        self.change_box.setContentsMargins(0, 0, 0, 0)
        self.change_box.addWidget(heading)
        self.change_box.addWidget(intro)
        self.change_form: ChangePasswordForm | None = None  # made once logged in
        return page

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        for i in range(self.pages.count()):  # the dialog is as tall as the page shown
            policy = (QSizePolicy.Policy.Preferred if i == index
                      else QSizePolicy.Policy.Ignored)
            page = self.pages.widget(i)
            if page is not None:
                page.setSizePolicy(policy, policy)
        self.adjustSize()
        texts = {self.LOGIN: _("Log in"), self.FIRST_ACCOUNT: _("Create and log in"),
                 self.CHANGE_PASSWORD: _("Change the password")}
        self.enter_button.setText(texts[index])
        if index == self.LOGIN:
            (self.password if self.user_edit.text() else self.user_edit).setFocus()
        elif index == self.FIRST_ACCOUNT:
            self.first_name.setFocus()

    def current_page(self) -> int:
        return self.pages.currentIndex()

    # --- submitting -----------------------------------------------------------------------

    def submit(self) -> None:
        if self.busy() or self.countdown.remaining:
            return
        page = self.current_page()
        if page == self.CHANGE_PASSWORD:
            if self.change_form is not None and self.change_form.submit():
                self.accept()
            return
        if page == self.FIRST_ACCOUNT:
            credentials = self._first_credentials()
            if credentials is None:
                return
        else:
            self.login_message.clear()
            if not self.user_edit.text().strip():
                self._login_failed(_("Write your user name."), self.user_edit)
                return
            if not self.password.text():
                self._login_failed(_("Write your password."), self.password)
                return
            credentials = Credentials(self.user_edit.text().strip(), self.password.text())
        self._set_busy(True)
        opener = self.opener
        self.task = run_task(self, lambda _progress: _open(opener, credentials), self._opened,
                             self._failed)

    def _first_credentials(self) -> Credentials | None:
        self.first_errors.clear()
        self.first_message.clear()
        username = self.first_user.text().strip()
        errors: dict[str, str] = {}
        if not username:
            errors["username"] = _("Write a user name, for example admin.")
        if not self.first_name.text().strip():
            errors["display_name"] = _("Write your name as it should appear on slips.")
        if self.first_password.text() != self.first_repeat.text():
            errors["repeat"] = _("The two passwords are not the same. Write them again.")
        else:
            try:
                check_password_rules(self.first_password.text(), username)
            except PasswordRuleError as exc:
                errors["password"] = str(exc)
        if errors:
            self._first_failed(errors)
            return None
        return Credentials(username, self.first_password.text())

    def _first_failed(self, errors: dict[str, str]) -> None:
        self.first_errors.show(errors)
        self.adjustSize()
        self.first_message.setText(_("Check the marked fields."))
        if "password" in errors or "repeat" in errors:
            self.first_password.clear()
            self.first_repeat.clear()
        focus = self.first_errors.first_invalid(errors)
        if focus is not None:
            focus.setFocus()

    def _opened(self, ctx: AppContext) -> None:
        self._set_busy(False)
        self.task = None
        if self.current_page() == self.FIRST_ACCOUNT:
            try:
                rename_account(ctx.session, ctx.user_id, self.first_name.text())
            except ValidationError as exc:  # pragma: no cover - checked before
                self.first_message.setText(str(exc))
            else:
                actor = replace(ctx.actor, display_name=" ".join(self.first_name.text().split()))
                ctx.actor = ctx.session.actor = actor
        self.context = ctx
        if ctx.must_change_password:
            self.change_form = ChangePasswordForm(ctx)
            self.change_box.addWidget(self.change_form)
            self.change_box.addStretch(1)
            self._show_page(self.CHANGE_PASSWORD)
            self.change_form.current.setFocus()
            return
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.task = None
        if not isinstance(exc, OmaError):
            raise exc  # a bug: the application's error dialog shows it
        if self.current_page() == self.FIRST_ACCOUNT:
            if isinstance(exc, PasswordRuleError):
                self._first_failed({"password": str(exc)})
            else:
                self.first_message.setText(str(exc))
            return
        if isinstance(exc, LoginLockedError):
            self.password.clear()
            self.countdown.start(exc.wait_s)
            return
        if isinstance(exc, DamagedDatabaseError) and self._offer_restore(exc):
            return
        self._login_failed(str(exc), self.password)

    def _offer_restore(self, damage: DamagedDatabaseError) -> bool:
        """A damaged database found at login: the restore assistant, with the key the
        password unwraps (the password was right: only the file is damaged)."""
        from oma_desktop.services.accounts import database_key
        from oma_desktop.ui.respaldo.assistant import offer_restore

        credentials = Credentials(self.user_edit.text().strip(), self.password.text())
        try:
            key = database_key(self.paths, credentials)
        except OmaError:
            return False
        self.login_message.setText(str(damage))
        self.password.clear()
        offer_restore(self, self.paths, key, message=str(damage), role=None)
        return True

    def _login_failed(self, message: str, focus: QWidget) -> None:
        self.login_message.setText(message)
        self.password.clear()
        focus.setFocus()

    def _show_wait(self, remaining: int) -> None:
        if remaining:
            self.login_message.setText(_(
                "Too many failed attempts for this account. You can try again in {time}"
                " (minutes:seconds), or ask the casa's administrator to reset the"
                " password.").format(time=wait_text(remaining)))
            self.enter_button.setEnabled(False)
        else:
            self.login_message.setText(_("You can try again now."))
            self.enter_button.setEnabled(True)
            self.password.setFocus()

    def busy(self) -> bool:
        return self.task is not None

    def _set_busy(self, busy: bool) -> None:
        page = self.current_page()
        for widget in (self.pages, self.enter_button, self.quit_button):
            widget.setEnabled(not busy)
        if busy:
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            text = (_("Creating the account and encrypting the data…")
                    if page == self.FIRST_ACCOUNT else _("Checking the password…"))
            (self.first_message if page == self.FIRST_ACCOUNT else self.login_message).setText(
                text)
        else:
            QGuiApplication.restoreOverrideCursor()

    # --- leaving --------------------------------------------------------------------------

    def reject(self) -> None:
        if self.busy():
            return  # the folder is being opened: wait for it (then «Salir» works)
        self.countdown.stop()
        if self.context is not None:  # «Salir» instead of the forced password change
            self.context.close()
            self.context = None
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy():
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.busy():
            return
        super().keyPressEvent(event)


def _open(opener: Opener, credentials: Credentials) -> AppContext:
    return opener(credentials)


def log_in(data_dir: Path, opener: Opener, username: str = "",
           casa_name: str = "") -> AppContext | None:
    """Show the login dialog until the user is in (the context, which the caller closes)
    or leaves with «Salir» (None)."""
    dialog = LoginDialog(data_dir, opener, username=username, casa_name=casa_name)
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.context
    finally:
        dialog.deleteLater()


