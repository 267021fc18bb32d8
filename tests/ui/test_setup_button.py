"""Administración's «Asistente de configuración» (issue #12.3: re-run by administrators
only) and the window title at headquarters."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from oma_desktop.services.context import AppContext, open_context
from oma_desktop.ui.administracion.page import AdministrationPage
from oma_desktop.ui.main_window import MainWindow


def _page(qtbot: QtBot, ctx: AppContext) -> AdministrationPage:
    page = AdministrationPage(ctx)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    return page


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_casa_administrator_reruns_the_assistant(qtbot: QtBot, casa_admin: AppContext) -> None:
    page = _page(qtbot, casa_admin)
    assert page.setup_button.isVisible()
    assert page.setup_button.text() == "&Asistente de configuración…"
    wizard = page.open_setup_assistant()
    assert wizard is not None and type(wizard).__name__ == "RerunWizard"
    qtbot.waitUntil(wizard.isVisible)
    wizard.close()


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_reception_does_not_see_it(qtbot: QtBot, ctx: AppContext) -> None:
    page = _page(qtbot, ctx)
    assert not page.setup_button.isVisible()
    assert page.open_setup_assistant() is None


def test_headquarters_is_named_as_such_in_the_title(qtbot: QtBot, tmp_path: Path) -> None:
    hq = open_context(tmp_path / "sede", mode="hq")
    try:
        window = MainWindow(hq)
        qtbot.addWidget(window)
        assert window.windowTitle() == "OMA Desktop — Sede central"
        assert "Casa: Sede central" in [label.text() for label in (window.casa_label,)]
        window.close()
    finally:
        hq.close()


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_assistant_again_moves_the_backups_and_refuses_a_bad_key_file(
        qtbot: QtBot, casa_admin: AppContext, tmp_path: Path) -> None:
    """Typed into the re-run assistant: a key file that is not one is refused in Spanish
    and nothing changes; then a new backup folder is applied with «Aplicar»."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLabel, QWizard

    from oma_desktop.services.backup import backup_folder

    page = _page(qtbot, casa_admin)
    wizard = page.open_setup_assistant()
    assert wizard is not None
    qtbot.waitUntil(wizard.isVisible)
    texts = [label.text() for label in wizard.currentPage().findChildren(QLabel)]
    assert any("no se cambian aquí" in text for text in texts)
    before = backup_folder(casa_admin.session)
    bogus = tmp_path / "sede.omakey"
    bogus.write_text("no es una clave", encoding="utf-8")
    wizard.key_file.edit.setFocus()
    qtbot.keyClicks(wizard.key_file.edit, str(bogus))
    new = tmp_path / "copias"
    new.mkdir()
    qtbot.keyClicks(wizard.backup_dir.edit, str(new))
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
    assert wizard.isVisible() and wizard.message.text()  # refused, in Spanish, kept open
    assert backup_folder(casa_admin.session) == before
    assert wizard.backup_dir.edit.text() == str(new)  # what was typed is kept
    wizard.key_file.edit.clear()
    qtbot.mouseClick(finish, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert backup_folder(casa_admin.session) == new
