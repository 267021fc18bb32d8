"""The import wizard with real sample lists: mapping, preview, errors, import off the GUI thread."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from oma_desktop.core.errors import OmaError
from oma_desktop.services import importer
from oma_desktop.services.context import AppContext
from oma_desktop.services.importer import PreviewRow, RowIssue, read_table
from oma_desktop.ui.importer.dialog import (
    PAGE_CONFIRM,
    PAGE_FILE,
    PAGE_MAPPING,
    PAGE_SUMMARY,
    ImportWizard,
    open_import_dialog,
)
from oma_desktop.ui.importer.models import (
    MAP_COL_HEADER,
    MAP_COL_SAMPLES,
    MAP_COL_TARGET,
    IssuesModel,
    MappingModel,
    PreviewModel,
    column_letter,
)
from oma_desktop.ui.tasks import TaskProgressDialog

# importing and settling its possible duplicates is for coordinación (issue #9)
pytestmark = pytest.mark.usefixtures("coordinator")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
GOOD_CSV = FIXTURES / "atenciones_cv3.csv"
BAD_CSV = FIXTURES / "con_errores.csv"
WORKBOOK = FIXTURES / "padron_cv1.xlsx"
WAIT = 10_000


@pytest.fixture
def wizard(qtbot: QtBot, ctx: AppContext) -> Iterator[ImportWizard]:
    wiz = ImportWizard(ctx)
    qtbot.addWidget(wiz)
    wiz.show()
    qtbot.waitExposed(wiz)
    yield wiz
    wiz.close()


def _count(ctx: AppContext, table: str) -> int:
    return int(ctx.session.store.scalar(f"SELECT count(*) FROM {table}"))


def _load(qtbot: QtBot, wiz: ImportWizard, path: Path, sheet: str | None = None) -> None:
    wiz.file_page.set_path(path)
    qtbot.waitUntil(wiz.file_page.isComplete, timeout=WAIT)
    if sheet is not None:
        wiz.file_page.select_sheet(sheet)
        qtbot.waitUntil(lambda: wiz.file_page.isComplete() and wiz.table is not None
                        and wiz.table.sheet == sheet, timeout=WAIT)


def _to_mapping(qtbot: QtBot, wiz: ImportWizard, path: Path, sheet: str | None = None) -> None:
    _load(qtbot, wiz, path, sheet)
    wiz.next()
    assert wiz.currentId() == PAGE_MAPPING


def _to_confirm(qtbot: QtBot, wiz: ImportWizard) -> None:
    wiz.next()
    assert wiz.currentId() == PAGE_CONFIRM
    qtbot.waitUntil(lambda: wiz.confirm_page.plan is not None, timeout=WAIT)


def _combo_text(wiz: ImportWizard, header: str) -> str:
    page = wiz.mapping_page
    return page.combos[page.model.row_of_header(header)].currentText()


def _commit_button(wiz: ImportWizard):
    return wiz.button(QWizard.WizardButton.CommitButton)


# --- page 1 ---------------------------------------------------------------------------


def test_reads_a_csv(qtbot: QtBot, wizard: ImportWizard) -> None:
    assert wizard.windowTitle() == "Importar personas desde una lista"
    assert not wizard.file_page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    _load(qtbot, wizard, GOOD_CSV)
    page = wizard.file_page
    assert page.status_label.text() == "Archivo leído: 8 filas y 13 columnas."
    assert not page.sheet_combo.isVisible()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert wizard.button(QWizard.WizardButton.NextButton).text() == "&Siguiente >"


def test_a_workbook_offers_its_sheets(qtbot: QtBot, wizard: ImportWizard) -> None:
    _load(qtbot, wizard, WORKBOOK)
    page = wizard.file_page
    assert page.sheet_combo.isVisible()
    assert [page.sheet_combo.itemText(i) for i in range(page.sheet_combo.count())] == [
        "Padrón", "Atenciones"]
    assert page.status_label.text() == "Hoja «Padrón» leída: 4 filas y 14 columnas."
    _load(qtbot, wizard, WORKBOOK, sheet="Atenciones")
    assert page.status_label.text() == "Hoja «Atenciones» leída: 3 filas y 7 columnas."
    assert page.sheet_combo.currentText() == "Atenciones"


def test_a_file_that_cannot_be_read_says_why(qtbot: QtBot, wizard: ImportWizard,
                                             tmp_path: Path) -> None:
    old = tmp_path / "lista.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0 not really excel")
    with pytest.raises(OmaError) as expected:
        read_table(old)
    wizard.file_page.set_path(old)
    qtbot.waitUntil(lambda: not wizard.file_page.is_loading(), timeout=WAIT)
    assert wizard.file_page.status_label.text() == str(expected.value)
    assert "formato antiguo" in wizard.file_page.status_label.text()
    assert not wizard.file_page.isComplete()


# --- page 2 ---------------------------------------------------------------------------


def test_mapping_is_prefilled_from_the_titles(qtbot: QtBot, wizard: ImportWizard) -> None:
    _to_mapping(qtbot, wizard, GOOD_CSV)
    page = wizard.mapping_page
    headers = wizard.table.headers
    assert page.model.mapping() == importer.guess_mapping(headers)
    assert _combo_text(wizard, "Apellidos y nombres") == "Nombre completo (apellidos y nombres)"
    assert _combo_text(wizard, "N°") == "— no importar —"
    assert _combo_text(wizard, "Fecha de atención") == "Fecha de atención"
    row = page.model.row_of_header("Celular")
    assert page.model.index(row, MAP_COL_SAMPLES).data() == (
        "987 654 321 · 912345678 · +51 955 111 222")
    assert page.problems_label.text() == "Se importarán 12 columnas."
    headers_shown = [page.model.headerData(c, Qt.Orientation.Horizontal)
                     for c in range(page.model.columnCount())]
    assert headers_shown == ["Columna de la lista", "Ejemplos", "Importar como"]


def test_keyboard_goes_from_combo_to_combo(qtbot: QtBot, wizard: ImportWizard) -> None:
    wizard.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard)
    _to_mapping(qtbot, wizard, GOOD_CSV)
    combos = wizard.mapping_page.combos
    qtbot.waitUntil(lambda: QApplication.focusWidget() is combos[0])
    qtbot.keyClick(combos[0], Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is combos[1]


def test_a_mapping_without_names_cannot_go_on(qtbot: QtBot, wizard: ImportWizard) -> None:
    _to_mapping(qtbot, wizard, GOOD_CSV)
    wizard.mapping_page.set_column_target("Apellidos y nombres", "")
    assert not wizard.mapping_page.isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert wizard.mapping_page.problems_label.text().startswith("Asigne la columna con los nombres")
    wizard.mapping_page.set_column_target("Apellidos y nombres", "full_name")
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()


# --- page 3 ---------------------------------------------------------------------------


def test_preview_counts_and_consent(qtbot: QtBot, wizard: ImportWizard, ctx: AppContext) -> None:
    _to_mapping(qtbot, wizard, GOOD_CSV)
    _to_confirm(qtbot, wizard)
    page = wizard.confirm_page
    assert page.new_box.number_label.text() == "6"
    assert page.existing_box.number_label.text() == "0"
    assert page.consultations_box.number_label.text() == "7"
    assert page.errors_box.number_label.text() == "0"
    assert page.new_box.caption_label.text() == "personas nuevas"
    assert page.message_label.text() == "La lista se puede importar."
    assert page.details_label.text() == (
        "7 filas leídas · 1 fila repite a una persona de una fila anterior · 1 fila vacía omitida.")
    assert page.preview_model.rowCount() == 7
    # the consent is required before «Importar»
    assert _commit_button(wizard).text() == "&Importar"
    assert not _commit_button(wizard).isEnabled()
    page.consent_check.setChecked(True)
    assert _commit_button(wizard).isEnabled()
    assert _count(ctx, "person") == 0  # the preview writes nothing


def test_errors_block_the_import(qtbot: QtBot, wizard: ImportWizard, ctx: AppContext) -> None:
    _to_mapping(qtbot, wizard, BAD_CSV)
    _to_confirm(qtbot, wizard)
    page = wizard.confirm_page
    page.consent_check.setChecked(True)
    assert page.errors_box.number_label.text() == "10"
    assert not _commit_button(wizard).isEnabled()
    assert not page.isComplete()
    message = page.message_label.text()
    assert message.startswith("10 filas tienen errores, así que no se importará nada.")
    assert "Corrija la hoja de cálculo" in message
    messages = [page.issues_model.index(r, 1).data() for r in range(page.issues_model.rowCount())]
    assert "Fila 4: no se reconoce el sexo «Z» (escriba F o M, Mujer u Hombre, o déjelo vacío)." in (
        messages)
    assert all(m.startswith("Fila ") for m in messages)
    assert page.tabs.tabText(0) == "Problemas (10)"
    assert page.validatePage() is False
    assert _count(ctx, "person") == 0


def test_changing_the_mapping_updates_the_preview(qtbot: QtBot, wizard: ImportWizard) -> None:
    _to_mapping(qtbot, wizard, BAD_CSV)
    _to_confirm(qtbot, wizard)
    first = wizard.confirm_page.plan
    assert first is not None and first.rows_with_errors == 10
    assert any("Arequipa" in i.message for i in first.issues)
    wizard.back()
    assert wizard.currentId() == PAGE_MAPPING
    wizard.mapping_page.set_column_target("Distrito", "")
    _to_confirm(qtbot, wizard)
    second = wizard.confirm_page.plan
    assert second is not first
    assert second.rows_with_errors == 9
    assert not any("Arequipa" in i.message for i in second.issues)
    assert wizard.confirm_page.errors_box.number_label.text() == "9"


def test_values_for_empty_cells_reach_the_preview(qtbot: QtBot, wizard: ImportWizard) -> None:
    _to_mapping(qtbot, wizard, WORKBOOK, sheet="Atenciones")
    _to_confirm(qtbot, wizard)
    assert wizard.confirm_page.plan.rows_with_errors == 2  # no nationality in two rows
    wizard.back()
    wizard.mapping_page.nationality_combo.set_value("VE")
    _to_confirm(qtbot, wizard)
    assert wizard.confirm_page.plan.rows_with_errors == 0


# --- import ---------------------------------------------------------------------------


def test_a_good_list_is_imported(qtbot: QtBot, wizard: ImportWizard, ctx: AppContext) -> None:
    _to_mapping(qtbot, wizard, GOOD_CSV)
    _to_confirm(qtbot, wizard)
    wizard.confirm_page.consent_check.setChecked(True)
    with qtbot.waitSignal(wizard.imported, timeout=WAIT) as blocker:
        qtbot.mouseClick(_commit_button(wizard), Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result.persons_created == 6 and result.consultations_created == 7
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_SUMMARY, timeout=WAIT)
    assert _count(ctx, "person") == 6
    assert _count(ctx, "consultation") == 7
    names = {r["given_names"] + " " + r["paternal_surname"]
             for r in ctx.session.store.rows("SELECT given_names, paternal_surname FROM person")}
    assert "José Luis Pérez" in names
    assert wizard.summary_page.summary_label.text() == (
        "• 6 personas nuevas registradas.\n• 7 atenciones registradas.")
    assert not wizard.button(QWizard.WizardButton.BackButton).isVisible()
    assert wizard.button(QWizard.WizardButton.FinishButton).text() == "&Finalizar"


def test_a_workbook_sheet_is_imported(qtbot: QtBot, wizard: ImportWizard, ctx: AppContext) -> None:
    _to_mapping(qtbot, wizard, WORKBOOK)
    _to_confirm(qtbot, wizard)
    wizard.confirm_page.consent_check.setChecked(True)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_SUMMARY, timeout=WAIT)
    assert _count(ctx, "person") == 4


def test_work_happens_in_workers_and_the_gui_stays_responsive(
    qtbot: QtBot, wizard: ImportWizard, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    gui = threading.get_ident()
    threads: list[tuple[str, int]] = []
    release = threading.Event()
    real_read, real_plan, real_commit = (importer.read_table, importer.plan_import,
                                         importer.commit_import)

    def read_table(*args, **kwargs):
        threads.append(("read", threading.get_ident()))
        return real_read(*args, **kwargs)

    def slow_plan(*args, **kwargs):
        threads.append(("plan", threading.get_ident()))
        if len([t for t in threads if t[0] == "plan"]) == 2:  # the import's own planning
            release.wait(5)
        return real_plan(*args, **kwargs)

    def commit(*args, **kwargs):
        threads.append(("commit", threading.get_ident()))
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(importer, "read_table", read_table)
    monkeypatch.setattr(importer, "plan_import", slow_plan)
    monkeypatch.setattr(importer, "commit_import", commit)
    _to_mapping(qtbot, wizard, GOOD_CSV)
    _to_confirm(qtbot, wizard)
    wizard.confirm_page.consent_check.setChecked(True)
    wizard.next()
    # the progress dialog is up at once: nothing else in the wizard can be clicked
    shown = wizard.findChild(TaskProgressDialog)
    assert shown is not None and shown.isVisible() and shown.isModal()
    ticks: list[int] = []
    timer = QTimer(wizard)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=WAIT)  # events flow during the import
    assert wizard.confirm_page.is_importing()
    assert not _commit_button(wizard).isEnabled()
    dialog = wizard.findChild(TaskProgressDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    assert dialog.windowTitle() == "Importando personas"
    assert _count(ctx, "person") == 0
    release.set()
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_SUMMARY, timeout=WAIT)
    timer.stop()
    assert [kind for kind, _t in threads] == ["read", "plan", "plan", "commit"]
    assert all(ident != gui for _kind, ident in threads)
    assert _count(ctx, "person") == 6


def test_a_failed_import_saves_nothing(
    qtbot: QtBot, wizard: ImportWizard, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_commit(session, plan):
        with session.store.transaction(session.user_id) as tx:
            tx.create("casa", {"name": "no debe quedar"})
            raise OmaError("La base de datos cambió.")

    monkeypatch.setattr(importer, "commit_import", broken_commit)
    _to_mapping(qtbot, wizard, GOOD_CSV)
    _to_confirm(qtbot, wizard)
    casas = _count(ctx, "casa")
    wizard.confirm_page.consent_check.setChecked(True)
    wizard.next()
    qtbot.waitUntil(lambda: not wizard.confirm_page.is_importing(), timeout=WAIT)
    assert wizard.currentId() == PAGE_CONFIRM
    assert wizard.confirm_page.message_label.text() == (
        "La base de datos cambió. No se importó nada.")
    assert _count(ctx, "casa") == casas and _count(ctx, "person") == 0
    assert _commit_button(wizard).isEnabled()  # may try again


def test_the_import_can_be_cancelled_while_checking(
    qtbot: QtBot, wizard: ImportWizard, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_plan = importer.plan_import

    def slow_plan(*args, progress=None, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            for i in range(500):
                progress(i, 500)
                time.sleep(0.01)
        return real_plan(*args, progress=progress, **kwargs)

    monkeypatch.setattr(importer, "plan_import", slow_plan)
    _to_mapping(qtbot, wizard, GOOD_CSV)
    _to_confirm(qtbot, wizard)
    wizard.confirm_page.consent_check.setChecked(True)
    wizard.next()
    dialog = wizard.findChild(TaskProgressDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    qtbot.waitUntil(lambda: dialog.labelText().startswith("Revisando la fila"), timeout=WAIT)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not wizard.confirm_page.is_importing(), timeout=WAIT)
    assert wizard.confirm_page.message_label.text() == "Importación cancelada. No se importó nada."
    assert wizard.currentId() == PAGE_CONFIRM
    assert _count(ctx, "person") == 0


def test_open_import_dialog(qtbot: QtBot, ctx: AppContext, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    wizard = open_import_dialog(ctx, parent)
    qtbot.waitExposed(wizard)
    assert isinstance(wizard, ImportWizard)
    assert wizard.windowModality() == Qt.WindowModality.WindowModal
    assert wizard.currentId() == PAGE_FILE
    assert wizard.width() >= 860 and wizard.height() >= 560
    # a copy elsewhere works the same (paths with spaces and accents)
    target = tmp_path / "lista de atención.csv"
    shutil.copy(GOOD_CSV, target)
    _load(qtbot, wizard, target)
    wizard.reject()


# --- models -------------------------------------------------------------------------


def test_models_pass_the_model_tester(qtmodeltester) -> None:
    table = read_table(GOOD_CSV)
    mapping = MappingModel()
    qtmodeltester.check(mapping)
    mapping.set_table(table, importer.guess_mapping(table.headers))
    qtmodeltester.check(mapping)
    assert mapping.setData(mapping.index(0, MAP_COL_TARGET), "notes")
    assert not mapping.setData(mapping.index(0, MAP_COL_TARGET), "no_such_field")
    assert not mapping.setData(mapping.index(0, MAP_COL_HEADER), "x")
    assert mapping.mapping()[0] == "notes"
    issues = IssuesModel()
    issues.set_issues([RowIssue(7, "sex", "Fila 7: sexo", "warning"),
                       RowIssue(9, "topic", "Fila 9: tema")])
    qtmodeltester.check(issues)
    assert issues.index(0, 1).data() == "Fila 9: tema"  # errors first
    assert issues.index(0, 0).data() == "Error" and issues.index(1, 0).data() == "Advertencia"
    preview = PreviewModel()
    preview.set_rows([PreviewRow(2, "new", "Nueva persona", "Ana Rojas", "01/01/1990", "CE 1",
                                 "Venezuela", "Breña", "", [])])
    qtmodeltester.check(preview)


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == [
        "A", "B", "Z", "AA", "AB", "ZZ", "AAA"]


@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")  # Qt's own dialog
def test_browse_opens_a_file_chooser(qtbot: QtBot, wizard: ImportWizard) -> None:
    from PySide6.QtWidgets import QFileDialog

    qtbot.mouseClick(wizard.file_page.browse_button, Qt.MouseButton.LeftButton)
    chooser = wizard.findChild(QFileDialog)
    assert chooser is not None
    assert chooser.windowTitle() == "Elegir la lista a importar"
    assert "Hojas de cálculo (*.xlsx *.xlsm *.csv *.txt)" in chooser.nameFilters()
    chooser.fileSelected.emit(str(GOOD_CSV))
    chooser.reject()
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=WAIT)
    assert wizard.file_page.path_edit.text() == str(GOOD_CSV)


def test_a_probable_duplicate_waits_for_a_coordinator(qtbot: QtBot, wizard: ImportWizard,
                                                      ctx: AppContext) -> None:
    import datetime as dt

    from oma_desktop.services.duplicate_review import pending_reviews
    from oma_desktop.services.persons import PersonInput, register_person

    # the list's María Alejandra (row 3), with the same name and no birth date on file
    register_person(ctx.session, PersonInput(
        given_names="María Alejandra", paternal_surname="González", maternal_surname="Ñáñez",
        sex="F", nationality="VE", consent_register=True), dt.date(2024, 6, 1))
    _to_mapping(qtbot, wizard, GOOD_CSV)
    _to_confirm(qtbot, wizard)
    page = wizard.confirm_page
    preview = page.preview_model
    labels = [preview.data(preview.index(r, 1)) for r in range(preview.rowCount())]
    assert labels[1] == "Posible duplicado por revisar"
    wizard.confirm_page.consent_check.setChecked(True)
    with qtbot.waitSignal(wizard.imported, timeout=WAIT) as blocker:
        qtbot.mouseClick(_commit_button(wizard), Qt.MouseButton.LeftButton)
    assert blocker.args[0].persons_created == 5
    qtbot.waitUntil(lambda: wizard.currentId() == PAGE_SUMMARY, timeout=WAIT)
    assert "• 1 posible duplicado espera en «Posibles duplicados por revisar»." in (
        wizard.summary_page.summary_label.text())
    [entry] = pending_reviews(ctx.session)
    assert entry.full_name == "María Alejandra González Ñáñez"
    assert entry.origin_text == "atenciones_cv3.csv, fila 3"
