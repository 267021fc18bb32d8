"""«Cuentas de usuario» in Administración (issue #9): the accounts table, creating an account
through its dialog, resetting a password, deactivating; a recepción user has no such tab
and the service refuses it anyway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts_helpers import ADMIN, ADMIN_NAME, encrypted_folder
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.core.keyring import Keyring, LoginError
from oma_desktop.services.accounts import (
    Account,
    Credentials,
    list_accounts,
    reset_password,
)
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.ui.administracion.page import AdministrationPage
from oma_desktop.ui.administracion.users_tab import (
    COL_ACTIVE,
    COL_MUST_CHANGE,
    COL_ROLE,
    AccountsModel,
    NewAccountDialog,
    ResetPasswordDialog,
    UsersTab,
)

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")
LUIS_FIRST = "primera clave de luis"


@pytest.fixture
def admin_ctx(tmp_path: Path) -> Iterator[AppContext]:
    ctx = open_context(encrypted_folder(tmp_path / "datos"), credentials=ADMIN)
    yield ctx
    ctx.close()


@pytest.fixture
def tab(qtbot: QtBot, admin_ctx: AppContext) -> UsersTab:
    page = AdministrationPage(admin_ctx)
    qtbot.addWidget(page)
    page.resize(1180, 700)
    page.show()
    users = page.users_tab
    page.tabs.setCurrentWidget(users)
    qtbot.waitExposed(page)
    return users


def _row(tab: UsersTab, username: str) -> Account:
    found = [a for a in (tab.model.account(r) for r in range(tab.model.rowCount()))
             if a is not None and a.username == username]
    assert len(found) == 1
    return found[0]


def test_the_model_shows_each_account_without_a_window() -> None:
    model = AccountsModel()
    model.set_accounts([
        Account("u1", "ana.quispe", "Ana Quispe", "coordinacion", "Coordinación", True, True,
                True),
        Account("u2", "luis", "Luis Pérez", "recepcion", "Recepción", False, False, False),
    ])
    assert model.rowCount() == 2 and model.columnCount() == 6
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "Nombre", "Nombre de usuario", "Rol", "Activa", "Puede entrar",
        "Debe cambiar la contraseña"]
    assert [model.data(model.index(0, c)) for c in range(6)] == [
        "Ana Quispe", "ana.quispe", "Coordinación", "Sí", "Sí", "Sí"]
    assert model.data(model.index(1, COL_ACTIVE)) == "No"
    assert model.data(model.index(1, COL_MUST_CHANGE)) == "No"
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.data(model.index(0, 0), Qt.ItemDataRole.ForegroundRole) is None
    assert model.row_of("u2") == 1


def test_the_tab_lists_the_accounts(tab: UsersTab) -> None:
    admin = _row(tab, "admin")
    assert admin.display_name == ADMIN_NAME and admin.can_log_in
    assert tab.model.data(tab.model.index(tab.model.row_of(admin.user_id), COL_ROLE)) == (
        "Administración de casa")
    tab.select_user(admin.user_id)  # one's own account: no reset, no deactivation here
    assert not tab.reset_button.isEnabled() and not tab.deactivate_button.isEnabled()


def test_create_an_account_through_the_dialog(
    qtbot: QtBot, tab: UsersTab, admin_ctx: AppContext,
) -> None:
    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert isinstance(dialog, NewAccountDialog)
    qtbot.waitExposed(dialog)
    assert [dialog.role_combo.itemText(i) for i in range(dialog.role_combo.count())] == [
        "Recepción", "Coordinación", "Administración de casa"]
    qtbot.keyClicks(dialog.name_edit, "Luis Perez Rojas")
    qtbot.keyClicks(dialog.username_edit, "luis perez")  # a space: refused
    dialog.role_combo.set_value("coordinacion")
    qtbot.keyClicks(dialog.password.edit, LUIS_FIRST)
    qtbot.keyClicks(dialog.repeat.edit, LUIS_FIRST)
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    assert "sin espacios" in dialog.errors.message("username")
    assert dialog.errors.is_marked("username")
    assert dialog.isVisible()
    assert dialog.name_edit.text() == "Luis Perez Rojas"  # what was typed stays
    assert dialog.username_edit.text() == "luis perez"
    assert dialog.role_combo.value() == "coordinacion"
    assert dialog.password.text() == LUIS_FIRST == dialog.repeat.text()
    dialog.username_edit.clear()
    qtbot.keyClicks(dialog.username_edit, "luis.perez")
    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.dialog is None)
    luis = _row(tab, "luis.perez")
    assert luis.role == "coordinacion" and luis.must_change_password and luis.can_log_in
    assert tab.selected() == luis
    assert "Cuenta luis.perez creada" in tab.message.text()
    ring = Keyring.load(admin_ctx.paths.root / "keys.json")
    assert ring.unlock("luis.perez", LUIS_FIRST).must_change_password


def test_reset_a_password_and_deactivate_an_account(
    qtbot: QtBot, tab: UsersTab, admin_ctx: AppContext,
) -> None:
    reception = _row(tab, "recepcion.cv1")  # seeded, without a password yet
    assert not reception.can_log_in
    tab.select_user(reception.user_id)
    qtbot.mouseClick(tab.reset_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert isinstance(dialog, ResetPasswordDialog)
    qtbot.keyClicks(dialog.password.edit, "recepcion nueva 2026")
    qtbot.keyClicks(dialog.repeat.edit, "recepcion nueva 2026")
    qtbot.mouseClick(dialog.reset_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.dialog is None)
    reception = _row(tab, "recepcion.cv1")
    assert reception.can_log_in and reception.must_change_password
    ring = Keyring.load(admin_ctx.paths.root / "keys.json")
    assert ring.unlock("recepcion.cv1", "recepcion nueva 2026").must_change_password

    tab.select_user(reception.user_id)
    qtbot.mouseClick(tab.deactivate_button, Qt.MouseButton.LeftButton)
    box = tab.confirm_box
    assert box is not None and "ya no podrá iniciar sesión" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    reception = _row(tab, "recepcion.cv1")
    assert not reception.active and not reception.can_log_in
    assert tab.message.text() == "Cuenta recepcion.cv1 desactivada."
    assert tab.reactivate_button.isEnabled() and not tab.deactivate_button.isEnabled()
    with pytest.raises(LoginError):
        Keyring.load(admin_ctx.paths.root / "keys.json").unlock("recepcion.cv1",
                                                                 "recepcion nueva 2026")


def test_reception_has_no_accounts_tab_and_the_service_refuses(
    qtbot: QtBot, tmp_path: Path,
) -> None:
    folder = encrypted_folder(tmp_path / "datos")
    admin = open_context(folder, credentials=ADMIN)
    try:
        assert admin.vault is not None
        reception = next(a for a in list_accounts(admin.session, admin.vault)
                         if a.role == "recepcion")
        reset_password(admin.session, admin.vault, reception.user_id, "recepcion nueva 2026")
    finally:
        admin.close()
    ctx = open_context(folder, credentials=Credentials(reception.username,
                                                       "recepcion nueva 2026"))
    try:
        assert ctx.actor.role == "recepcion" and ctx.vault is not None
        page = AdministrationPage(ctx)
        qtbot.addWidget(page)
        titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
        assert "Cuentas de usuario" not in titles
        assert page.findChild(UsersTab) is None
        with pytest.raises(PermissionDeniedError):
            list_accounts(ctx.session, ctx.vault)
        # a tab built anyway shows the refusal, not the accounts
        forced = UsersTab(ctx)
        qtbot.addWidget(forced)
        assert forced.model.rowCount() == 0 and not forced.new_button.isEnabled()
        assert "no le permite administrar las cuentas de usuario" in forced.message.text()
    finally:
        ctx.close()
