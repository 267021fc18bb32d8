"""«Cuentas de usuario» (Administración, issue #9 point 2): the staff accounts of the casa.

Administrators (``MANAGE_USERS``) create accounts with a first password the person must
change at the first login, reset a forgotten password (never recovered: a new one is
given, to be changed), and deactivate or reactivate accounts (a deactivated account cannot
log in; reactivating it asks for a new password). The services refuse any other role
whatever this screen shows; the tab is only added for roles that may use it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from oma_desktop.core.errors import OmaError, PermissionDeniedError, ValidationError
from oma_desktop.core.keyring import PasswordRuleError, check_password_rules
from oma_desktop.i18n import N_, _
from oma_desktop.services import accounts
from oma_desktop.services.accounts import Account, Vault
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import roles_for_mode
from oma_desktop.services.status import installation_facts
from oma_desktop.ui.fonts import scaled
from oma_desktop.ui.login import PasswordEdit, password_rules_text
from oma_desktop.ui.models.table_model import RowsTableModel
from oma_desktop.ui.widgets.forms import CodeCombo, FieldErrors

Index = QModelIndex | QPersistentModelIndex
COL_NAME, COL_USERNAME, COL_ROLE, COL_ACTIVE, COL_CAN_LOG_IN, COL_MUST_CHANGE = range(6)
INACTIVE_COLOR = "#757575"


class AccountsModel(RowsTableModel):
    """The accounts of :func:`services.accounts.list_accounts`, one per row."""

    headers = (N_("Name"), N_("User name"), N_("Role"), N_("Active"), N_("Can log in"),
               N_("Must change password"))

    def set_accounts(self, rows: list[Account]) -> None:
        self.set_rows(rows)

    def account(self, row: int) -> Account | None:
        found: Account | None = self.row_object(row)
        return found

    def row_of(self, user_id: str) -> int:
        return next((i for i, a in enumerate(self.rows()) if a.user_id == user_id), -1)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        account = self.account(index.row()) if index.isValid() else None
        if account is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            values = (account.display_name, account.username, account.role_label,
                      _yes_no(account.active), _yes_no(account.can_log_in),
                      _yes_no(account.must_change_password))
            return values[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and not account.active:
            return QBrush(QColor(INACTIVE_COLOR))
        if role == Qt.ItemDataRole.UserRole:
            return account.user_id
        return None


def _submit_row(dialog: QDialog, text: str) -> tuple[QLabel, QPushButton, QHBoxLayout]:
    """A form dialog's last row: its red message, the default button ``text`` (calling the
    dialog's ``submit``) and «Cancelar»."""
    message = QLabel()
    message.setWordWrap(True)
    message.setStyleSheet("color: #b71c1c;")
    button = QPushButton(text)
    button.setDefault(True)
    button.clicked.connect(dialog.submit)  # type: ignore[attr-defined]
    cancel = QPushButton(_("Cancel"))
    cancel.setAutoDefault(False)
    cancel.clicked.connect(dialog.reject)
    row = QHBoxLayout()
    row.addWidget(message, 1)
    row.addWidget(button)
    row.addWidget(cancel)
    return message, button, row


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _check_repeat(password: PasswordEdit, repeat: PasswordEdit, username: str,
                  errors: dict[str, str]) -> None:
    if password.text() != repeat.text():
        errors["repeat"] = _("The two passwords are not the same. Write them again.")
        return
    try:
        check_password_rules(password.text(), username)
    except PasswordRuleError as exc:
        errors["password"] = str(exc)


