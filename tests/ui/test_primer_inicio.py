"""The first-run assistant (issue #12), driven like an IT person would: typing, «Siguiente»,
«Atrás», «Crear»; and the GUI path that never makes a casa's folder by itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWizard

from oma_desktop.core import driver
from oma_desktop.services.context import open_context
from oma_desktop.services.installation import NEW_FOLDER_CASA_ENV
from oma_desktop.services.sync import HQ_KEY_FILE, hq_fingerprint, setup_hq
from oma_desktop.ui.primer_inicio import wizard as wizard_module
from oma_desktop.ui.primer_inicio.wizard import (
    PAGE_ADMIN,
    PAGE_CASA,
    PAGE_FOLDERS,
    PAGE_MODE,
    PAGE_SUMMARY,
    PAGE_SYNC,
    FirstRunWizard,
)

PASSWORD = "la casa de todos 2026"
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture(autouse=True)
def _no_default_casa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(NEW_FOLDER_CASA_ENV, raising=False)


def _click(qtbot, wizard: FirstRunWizard, which: QWizard.WizardButton) -> None:  # type: ignore[no-untyped-def]
    button = wizard.button(which)
    assert button is not None and button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _next(qtbot, wizard: FirstRunWizard) -> None:  # type: ignore[no-untyped-def]
    _click(qtbot, wizard, QWizard.WizardButton.NextButton)


def _open(qtbot, folder: Path) -> FirstRunWizard:  # type: ignore[no-untyped-def]
    wizard = FirstRunWizard(folder)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_a_casa_is_created_step_by_step(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from oma_desktop.ui.main_window import MainWindow

    folder = tmp_path / "datos"
    wizard = _open(qtbot, folder)
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_MODE
    assert not wizard.mode_page.casa_radio.isChecked()  # nothing chosen beforehand
    assert not wizard.mode_page.hq_radio.isChecked()
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_MODE
    assert "casa vecinal o de la sede" in wizard.mode_page.message.text()
    qtbot.mouseClick(wizard.mode_page.casa_radio, Qt.MouseButton.LeftButton)
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_CASA
    assert wizard.casa_page.combo.value() == ""  # no casa by default
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_CASA
    assert wizard.casa_page.errors.message("casa") == (
        "Elija la Casa Vecinal a la que pertenece esta PC.")
    combo = wizard.casa_page.combo
    combo.setFocus()
    for _step in range(4):  # past «Elija la casa…», CV1, CV2, CV3
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.value() == "CV4"
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    page = wizard.admin_page
    assert page.username.text() == "admin"
    qtbot.keyClicks(page.display_name, "Rosa Quispe Torres")
    qtbot.keyClicks(page.password.edit, PASSWORD)
    qtbot.keyClicks(page.repeat.edit, "otra cosa 2026")
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN
    assert "no son iguales" in page.errors.message("password_repeat")
    # back and forth: nothing typed is lost
    _click(qtbot, wizard, QWizard.WizardButton.BackButton)
    assert wizard.currentId() == PAGE_CASA
    _next(qtbot, wizard)
    assert page.display_name.text() == "Rosa Quispe Torres"
    assert page.password.text() == PASSWORD
    page.repeat.clear()
    qtbot.keyClicks(page.repeat.edit, PASSWORD)
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_SYNC
    assert wizard.sync_page.casa_box.isVisible() and not wizard.sync_page.hq_box.isVisible()
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_SYNC  # the key file, or «later»: one must be said
    later = wizard.sync_page.later
    qtbot.mouseClick(later, Qt.MouseButton.LeftButton, pos=QPoint(6, later.height() // 2))
    assert later.isChecked()
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_FOLDERS
    assert wizard.folders_page.data_dir.path() == folder  # the default is shown
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_SUMMARY
    summary = wizard.summary_page.summary.text()
    assert "Casa Vecinal 4" in summary and "Rosa Quispe Torres" in summary
    assert str(folder) in summary
    assert wizard.button(QWizard.WizardButton.FinishButton).text() == "&Crear"
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    qtbot.waitUntil(lambda: wizard.context is not None, timeout=60_000)
    ctx = wizard.context
    assert ctx is not None and wizard.result() == QWizard.DialogCode.Accepted
    try:
        assert ctx.session.casa_id == "CV4" and ctx.actor.role == "admin_casa"
        window = MainWindow(ctx)
        qtbot.addWidget(window)
        assert "Casa Vecinal 4" in window.windowTitle()
        assert "Casa Vecinal 1" not in window.windowTitle()
        window.close()
    finally:
        ctx.close()
    assert driver.is_encrypted_file(folder / "oma.sqlite3")


def test_a_casa_enrols_with_headquarters_key_file(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from oma_desktop.services.accounts import Credentials

    hq = open_context(tmp_path / "sede", mode="hq",
                      credentials=Credentials("admin", "clave de la sede 2026"))
    key = setup_hq(hq.session, tmp_path / "usb").path
    hq.close()
    bad = tmp_path / "usb" / "otra.omakey"
    bad.write_text("no es una llave", encoding="utf-8")

    wizard = _open(qtbot, tmp_path / "cv2")
    wizard.mode_page.casa_radio.setChecked(True)
    wizard.casa_page.combo.set_value("CV2")
    for _step in range(3):
        _next(qtbot, wizard)
    page = wizard.admin_page
    qtbot.keyClicks(page.display_name, "Luis Quispe")
    qtbot.keyClicks(page.password.edit, PASSWORD)
    qtbot.keyClicks(page.repeat.edit, PASSWORD)
    _next(qtbot, wizard)
    sync = wizard.sync_page
    qtbot.keyClicks(sync.key_file.edit, str(bad))  # typing the path chooses «I have it»
    assert sync.with_file.isChecked()
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_SYNC
    assert "no es un archivo de llave válido" in sync.errors.message("hq_key_file")
    sync.key_file.edit.clear()
    qtbot.keyClicks(sync.key_file.edit, str(key))
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    assert HQ_KEY_FILE in wizard.summary_page.summary.text()
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    qtbot.waitUntil(lambda: wizard.context is not None, timeout=60_000)
    ctx = wizard.context
    assert ctx is not None
    try:
        assert ctx.session.casa_id == "CV2" and hq_fingerprint(ctx.session) is not None
    finally:
        ctx.close()
    assert len(list((tmp_path / "usb").glob("oma-CV2-*.omakey"))) == 1


def test_headquarters_skips_the_casa_and_a_failure_keeps_what_was_typed(
        qtbot, tmp_path: Path, read_only_folder: Path) -> None:  # type: ignore[no-untyped-def]
    wizard = _open(qtbot, tmp_path / "sede")
    _next(qtbot, wizard)
    qtbot.mouseClick(wizard.mode_page.hq_radio, Qt.MouseButton.LeftButton)
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_ADMIN  # headquarters: no casa to choose
    page = wizard.admin_page
    qtbot.keyClicks(page.display_name, "Sede Central")
    qtbot.keyClicks(page.password.edit, PASSWORD)
    qtbot.keyClicks(page.repeat.edit, PASSWORD)
    _next(qtbot, wizard)
    sync = wizard.sync_page
    assert sync.hq_box.isVisible() and not sync.casa_box.isVisible()
    sync.out_dir.edit.clear()
    qtbot.keyClicks(sync.out_dir.edit, str(read_only_folder))
    _next(qtbot, wizard)
    assert wizard.currentId() == PAGE_SYNC
    assert "solo lectura" in sync.errors.message("key_out_dir")
    sync.out_dir.edit.clear()
    qtbot.keyClicks(sync.out_dir.edit, str(tmp_path / "para-casas"))
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    # the folder got data meanwhile: «Crear» fails in Spanish, nothing typed is lost
    open_context(tmp_path / "sede", casa="CV5").close()
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    qtbot.waitUntil(lambda: not wizard.busy(), timeout=60_000)
    assert wizard.context is None and wizard.isVisible()
    assert "ya contiene datos" in wizard.summary_page.message.text()
    assert page.password.text() == PASSWORD and page.display_name.text() == "Sede Central"
    _click(qtbot, wizard, QWizard.WizardButton.BackButton)
    folders = wizard.folders_page
    folders.data_dir.edit.clear()
    qtbot.keyClicks(folders.data_dir.edit, str(tmp_path / "sede-2"))
    _next(qtbot, wizard)
    _click(qtbot, wizard, QWizard.WizardButton.FinishButton)
    qtbot.waitUntil(lambda: wizard.context is not None, timeout=60_000)
    ctx = wizard.context
    assert ctx is not None
    try:
        assert ctx.session.store.mode == "hq" and ctx.actor.role == "admin_hq"
    finally:
        ctx.close()
    assert (tmp_path / "para-casas" / HQ_KEY_FILE).is_file()


# --- the GUI path never makes a casa's folder by itself -------------------------------------


def test_run_gui_on_a_new_folder_shows_the_assistant_not_the_login(
        qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oma_desktop.ui import app as app_module
    from oma_desktop.ui import login

    shown: list[Path | None] = []

    def leave(data_dir: Path | None = None, casa: str | None = None) -> None:
        shown.append(data_dir)
        return None  # the IT person pressed «Salir»

    def no_login(*args: object, **kwargs: object) -> None:
        raise AssertionError("the login dialog must not open on a new folder")

    monkeypatch.setattr(wizard_module, "run_first_run", leave)
    monkeypatch.setattr(login, "log_in", no_login)
    folder = tmp_path / "nueva"
    assert app_module.run_gui(folder) == 0
    assert shown == [folder]
    assert not (folder / "oma.sqlite3").exists() and not (folder / "keys.json").exists()


def test_the_smoke_test_refuses_a_new_folder_without_casa(
        qapp: QApplication, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from oma_desktop.ui.app import run_gui

    folder = tmp_path / "nueva"
    assert run_gui(folder, smoke_test=True) == 2
    assert "nunca elige una casa" in capsys.readouterr().err
    assert not (folder / "oma.sqlite3").exists()
    assert run_gui(folder, smoke_test=True, casa="CV3") == 0  # said explicitly: made
    from acting import login

    ctx = login(folder)  # (the tests' OMA_PASSWORD made it encrypted)
    assert ctx.session.casa_id == "CV3"
    ctx.close()
