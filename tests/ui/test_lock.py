"""The inactivity lock (issue #9): after the (injected) interval every window is covered
and the pages hidden; the user's password unlocks, failures count like logins; «Cerrar
sesión» ends the window; Ctrl+L locks at once; «Cambiar mi contraseña…» from the menu."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from accounts_helpers import ADMIN, ADMIN_NAME, ADMIN_PASSWORD, encrypted_folder
from kbd import wait_active
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot

from oma_desktop.core.keyring import Keyring, LoginLockedError
from oma_desktop.services.context import AppContext, open_context
from oma_desktop.ui.lock import DEFAULT_MINUTES, SETTINGS_KEY, LockDialog, lock_after_minutes
from oma_desktop.ui.login import ChangePasswordDialog
from oma_desktop.ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")
WRONG = "no es mi clave 99"


@pytest.fixture
def admin_ctx(tmp_path: Path) -> Iterator[AppContext]:
    ctx = open_context(encrypted_folder(tmp_path / "datos"), credentials=ADMIN)
    yield ctx
    ctx.close()


@pytest.fixture
def admin_window(qtbot: QtBot, admin_ctx: AppContext) -> Iterator[MainWindow]:
    win = MainWindow(admin_ctx)
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    wait_active(qtbot, win)
    yield win
    win.close()


def _dialog(window: MainWindow) -> LockDialog:
    assert window.inactivity is not None and window.inactivity.dialog is not None
    return window.inactivity.dialog


def _audited(ctx: AppContext, action: str) -> int:
    return int(ctx.session.store.scalar(
        "SELECT count(*) FROM audit_entry WHERE action = ? AND user_id = ?",
        [action, ctx.user_id]))


def _unlock_with(qtbot: QtBot, dialog: LockDialog, password: str) -> None:
    qtbot.keyClicks(dialog.password.edit, password)
    qtbot.keyClick(dialog.password.edit, Qt.Key.Key_Return)


def test_the_session_locks_after_the_interval_and_unlocks_with_the_password(
    qtbot: QtBot, admin_window: MainWindow,
) -> None:
    lock = admin_window.inactivity
    assert lock is not None
    page = admin_window.page(admin_window.current_key() or "")
    assert page is not None and page.isVisible()
    typing_in = QApplication.focusWidget()
    assert typing_in is not None and page.isAncestorOf(typing_in)
    lock.set_interval(20)  # milliseconds
    qtbot.waitUntil(lock.is_locked)
    lock.set_interval(60_000)  # no second lock while the test types
    dialog = _dialog(admin_window)
    qtbot.waitExposed(dialog)
    assert not page.isVisible()  # no personal data on screen
    assert not admin_window.menuBar().isEnabled()
    assert not admin_window.page_actions["people"].isEnabled()
    assert admin_window.findChild(QDialog, "lock_dialog") is dialog
    assert dialog.user_label.text() == f"{ADMIN_NAME} (admin), Administración de casa"
    assert _audited(admin_window.ctx, "session_locked") == 1
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Escape does not unlock
    assert lock.is_locked() and dialog.isVisible()

    _unlock_with(qtbot, dialog, WRONG)
    assert lock.is_locked()
    assert "no es correcta" in dialog.message.text()
    assert dialog.password.text() == ""

    _unlock_with(qtbot, dialog, ADMIN_PASSWORD)
    assert not lock.is_locked()
    assert page.isVisible()
    assert admin_window.menuBar().isEnabled() and admin_window.page_actions["people"].isEnabled()
    assert lock.timer.isActive()  # counting again
    qtbot.waitUntil(lambda: QApplication.focusWidget() is typing_in)  # back where it was


def test_ctrl_l_locks_at_once_and_failed_unlocks_count_like_logins(
    qtbot: QtBot, admin_window: MainWindow, admin_ctx: AppContext,
) -> None:
    qtbot.keyClick(admin_window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert admin_window.inactivity is not None and admin_window.inactivity.is_locked()
    dialog = _dialog(admin_window)
    for _attempt in range(5):
        _unlock_with(qtbot, dialog, WRONG)
    assert dialog.countdown.remaining == 30
    assert "Podrá intentarlo de nuevo en 0:30" in dialog.message.text()
    assert not dialog.unlock_button.isEnabled()
    # the key file on disk counted them: a login now waits too
    with pytest.raises(LoginLockedError):
        Keyring.load(admin_ctx.paths.root / "keys.json").unlock("admin", ADMIN_PASSWORD)


def test_log_out_closes_the_window(qtbot: QtBot, admin_window: MainWindow) -> None:
    admin_window.lock_now()
    dialog = _dialog(admin_window)
    qtbot.mouseClick(dialog.logout_button, Qt.MouseButton.LeftButton)
    assert admin_window.logout_requested
    assert not admin_window.isVisible() and not dialog.isVisible()
    assert _audited(admin_window.ctx, "logout") == 1


def test_other_windows_are_covered_while_locked(
    qtbot: QtBot, admin_window: MainWindow,
) -> None:
    about = admin_window.show_about()
    qtbot.waitExposed(about)
    admin_window.lock_now()
    covers = [w for w in about.findChildren(object) if getattr(w, "objectName", lambda: "")()
              == "lock_cover"]
    assert len(covers) == 1 and covers[0].isVisible()
    assert covers[0].geometry() == about.rect()
    _unlock_with(qtbot, _dialog(admin_window), ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: not [w for w in about.findChildren(object)
                                 if getattr(w, "objectName", lambda: "")() == "lock_cover"])
    assert about.isVisible()  # it stayed open underneath
    about.reject()


def test_a_plain_folder_has_no_lock(window: MainWindow) -> None:
    assert window.inactivity is None
    assert not window.lock_action.isEnabled() and not window.password_action.isEnabled()


def test_the_interval_is_a_local_setting(tmp_path: Path, admin_ctx: AppContext) -> None:
    assert lock_after_minutes(admin_ctx.paths) == DEFAULT_MINUTES
    admin_ctx.paths.settings.write_text("[Security]\nlock_after_minutes=3\n", encoding="utf-8")
    assert lock_after_minutes(admin_ctx.paths) == 3
    admin_ctx.paths.settings.write_text("[Security]\nlock_after_minutes=mucho\n",
                                        encoding="utf-8")
    assert lock_after_minutes(admin_ctx.paths) == DEFAULT_MINUTES
    assert SETTINGS_KEY == "Security/lock_after_minutes"


def test_change_my_password_from_the_menu(
    qtbot: QtBot, admin_window: MainWindow, admin_ctx: AppContext,
) -> None:
    admin_window.password_action.trigger()
    dialog = admin_window.findChild(ChangePasswordDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    form = dialog.form
    qtbot.keyClicks(form.current.edit, ADMIN_PASSWORD)
    qtbot.keyClicks(form.new.edit, "otra clave segura 2027")
    qtbot.keyClicks(form.repeat.edit, "otra clave segura 2072")
    qtbot.mouseClick(dialog.change_button, Qt.MouseButton.LeftButton)
    assert "no son iguales" in form.errors.message("repeat")
    assert dialog.isVisible()
    qtbot.keyClicks(form.current.edit, "")
    qtbot.keyClicks(form.new.edit, "otra clave segura 2027")
    qtbot.keyClicks(form.repeat.edit, "otra clave segura 2027")
    qtbot.mouseClick(dialog.change_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: admin_window.findChild(ChangePasswordDialog) is None)
    assert admin_ctx.vault is not None
    admin_ctx.vault.keyring.unlock("admin", "otra clave segura 2027")
    with pytest.raises(Exception, match="no es correcta"):
        admin_ctx.vault.keyring.unlock("admin", ADMIN_PASSWORD)