class NewAccountDialog(QDialog):
    """«Nueva cuenta…»: name, user name, role and a first password (written twice)."""

    def __init__(self, ctx: AppContext, vault: Vault, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.vault = vault
        self.user_id: str | None = None
        self.setWindowTitle(_("New account"))
        self.setMinimumWidth(540)
        self.errors = FieldErrors()
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(_("Name"))
        self.name_edit.setPlaceholderText(_("e.g. Ana Quispe Mamani"))
        self.username_edit = QLineEdit()
        self.username_edit.setAccessibleName(_("User name"))
        self.username_edit.setPlaceholderText(_("e.g. ana.quispe"))
        mode = installation_facts(ctx.session).mode
        self.role_combo = CodeCombo([(r.code, r.shown_label) for r in roles_for_mode(mode)])
        self.role_combo.setAccessibleName(_("Role"))
        self.password = PasswordEdit(_("First password"))
        self.repeat = PasswordEdit(_("Repeat the password"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("&Name"), self.errors.with_label("display_name", self.name_edit))
        form.addRow(_("&User name"), self.errors.with_label("username", self.username_edit))
        form.addRow(_("R&ole"), self.errors.with_label("role", self.role_combo))
        form.addRow(_("First &password"), self.errors.with_label("password", self.password))
        form.addRow(_("&Repeat it"), self.errors.with_label("repeat", self.repeat))
        rules = QLabel(password_rules_text() + " " + _(
            "Give the first password to the person in private: they will have to change it"
            " when they log in for the first time."))
        rules.setWordWrap(True)
        self.message, self.create_button, buttons = _submit_row(self, _("Create the account"))
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(rules)
        layout.addLayout(buttons)
        self.name_edit.setFocus()

    def submit(self) -> bool:
        self.errors.clear()
        self.message.clear()
        errors: dict[str, str] = {}
        _check_repeat(self.password, self.repeat, self.username_edit.text(), errors)
        if not errors:
            try:
                self.user_id = accounts.create_account(
                    self.ctx.session, self.vault, self.username_edit.text(),
                    self.name_edit.text(), self.role_combo.value(), self.password.text())
            except ValidationError as exc:
                errors = dict(exc.fields)
            except (PermissionDeniedError, OmaError) as exc:
                self.message.setText(str(exc))
                return False
        if errors:
            self.errors.show(errors)
            self.adjustSize()
            self.message.setText(_("Check the marked fields."))
            if "password" in errors or "repeat" in errors:
                self.password.clear()
                self.repeat.clear()
            focus = self.errors.first_invalid(errors)
            if focus is not None:
                focus.setFocus()
            return False
        self.accept()
        return True


class ResetPasswordDialog(QDialog):
    """«Restablecer contraseña…»: a new password the person must change at the next login."""

    def __init__(self, ctx: AppContext, vault: Vault, account: Account,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.vault = vault
        self.account = account
        self.setWindowTitle(_("Reset password"))
        self.setMinimumWidth(520)
        self.errors = FieldErrors()
        who = QLabel(_("New password for {name} ({user}).").format(
            name=account.display_name, user=account.username))
        who.setFont(scaled(who.font(), 1.05, bold=True))
        who.setWordWrap(True)
        explain = QLabel(_("A forgotten password cannot be recovered: give the person a new"
                           " one in private. They will have to change it when they log in."))
        explain.setWordWrap(True)
        self.password = PasswordEdit(_("New password"))
        self.repeat = PasswordEdit(_("Repeat the password"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(_("&New password"), self.errors.with_label("password", self.password))
        form.addRow(_("&Repeat it"), self.errors.with_label("repeat", self.repeat))
        rules = QLabel(password_rules_text())
        rules.setWordWrap(True)
        self.message, self.reset_button, buttons = _submit_row(self, _("Reset the password"))
        layout = QVBoxLayout(self)
        layout.addWidget(who)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(rules)
        layout.addLayout(buttons)
        self.password.setFocus()

    def submit(self) -> bool:
        self.errors.clear()
        self.message.clear()
        errors: dict[str, str] = {}
        _check_repeat(self.password, self.repeat, self.account.username, errors)
        if not errors:
            try:
                accounts.reset_password(self.ctx.session, self.vault, self.account.user_id,
                                        self.password.text())
            except ValidationError as exc:
                errors = dict(exc.fields)
            except OmaError as exc:
                self.message.setText(str(exc))
                return False
        if errors:
            self.errors.show(errors)
            self.adjustSize()
            self.password.clear()
            self.repeat.clear()
            self.password.setFocus()
            if not self.errors.first_invalid(errors):
                self.message.setText("; ".join(errors.values()))
            return False
        self.accept()
        return True


class UsersTab(QWidget):
    """The accounts table and what an administrator does with them."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("users_tab")
        self.ctx = ctx
        self.vault = ctx.vault
        self.dialog: QDialog | None = None
        self.confirm_box: QMessageBox | None = None
        title = QLabel(_("User accounts"))
        title.setFont(scaled(title.font(), 1.3, bold=True))
        intro = QLabel(_("Each person who uses this PC logs in with their own account; what"
                         " they can see and do depends on the role. A forgotten password is"
                         " not recovered: reset it and give the person a new one."))
        intro.setWordWrap(True)
        self.model = AccountsModel(self)
        self.table = QTableView()
        self.table.setObjectName("accounts_table")
        self.table.setAccessibleName(_("User accounts"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COL_NAME, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self.new_button = QPushButton(_("&New account…"))
        self.new_button.clicked.connect(lambda: self.open_new_account())
        self.reset_button = QPushButton(_("&Reset password…"))
        self.reset_button.clicked.connect(lambda: self.open_reset())
        self.deactivate_button = QPushButton(_("&Deactivate"))
        self.deactivate_button.clicked.connect(lambda: self.ask_active(False))
        self.reactivate_button = QPushButton(_("Rea&ctivate"))
        self.reactivate_button.clicked.connect(lambda: self.ask_active(True))
        buttons = QHBoxLayout()
        for button in (self.new_button, self.reset_button, self.deactivate_button,
                       self.reactivate_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.message = QLabel()
        self.message.setObjectName("users_message")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.refresh()

    # --- reading ------------------------------------------------------------------------

    def refresh(self, select: str | None = None) -> None:
        if self.vault is None:
            self.model.set_accounts([])
            self._say(_("This data folder is not encrypted yet, so it has no accounts: they"
                        " are created when the first administration account logs in."),
                      ok=False)
            self.new_button.setEnabled(False)
        else:
            try:
                self.model.set_accounts(accounts.list_accounts(self.ctx.session, self.vault))
            except PermissionDeniedError as exc:
                self.model.set_accounts([])
                self._say(str(exc), ok=False)
                self.new_button.setEnabled(False)
        if select:
            row = self.model.row_of(select)
            if row >= 0:
                self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> Account | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.account(rows[0].row()) if rows else None

    def select_user(self, user_id: str) -> None:
        row = self.model.row_of(user_id)
        if row >= 0:
            self.table.selectRow(row)

    def _update_buttons(self) -> None:
        account = self.selected()
        mine = account is not None and account.user_id == self.ctx.user_id
        self.reset_button.setEnabled(account is not None and account.active and not mine)
        self.deactivate_button.setEnabled(account is not None and account.active and not mine)
        self.reactivate_button.setEnabled(account is not None and not account.active)

    def _say(self, text: str, ok: bool) -> None:
        self.message.setStyleSheet("color: #1b5e20;" if ok else "color: #b71c1c;")
        self.message.setText(text)

    # --- actions ------------------------------------------------------------------------

    def open_new_account(self) -> NewAccountDialog | None:
        if self.vault is None:
            return None
        dialog = NewAccountDialog(self.ctx, self.vault, self)
        dialog.accepted.connect(lambda: self._created(dialog))
        self._open(dialog)
        return dialog

    def _created(self, dialog: NewAccountDialog) -> None:
        self.refresh(select=dialog.user_id)
        self._say(_("Account {user} created. Give the person the first password in private;"
                    " they will change it when they log in.").format(
                        user=dialog.username_edit.text().strip().lower()), ok=True)

    def open_reset(self) -> ResetPasswordDialog | None:
        account = self.selected()
        if account is None or self.vault is None:
            return None
        dialog = ResetPasswordDialog(self.ctx, self.vault, account, self)
        dialog.accepted.connect(lambda: self._reset_done(account))
        self._open(dialog)
        return dialog

    def _reset_done(self, account: Account) -> None:
        self.refresh(select=account.user_id)
        self._say(_("The password of {user} was reset; they will change it when they log"
                    " in.").format(user=account.username), ok=True)

    def ask_active(self, active: bool) -> QMessageBox | None:
        account = self.selected()
        if account is None:
            return None
        if active:
            title = _("Reactivate account")
            text = _("Reactivate the account of {name} ({user})? Then give it a new password"
                     " with «Reset password…».").format(name=account.display_name,
                                                         user=account.username)
        else:
            title = _("Deactivate account")
            text = _("Deactivate the account of {name} ({user})? The person will no longer be"
                     " able to log in. What they recorded stays, with their name.").format(
                         name=account.display_name, user=account.username)
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.button(QMessageBox.StandardButton.Yes).setText(
            _("Reactivate") if active else _("Deactivate"))
        box.setObjectName("confirm_active")
        box.button(QMessageBox.StandardButton.No).setText(_("Cancel"))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(
            lambda button: self.set_active(account, active) if button is yes else None)
        self.confirm_box = box
        box.finished.connect(lambda _r: setattr(self, "confirm_box", None))
        box.open()
        return box

    def set_active(self, account: Account, active: bool) -> bool:
        if self.vault is None:
            return False
        try:
            accounts.set_account_active(self.ctx.session, self.vault, account.user_id, active)
        except (ValidationError, PermissionDeniedError) as exc:
            message = (next(iter(exc.fields.values()), str(exc))
                       if isinstance(exc, ValidationError) else str(exc))
            self._say(message, ok=False)
            return False
        self.refresh(select=account.user_id)
        if active:
            self._say(_("Account {user} reactivated. Reset its password so that the person"
                        " can log in.").format(user=account.username), ok=True)
        else:
            self._say(_("Account {user} deactivated.").format(user=account.username), ok=True)
        return True

    def _open(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        dialog.open()
