"""«Derechos y consentimiento»: register a request, answer it (access file, cancellation),
review retention and anonymise in the background; the consent form from Personas."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path

import pytest
from kbd import keys
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox
from pytestqt.qtbot import QtBot

from oma_desktop.services import anonymise, consent, rights
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.ui.derechos.dialogs import RequestDialog, RespondDialog
from oma_desktop.ui.derechos.page import RightsDialog

TODAY = dt.date(2026, 11, 27)


def act_as(context: AppContext, role: str) -> AppContext:
    """The context's account gets ``role`` (as tests/roles.py does: tests/ui/roles.py
    shadows that module here)."""
    actor = dataclasses.replace(context.actor, role=role)
    with context.session.transaction() as tx:
        tx.update("app_user", actor.user_id, {"role": role})
    context.actor = actor
    context.session.actor = actor
    return context


@pytest.fixture
def coordinator(ctx: AppContext) -> AppContext:
    return act_as(ctx, "coordinacion")


@pytest.fixture
def casa_admin(ctx: AppContext) -> AppContext:
    return act_as(ctx, "admin_casa")
SHOTS = os.environ.get("OMA_SHOTS")  # a folder: save the screens there to look at them


def _person(ctx: AppContext, given: str = "Zoraida") -> str:
    return register_person(ctx.session, PersonInput(
        given_names=given, paternal_surname="Quispeluz", sex="F", nationality="VE",
        phone="945112233", birth_date=dt.date(1988, 3, 14), consent_register=True,
        consent_contact=True,
        documents=[DocumentInput(doc_type="PASAPORTE", number="XK4471923")]), TODAY)


def _shot(widget: object, name: str) -> None:
    if SHOTS:
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))  # type: ignore[attr-defined]


def _accept(dialog: QDialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    button = next(b for b in box.buttons()
                  if box.buttonRole(b) == QDialogButtonBox.ButtonRole.AcceptRole)
    button.click()


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_register_then_answer_an_access_request(qtbot: QtBot, coordinator: AppContext,
                                                tmp_path: Path) -> None:
    pid = _person(coordinator)
    window = RightsDialog(coordinator, today=lambda: TODAY)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    tab = window.page.requests
    assert tab.table.rowCount() == 0

    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    dialog = tab.dialog
    assert isinstance(dialog, RequestDialog)
    _accept(dialog)  # nothing chosen: the dialog stays, saying what is missing
    assert dialog.isVisible()
    assert dialog.kind_combo.accessibleDescription() == "Elija el tipo de solicitud."
    assert dialog.message.text() == "Revise los campos marcados."
    qtbot.keyClicks(dialog.kind_combo, "Acceso")
    assert dialog.kind_combo.value() == "acceso"
    keys(qtbot, dialog.search_edit, "Zoraida")
    assert dialog.results.count() == 1 and dialog.person_id() == pid
    assert "17/12/2026" in dialog.due_label.text()  # 20 calendar days
    _shot(dialog, "derechos-nueva")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.dialog is None)
    assert tab.table.rowCount() == 1
    assert tab.table.item(0, 1).text() == "Acceso"
    assert tab.table.item(0, 2).text() == "Zoraida Quispeluz"
    _shot(window, "derechos-lista")

    qtbot.mouseClick(tab.respond_button, Qt.MouseButton.LeftButton)
    answer = tab.dialog
    assert isinstance(answer, RespondDialog)
    _shot(answer, "derechos-responder")
    answer.save_access_file(tmp_path / "acceso.pdf")
    qtbot.waitUntil(lambda: answer.saved_file is not None)
    text = " ".join(p.extract_text() for p in PdfReader(str(answer.saved_file)).pages)
    assert "Zoraida" in text and "945112233" in text
    assert "27/11/2026" in answer.response_edit.toPlainText()
    _accept(answer)
    qtbot.waitUntil(lambda: tab.dialog is None)
    assert tab.table.rowCount() == 0  # only pending ones are listed
    assert "0 solicitudes pendientes" in tab.summary.text()
    qtbot.mouseClick(tab.open_only, Qt.MouseButton.LeftButton)
    assert tab.table.item(0, 5).text() == "Atendida"


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_overdue_requests_first_and_cancellation_anonymises(qtbot: QtBot,
                                                            casa_admin: AppContext) -> None:
    act_as(casa_admin, "coordinacion")
    pid = _person(casa_admin)
    act_as(casa_admin, "admin_casa")
    session = casa_admin.session
    later = rights.register_request(session, rights.RequestInput(
        kind="oposicion", requester_name="Pedro Ruiz", received_on=TODAY), TODAY)
    cancel = rights.register_request(session, rights.RequestInput(
        kind="cancelacion", person_id=pid, received_on=TODAY - dt.timedelta(days=15)), TODAY)
    window = RightsDialog(casa_admin, today=lambda: TODAY)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    tab = window.page.requests
    assert [tab.table.item(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(2)] == [
        cancel, later]
    assert tab.table.item(0, 0).text() == "22/11/2026 (vencida hace 5 d)"
    assert "1 vencida" in tab.summary.text()
    _shot(window, "derechos-vencidas")

    tab.table.selectRow(0)
    qtbot.mouseClick(tab.respond_button, Qt.MouseButton.LeftButton)
    answer = tab.dialog
    assert isinstance(answer, RespondDialog)
    asked: list[bool] = []
    answer.confirm_anonymise = lambda: asked.append(True) or False  # the user says No
    keys(qtbot, answer.response_edit, "Datos anonimizados.")
    _accept(answer)
    assert asked == [True] and answer.isVisible()
    assert not anonymise.is_anonymised(session, pid)
    answer.confirm_anonymise = lambda: True
    _accept(answer)
    qtbot.waitUntil(lambda: tab.dialog is None)
    assert anonymise.is_anonymised(session, pid)
    assert session.store.get("person", pid)["given_names"] == "(persona anonimizada)"  # type: ignore[index]
    assert consent.current_consents(session, pid) == {
        "register": False, "refer": False, "contact": False}


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_retention_review_anonymises_the_ticked_in_the_background(
        qtbot: QtBot, casa_admin: AppContext) -> None:
    act_as(casa_admin, "coordinacion")
    first, second = _person(casa_admin, "Primera"), _person(casa_admin, "Segunda")
    act_as(casa_admin, "admin_casa")
    far = dt.date.today().replace(year=dt.date.today().year + 6)
    window = RightsDialog(casa_admin, today=lambda: far)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.page.tabs.setCurrentIndex(1)
    tab = window.page.retention
    qtbot.mouseClick(tab.review_button, Qt.MouseButton.LeftButton)  # a background job
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2)
    assert "2 personas sin actividad por más de 5 años" in tab.summary.text()
    _shot(window, "derechos-conservacion")
    assert not tab.anonymise_ticked()  # nothing ticked
    assert tab.summary.text() == "Primero marque a las personas que desea anonimizar."
    names = [tab.table.item(r, 0).text() for r in range(2)]
    row = names.index("Segunda Quispeluz")
    item = tab.table.item(row, 0)
    rect = tab.table.visualItemRect(item)
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton,
                     pos=rect.topLeft() + type(rect.topLeft())(10, rect.height() // 2))
    assert tab.ticked() == [second]
    tab.confirm = lambda count: count == 1
    assert tab.anonymise_ticked()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1)
    assert anonymise.is_anonymised(casa_admin.session, second)
    assert not anonymise.is_anonymised(casa_admin.session, first)
    assert tab.summary.text() == "1 persona anonimizada."


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_reception_sees_no_requests_and_cannot_anonymise(qtbot: QtBot, ctx: AppContext) -> None:
    window = RightsDialog(ctx, today=lambda: TODAY)
    qtbot.addWidget(window)
    window.show()
    assert not window.page.requests.new_button.isEnabled()
    assert window.page.requests.summary.text() == "Su rol no atiende estas solicitudes."
    assert not window.page.retention.anonymise_button.isEnabled()


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_consent_form_button_on_personas(qtbot: QtBot, ctx: AppContext,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from oma_desktop.ui.people_page import PeoplePage
    from oma_desktop.ui.widgets import sheet_export

    opened: list[Path] = []
    monkeypatch.setattr(sheet_export, "open_file", lambda path: opened.append(path) or True)
    pid = _person(ctx)
    page = PeoplePage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    assert not page.consent_form_button.isEnabled()
    page.show_person(pid)
    assert page.consent_form_button.isEnabled()
    qtbot.mouseClick(page.consent_form_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(opened))
    text = PdfReader(str(opened[0])).pages[0].extract_text()
    assert "Zoraida Quispeluz" in text and "Pasaporte XK4471923" in text
    _shot(page, "personas-consentimiento")


@pytest.mark.qt_log_ignore("propagateSizeHints")
def test_the_person_form_records_how_consent_was_given(qtbot: QtBot, ctx: AppContext) -> None:
    from oma_desktop.ui.personas.person_form import PersonDialog

    dialog = PersonDialog(ctx)
    qtbot.addWidget(dialog, before_close_func=lambda d: d.done(0))  # type: ignore[attr-defined]
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    for edit, text in ((dialog.given_names, "Carla"), (dialog.paternal_surname, "Mendoza")):
        qtbot.keyClicks(edit, text)
    qtbot.keyClicks(dialog.sex, "Mujer")
    qtbot.mouseClick(dialog.consent_register, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.consent_method, "Escrito")
    assert dialog.consent_method.value() == "escrito"
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog.result_person_id is not None)
    assert dialog.result_person_id is not None
    history = consent.consent_history(ctx.session, dialog.result_person_id)
    assert [(e.purpose, e.granted, e.method) for e in history] == [
        ("register", True, "escrito"), ("refer", False, "escrito"), ("contact", False, "escrito")]


@pytest.mark.qt_log_ignore("propagateSizeHints")
@pytest.mark.parametrize(("role", "shown"), [
    ("recepcion", False), ("coordinacion", True), ("admin_casa", True)])
def test_administration_has_the_rights_tab_for_the_roles_that_use_it(
        qtbot: QtBot, ctx: AppContext, role: str, shown: bool) -> None:
    from oma_desktop.ui.administracion.page import AdministrationPage
    from oma_desktop.ui.derechos.page import RightsPage

    act_as(ctx, role)
    page = AdministrationPage(ctx)
    qtbot.addWidget(page)
    titles = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    assert ("Derechos sobre los datos" in titles) is shown
    if shown:
        index = titles.index("Derechos sobre los datos")
        assert isinstance(page.tabs.widget(index), RightsPage)
