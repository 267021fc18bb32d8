"""The login dialog (issue #9): logging in, wrong passwords and the lockout countdown, the
first account of a new or plain folder, the forced password change; and the unattended
start (smoke test) with OMA_PASSWORD."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts_helpers import (
    ADMIN,
    ADMIN_NAME,
    ADMIN_PASSWORD,
    ANA_FIRST,
    encrypted_folder,
    opener,
)
from kbd import keys, wait_active
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from oma_desktop.core import driver
from oma_desktop.services.accounts import Credentials
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.ui.app import run_gui
from oma_desktop.ui.login import LoginDialog
from oma_desktop.ui.main_window import MainWindow

WRONG = "no es mi clave 99"
# a dialog growing to fit its error lines (adjustSize) makes the offscreen plugin say this
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def opened() -> Iterator[list[AppContext]]:
    """Contexts a test opened through a dialog; closed afterwards."""
    contexts: list[AppContext] = []
    yield contexts
    for ctx in contexts:
        ctx.close()


def _dialog(qtbot: QtBot, folder: Path, username: str = "") -> LoginDialog:
    dialog = LoginDialog(folder, opener(folder), username=username,
                         casa_name="Casa Vecinal 1")
    qtbot.addWidget(dialog)
    dialog.show()
    wait_active(qtbot, dialog)
    return dialog


def _enter(qtbot: QtBot, dialog: LoginDialog, password: str) -> None:
    """Type the password and press Enter (the default button), then wait for the answer."""
    dialog.password.edit.setFocus()
    qtbot.keyClicks(dialog.password.edit, password)
    qtbot.keyClick(dialog.password.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=20_000)


def test_the_right_password_opens_the_main_window_as_that_user(
    qtbot: QtBot, tmp_path: Path, opened: list[AppContext],
) -> None:
    folder = encrypted_folder(tmp_path / "datos")
    dialog = _dialog(qtbot, folder)
    assert dialog.current_page() == LoginDialog.LOGIN
    assert dialog.password.edit.echoMode() == dialog.password.edit.EchoMode.Password
    qtbot.keyClicks(dialog.user_edit, "admin")
    _enter(qtbot, dialog, ADMIN_PASSWORD)
    assert dialog.result() == QDialog.DialogCode.Accepted
    ctx = dialog.context
    assert ctx is not None
    opened.append(ctx)
    assert ctx.vault is not None and ctx.vault.username == "admin"
    assert ctx.actor.role == "admin_casa"
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    assert window.user_label.text() == f"Usuario: {ADMIN_NAME} (Administración de casa)"
    window.close()


def test_show_reveals_the_password_typed(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, encrypted_folder(tmp_path / "datos"), username="admin")
    qtbot.keyClicks(dialog.password.edit, "secreto")
    qtbot.mouseClick(dialog.password.show_button, Qt.MouseButton.LeftButton)
    assert dialog.password.edit.echoMode() == dialog.password.edit.EchoMode.Normal
    assert dialog.password.show_button.text() == "Ocultar"
    qtbot.mouseClick(dialog.password.show_button, Qt.MouseButton.LeftButton)
    assert dialog.password.edit.echoMode() == dialog.password.edit.EchoMode.Password


def test_a_wrong_password_says_so_and_keeps_the_user_name(
    qtbot: QtBot, tmp_path: Path,
) -> None:
    dialog = _dialog(qtbot, encrypted_folder(tmp_path / "datos"), username="admin")
    assert QApplication.focusWidget() is dialog.password.edit  # the user name is known
    _enter(qtbot, dialog, WRONG)
    assert dialog.isVisible() and dialog.context is None
    assert "no es correcta" in dialog.login_message.text()
    assert dialog.user_edit.text() == "admin"
    assert dialog.password.text() == ""
    assert QApplication.focusWidget() is dialog.password.edit
    assert dialog.enter_button.isEnabled()


def test_too_many_failures_count_down_before_the_next_try(
    qtbot: QtBot, tmp_path: Path,
) -> None:
    folder = encrypted_folder(tmp_path / "datos")
    dialog = _dialog(qtbot, folder, username="admin")
    for _attempt in range(4):
        _enter(qtbot, dialog, WRONG)
        assert dialog.countdown.remaining == 0
    _enter(qtbot, dialog, WRONG)  # the fifth: wait 30 s
    assert dialog.countdown.remaining == 30 and dialog.countdown.timer.isActive()
    assert "Podrá intentarlo de nuevo en 0:30" in dialog.login_message.text()
    assert not dialog.enter_button.isEnabled()
    qtbot.keyClick(dialog.password.edit, Qt.Key.Key_Return)  # Enter does nothing meanwhile
    assert not dialog.busy()
    for _second in range(29):
        dialog.countdown.tick()
    assert "0:01" in dialog.login_message.text() and not dialog.enter_button.isEnabled()
    dialog.countdown.tick()
    assert not dialog.countdown.timer.isActive()
    assert dialog.enter_button.isEnabled()
    assert dialog.login_message.text() == "Ya puede intentarlo de nuevo."
    assert dialog.user_edit.text() == "admin"


def test_a_new_folder_asks_for_the_administration_account_and_is_encrypted(
    qtbot: QtBot, tmp_path: Path, opened: list[AppContext],
) -> None:
    folder = tmp_path / "nueva"
    dialog = _dialog(qtbot, folder)
    assert dialog.current_page() == LoginDialog.FIRST_ACCOUNT
    assert dialog.first_user.text() == "admin"
    assert "solo la sede central puede recuperar" in dialog.notice.text()
    assert "se cifran ahora" not in dialog.notice.text()  # nothing to convert
    keys(qtbot, dialog.first_name, ADMIN_NAME)
    qtbot.keyClicks(dialog.first_password.edit, ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.first_repeat.edit, "casa vecinal segura 2025")
    qtbot.mouseClick(dialog.enter_button, Qt.MouseButton.LeftButton)
    assert dialog.first_errors.message("repeat") == (
        "Las dos contraseñas no son iguales. Escríbalas de nuevo.")
    assert dialog.first_name.text() == ADMIN_NAME  # kept
    assert not (folder / "keys.json").exists()
    qtbot.keyClicks(dialog.first_password.edit, "corta")
    qtbot.keyClicks(dialog.first_repeat.edit, "corta")
    qtbot.mouseClick(dialog.enter_button, Qt.MouseButton.LeftButton)
    assert "al menos 10 caracteres" in dialog.first_errors.message("password")
    assert not (folder / "keys.json").exists()

    qtbot.keyClicks(dialog.first_password.edit, ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.first_repeat.edit, ADMIN_PASSWORD)
    qtbot.keyClick(dialog.first_repeat.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=20_000)
    assert dialog.result() == QDialog.DialogCode.Accepted
    ctx = dialog.context
    assert ctx is not None
    opened.append(ctx)
    assert (folder / "keys.json").exists()
    assert driver.is_encrypted_file(folder / "oma.sqlite3")
    assert ctx.actor.role == "admin_casa" and ctx.actor.display_name == ADMIN_NAME
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert window.user_label.text() == f"Usuario: {ADMIN_NAME} (Administración de casa)"
    window.close()


def test_a_plain_folder_is_encrypted_once_by_its_first_account(
    qtbot: QtBot, tmp_path: Path, opened: list[AppContext],
) -> None:
    folder = tmp_path / "datos"
    plain = open_context(folder)
    pid = register_person(plain.session, PersonInput(
        given_names="Yusmary", paternal_surname="Quispe", sex="F", nationality="VE",
        consent_register=True, documents=[DocumentInput("CE", "001234567")]))
    plain.close()
    dialog = _dialog(qtbot, folder)
    assert dialog.current_page() == LoginDialog.FIRST_ACCOUNT
    assert "se cifran ahora, una sola vez, después de una copia de respaldo" in (
        dialog.notice.text())
    keys(qtbot, dialog.first_name, ADMIN_NAME)
    qtbot.keyClicks(dialog.first_password.edit, ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.first_repeat.edit, ADMIN_PASSWORD)
    qtbot.mouseClick(dialog.enter_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy(), timeout=20_000)
    ctx = dialog.context
    assert ctx is not None
    opened.append(ctx)
    assert driver.is_encrypted_file(folder / "oma.sqlite3")
    assert ctx.session.store.get("person", pid)["given_names"] == "Yusmary"


def test_a_reset_password_must_be_changed_before_going_on(
    qtbot: QtBot, tmp_path: Path, opened: list[AppContext],
) -> None:
    folder = encrypted_folder(tmp_path / "datos", with_ana=True)
    dialog = _dialog(qtbot, folder, username="ana.quispe")
    _enter(qtbot, dialog, ANA_FIRST)
    assert dialog.current_page() == LoginDialog.CHANGE_PASSWORD
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.enter_button.text() == "Cambiar la contraseña"
    assert dialog.quit_button.text() == "Salir"  # the only other way out
    form = dialog.change_form
    assert form is not None
    qtbot.keyClicks(form.current.edit, "no es la actual 1")
    qtbot.keyClicks(form.new.edit, "la clave de ana 2026")
    qtbot.keyClicks(form.repeat.edit, "la clave de ana 2026")
    qtbot.mouseClick(dialog.enter_button, Qt.MouseButton.LeftButton)
    assert form.errors.message("current") == "La contraseña actual no es correcta."
    assert dialog.isVisible()
    qtbot.keyClicks(form.current.edit, ANA_FIRST)
    qtbot.mouseClick(dialog.enter_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    ctx = dialog.context
    assert ctx is not None and not ctx.must_change_password
    ctx.close()
    again = open_context(folder, credentials=Credentials("ana.quispe", "la clave de ana 2026"))
    opened.append(again)
    assert not again.must_change_password and again.actor.role == "coordinacion"


def test_leaving_the_forced_change_closes_the_folder(qtbot: QtBot, tmp_path: Path) -> None:
    folder = encrypted_folder(tmp_path / "datos", with_ana=True)
    dialog = _dialog(qtbot, folder, username="ana.quispe")
    _enter(qtbot, dialog, ANA_FIRST)
    assert dialog.current_page() == LoginDialog.CHANGE_PASSWORD
    qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Rejected and dialog.context is None
    open_context(folder, credentials=ADMIN).close()  # the folder's lock was let go


# --- unattended start: --smoke-test never shows the dialog ---------------------------------


def test_the_smoke_test_logs_in_with_oma_password(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = encrypted_folder(tmp_path / "datos", with_ana=True)
    monkeypatch.delenv("OMA_PASSWORD", raising=False)
    assert run_gui(folder, smoke_test=True) == 2
    err = capsys.readouterr().err
    assert "inicie sesión" in err and "OMA_PASSWORD" in err
    monkeypatch.setenv("OMA_PASSWORD", WRONG)
    assert run_gui(folder, smoke_test=True) == 2
    assert "no es correcta" in capsys.readouterr().err
    monkeypatch.setenv("OMA_PASSWORD", ADMIN_PASSWORD)
    assert run_gui(folder, smoke_test=True) == 0
    monkeypatch.setenv("OMA_PASSWORD", ANA_FIRST)
    assert run_gui(folder, smoke_test=True, user="ana.quispe") == 0


def test_the_smoke_test_on_a_new_folder_with_oma_password_encrypts_it(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "nueva"
    monkeypatch.setenv("OMA_PASSWORD", ADMIN_PASSWORD)
    assert run_gui(folder, smoke_test=True) == 0
    assert (folder / "keys.json").exists()
    assert driver.is_encrypted_file(folder / "oma.sqlite3")


# --- run_gui interactively: the dialog, the window, «Cerrar sesión», the dialog again -----


def test_run_gui_logs_in_logs_out_and_leaves(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtTest import QTest

    from oma_desktop.ui import app as app_module

    monkeypatch.setattr(app_module, "install_exception_hook", lambda _app: None)
    folder = tmp_path / "nueva"
    # a plain folder (a new one gets the first-run assistant: tests/ui/test_primer_inicio.py)
    open_context(folder).close()
    seen: list[str] = []

    def visible(kind: type) -> object:
        return next((w for w in QApplication.topLevelWidgets()
                     if isinstance(w, kind) and w.isVisible()), None)

    def step() -> None:  # what a person would do next, on whatever window is up
        dialog, window = visible(LoginDialog), visible(MainWindow)
        if isinstance(dialog, LoginDialog) and not dialog.busy():
            if dialog.current_page() == LoginDialog.FIRST_ACCOUNT and "first" not in seen:
                seen.append("first")
                QTest.keyClicks(dialog.first_name, "Rosa Huaman")
                QTest.keyClicks(dialog.first_password.edit, ADMIN_PASSWORD)
                QTest.keyClicks(dialog.first_repeat.edit, ADMIN_PASSWORD)
                QTest.mouseClick(dialog.enter_button, Qt.MouseButton.LeftButton)
            elif dialog.current_page() == LoginDialog.LOGIN and "login" not in seen:
                seen.append("login")
                seen.append(f"user={dialog.user_edit.text()}")  # remembered
                QTest.keyClicks(dialog.password.edit, ADMIN_PASSWORD)
                QTest.mouseClick(dialog.enter_button, Qt.MouseButton.LeftButton)
            elif seen.count("window") == 2:
                seen.append("exit")
                QTest.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
                return
        elif isinstance(window, MainWindow):
            seen.append("window")
            seen.append(window.user_label.text())
            window.logout_action.trigger()
        QTimer.singleShot(20, step)

    QTimer.singleShot(0, step)
    assert run_gui(folder, lang="es") == 0
    assert seen == ["first", "window", "Usuario: Rosa Huaman (Administración de casa)",
                    "login", "user=admin", "window",
                    "Usuario: Rosa Huaman (Administración de casa)", "exit"]
    assert driver.is_encrypted_file(folder / "oma.sqlite3")


def test_a_damaged_database_found_at_login_offers_the_restore_assistant(
    qtbot: QtBot, tmp_path: Path,
) -> None:
    from PySide6.QtWidgets import QMessageBox, QPushButton

    from oma_desktop.services.backup import Reason, make_backup

    folder = encrypted_folder(tmp_path / "datos")
    ctx = open_context(folder, credentials=Credentials("admin", ADMIN_PASSWORD))
    try:
        make_backup(ctx, Reason.MANUAL)
    finally:
        ctx.close()
    database = folder / "oma.sqlite3"
    with open(database, "r+b") as f:  # a failing disk: pages in the middle turn to garbage
        f.seek(8192)
        f.write(b"\x5a" * 16384)
    dialog = _dialog(qtbot, folder, username="admin")
    _enter(qtbot, dialog, ADMIN_PASSWORD)
    box = dialog.findChild(QMessageBox, "damaged_database_message")
    assert box is not None and box.isVisible()
    assert "dañad" in box.text()
    assert dialog.findChild(QPushButton, "offer_restore_button") is not None
    assert dialog.context is None and "dañad" in dialog.login_message.text()
    box.close()
