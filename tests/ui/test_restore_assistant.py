"""The restore assistant, the backups window of Administración, the offer to restore a
damaged database and the daily backup timer, driven through their widgets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard
from pytestqt.qtbot import QtBot

from oma_desktop.core.store import open_store
from oma_desktop.paths import DataPaths
from oma_desktop.services.backup import (
    Reason,
    RestoreReport,
    known_folders,
    list_backups,
    make_backup,
)
from oma_desktop.services.context import AppContext
from oma_desktop.ui.respaldo import (
    BackupsDialog,
    BackupsPanel,
    RestoreAssistant,
    offer_restore,
    offer_restore_for,
    start_daily_backups,
)

# offscreen, a wizard or message box warns that it cannot propagate size hints
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def add_person(ctx: AppContext, name: str) -> None:
    with ctx.session.transaction() as tx:
        tx.create("person", {"given_names": name, "created_at": "2026-12-01T10:00:00"})


def names(data_dir: Path) -> set[str]:
    store = open_store(data_dir / "oma.sqlite3", create=False)
    try:
        return {str(r["given_names"]) for r in store.rows("SELECT given_names FROM person")}
    finally:
        store.close()


@pytest.fixture
def admin(casa_admin: AppContext) -> AppContext:
    """The casa's administrator (may back up and restore), with Ana in a backup and Luis
    registered after it."""
    add_person(casa_admin, "Ana")
    make_backup(casa_admin, Reason.DAILY)
    add_person(casa_admin, "Luis")
    return casa_admin


def click(qtbot: QtBot, widget: QWidget) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def pick_row(qtbot: QtBot, table: QWidget, row: int) -> None:
    rect = table.visualRect(table.model().index(row, 0))  # type: ignore[attr-defined]
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,  # type: ignore[attr-defined]
                     pos=rect.center())


def run_assistant(qtbot: QtBot, assistant: RestoreAssistant, row: int) -> None:
    """Pick ``row``, go on, tick the confirmation, restore, wait, finish."""
    page = assistant.choose_page
    qtbot.waitUntil(lambda: page.loaded, timeout=10_000)
    pick_row(qtbot, page.table, row)
    click(qtbot, assistant.button(QWizard.WizardButton.NextButton))
    assert assistant.currentPage() is assistant.confirm_page
    commit = assistant.button(QWizard.WizardButton.CommitButton)
    assert not commit.isEnabled()  # not before the tick
    assistant.confirm_page.confirm.setFocus()
    qtbot.keyClick(assistant.confirm_page.confirm, Qt.Key.Key_Space)
    click(qtbot, commit)
    qtbot.waitUntil(lambda: assistant.run_page.done, timeout=20_000)


def test_the_assistant_restores_the_chosen_backup(qtbot: QtBot, admin: AppContext,
                                                  data_dir: Path) -> None:
    assistant = RestoreAssistant(admin.paths, admin.key,
                                 known_folders(admin.paths, admin.session),
                                 before_restore=admin.close)
    qtbot.addWidget(assistant)
    restored: list[RestoreReport] = []
    assistant.restored.connect(restored.append)
    assistant.show()
    page = assistant.choose_page
    qtbot.waitUntil(lambda: page.loaded, timeout=10_000)
    model = page.model
    assert model.rowCount() == 1
    assert [model.index(0, c).data() for c in (1, 3)] == ["Diaria", "Verificada"]
    assert re.fullmatch(r"\d+\.\d MB", model.index(0, 2).data())
    run_assistant(qtbot, assistant, 0)
    text = assistant.run_page.result.text()
    assert "Se restauró la base de datos desde la copia" in text
    assert "OMA Desktop se cierra" in text
    assert len(restored) == 1 and restored[0].persons == 1
    assert admin.session.closed  # the app's database was closed before the restore
    click(qtbot, assistant.button(QWizard.WizardButton.FinishButton))
    assert names(data_dir) == {"Ana"}
    reasons = [b.reason for b in list_backups(DataPaths(data_dir))]
    assert reasons == [Reason.BEFORE_RESTORE, Reason.DAILY]


def test_the_confirmation_says_what_will_happen(qtbot: QtBot, admin: AppContext) -> None:
    assistant = RestoreAssistant(admin.paths, admin.key, [admin.paths.backups])
    qtbot.addWidget(assistant)
    assistant.show()
    qtbot.waitUntil(lambda: assistant.choose_page.loaded, timeout=10_000)
    click(qtbot, assistant.button(QWizard.WizardButton.NextButton))
    text = assistant.confirm_page.text.text()
    assert "se reemplazará por la copia de seguridad del" in text
    assert "(diaria)" in text
    assert "«antes de restaurar»" in text
    click(qtbot, assistant.button(QWizard.WizardButton.BackButton))
    assert assistant.currentPage() is assistant.choose_page


def test_a_damaged_backup_cannot_be_chosen(qtbot: QtBot, admin: AppContext) -> None:
    add_person(admin, "Rosa")
    damaged = make_backup(admin, Reason.BEFORE_IMPORT)
    with open(damaged.path, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xff" * 4096)
    assistant = RestoreAssistant(admin.paths, admin.key, [admin.paths.backups])
    qtbot.addWidget(assistant)
    assistant.show()
    page = assistant.choose_page
    qtbot.waitUntil(lambda: page.loaded, timeout=10_000)
    assert page.model.index(0, 3).data() == "Dañada: no la use"
    assert page.chosen() is not None and page.chosen().reason is Reason.DAILY  # preselected
    pick_row(qtbot, page.table, 0)
    assert "está dañada" in page.status.text()
    assert not assistant.button(QWizard.WizardButton.NextButton).isEnabled()


def test_a_damaged_database_at_start_up_leads_to_the_assistant(
    qtbot: QtBot, admin: AppContext, data_dir: Path
) -> None:
    admin.close()
    live = data_dir / "oma.sqlite3"
    with open(live, "r+b") as handle:
        handle.write(b"\x00" * 100)  # the header is gone
    finished: list[RestoreReport | None] = []
    box = offer_restore(None, DataPaths(data_dir), None,
                        message="La base de datos está dañada.", on_finished=finished.append)
    qtbot.addWidget(box)
    qtbot.waitUntil(box.isVisible)
    assert "Puede restaurar ahora la última copia de seguridad buena" in box.text()
    button = box.findChild(QWidget, "offer_restore_button")
    click(qtbot, button)
    qtbot.waitUntil(lambda: isinstance(box.property("assistant"), RestoreAssistant))
    assistant = box.property("assistant")
    assert assistant.choose_page.damage.text() == "La base de datos está dañada."
    run_assistant(qtbot, assistant, 0)
    click(qtbot, assistant.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: len(finished) == 1)
    report = finished[0]
    assert report is not None and report.safety_copy is None and report.damaged_kept.exists()
    assert names(data_dir) == {"Ana"}


def test_the_running_app_closes_its_database_restores_and_closes_the_window(
    qtbot: QtBot, admin: AppContext
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    box = offer_restore_for(window, admin, "La base de datos está dañada.")
    qtbot.waitUntil(box.isVisible)
    assert not admin.session.closed  # nothing closed before the clerk chooses
    click(qtbot, box.findChild(QWidget, "offer_restore_button"))
    qtbot.waitUntil(lambda: isinstance(box.property("assistant"), RestoreAssistant))
    assistant = box.property("assistant")
    run_assistant(qtbot, assistant, 0)
    assert admin.session.closed
    click(qtbot, assistant.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: not window.isVisible())
    assert names(admin.paths.root) == {"Ana"}


def test_a_role_that_may_not_restore_is_told_whom_to_ask(qtbot: QtBot, admin: AppContext) -> None:
    box = offer_restore(None, admin.paths, admin.key, message="Dañada.", role="recepcion")
    qtbot.addWidget(box)
    qtbot.waitUntil(box.isVisible)
    assert "Pida a la administración de la casa" in box.text()
    assert not box.findChild(QWidget, "offer_restore_button").isVisible()


def test_closing_the_offer_restores_nothing(qtbot: QtBot, admin: AppContext) -> None:
    finished: list[RestoreReport | None] = []
    box = offer_restore(None, admin.paths, admin.key, message="Dañada.",
                        on_finished=finished.append)
    qtbot.addWidget(box)
    qtbot.waitUntil(box.isVisible)
    close = next(b for b in box.buttons()
                 if box.buttonRole(b) == QMessageBox.ButtonRole.RejectRole)
    click(qtbot, close)
    assert finished == [None]
    assert box.property("assistant") is None


def test_back_up_now_lists_the_copy_and_restore_opens_the_assistant(
    qtbot: QtBot, admin: AppContext
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    panel = BackupsPanel(admin, window)
    window.show()
    qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10_000)
    assert str(admin.paths.backups) in panel.folder_label.text()
    click(qtbot, panel.backup_button)
    qtbot.waitUntil(lambda: panel.model.rowCount() == 2, timeout=10_000)
    assert "Copia de seguridad guardada y verificada" in panel.message.text()
    assert [panel.model.index(0, c).data() for c in (1, 3)] == ["Hecha a mano", "Verificada"]
    pick_row(qtbot, panel.table, 1)
    click(qtbot, panel.restore_button)
    assistant = panel.assistant
    assert isinstance(assistant, RestoreAssistant)
    qtbot.waitUntil(lambda: assistant.choose_page.loaded, timeout=10_000)
    assert assistant.chosen() is not None and assistant.chosen().reason is Reason.DAILY
    run_assistant(qtbot, assistant, 1)
    click(qtbot, assistant.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: not window.isVisible())  # the program closes to start again
    assert names(admin.paths.root) == {"Ana"}


def test_a_coordinator_backs_up_but_may_not_restore(qtbot: QtBot,
                                                    coordinator: AppContext) -> None:
    dialog = BackupsDialog(coordinator)
    qtbot.addWidget(dialog)
    dialog.show()
    panel = dialog.panel
    assert panel.backup_button.isEnabled()
    assert not panel.restore_button.isEnabled()
    assert "no le permite restaurar una copia de seguridad" in panel.restore_button.toolTip()


def test_reception_sees_the_list_but_may_not_back_up(qtbot: QtBot, ctx: AppContext) -> None:
    panel = BackupsPanel(ctx)
    qtbot.addWidget(panel)
    assert not panel.backup_button.isEnabled() and not panel.folder_button.isEnabled()
    assert "no le permite hacer una copia de seguridad" in panel.backup_button.toolTip()


def test_the_daily_backup_is_made_once(qtbot: QtBot, ctx: AppContext) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    daily = start_daily_backups(window, ctx)
    qtbot.waitUntil(lambda: daily.last is not None and not daily.running, timeout=10_000)
    daily.check()
    qtbot.waitUntil(lambda: not daily.running, timeout=10_000)
    assert [b.reason for b in list_backups(ctx.session)] == [Reason.DAILY]
    assert daily.timer.isActive()


def test_administracion_opens_the_backups_window(qtbot: QtBot, admin: AppContext) -> None:
    from oma_desktop.ui.administracion.page import AdministrationPage

    page = AdministrationPage(admin)
    qtbot.addWidget(page)
    page.show()
    click(qtbot, page.backups_button)
    dialog = page.findChild(BackupsDialog)
    assert isinstance(dialog, BackupsDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.panel.model.rowCount() == 1, timeout=10_000)
    assert dialog.panel.restore_button.isEnabled()
