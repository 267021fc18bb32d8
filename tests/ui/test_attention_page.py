"""The Atención page: find, register and attend a person without touching the mouse."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from kbd import focused, keys, press, type_text, wait_active
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget
from pytestqt.qtbot import QtBot

from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.households import add_member, ensure_household
from oma_desktop.services.persons import (
    DocumentInput,
    PersonInput,
    register_person,
    write_new_person,
)
from oma_desktop.ui.atencion.consultation_form import ConsultationDialog
from oma_desktop.ui.atencion.page import AttentionPage
from oma_desktop.ui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def _person(
    ctx: AppContext, given: str, surname: str, maternal: str = "", sex: str = "F",
    documents: list[DocumentInput] | None = None, **extra: Any,
) -> str:
    data = PersonInput(given_names=given, paternal_surname=surname, maternal_surname=maternal, sex=sex,
                       nationality="VE", consent_register=True, documents=documents or [], **extra)
    return register_person(ctx.session, data)


def _tab_to(qtbot: QtBot, target: QWidget, limit: int = 30) -> None:
    for _ in range(limit):
        if focused() is target:
            return
        press(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"Tab never reached {target!r}")


@pytest.fixture
def page(qtbot: QtBot, window: MainWindow) -> AttentionPage:
    page = window.page("attention")
    assert isinstance(page, AttentionPage)
    assert window.stack.currentWidget() is page
    qtbot.waitUntil(lambda: page.search_edit.hasFocus())
    return page


def _search(qtbot: QtBot, page: AttentionPage, text: str) -> None:
    """Type in the search box like a clerk and wait for the debounced search."""
    page.search_edit.setFocus()
    keys(qtbot, page.search_edit, text)
    qtbot.waitUntil(lambda: not page.panel.is_search_pending())


def test_page_is_the_default_and_explains_itself(page: AttentionPage) -> None:
    assert page.search_edit.placeholderText() == "Nombres, apellidos, documento o teléfono"
    assert page.new_person_button.text() == "Nueva persona (Ctrl+N)"
    assert page.quick_button.text() == "Atención anónima (Ctrl+Shift+N)"
    assert page.new_consultation_button.text() == "Nueva atención (F2)"
    assert not page.new_consultation_button.isEnabled()
    assert page.count_label.text().startswith("Escriba para buscar.")
    assert page.summary.empty_label.isVisible()
    assert page.model.rowCount() == 0


def test_search_as_you_type_with_a_count(qtbot: QtBot, ctx: AppContext, page: AttentionPage) -> None:
    for given in ("Génesis", "Yorman", "Luisa"):
        _person(ctx, given, "Rojas")
    _person(ctx, "Carla", "Pérez")
    page.search_edit.setFocus()
    keys(qtbot, page.search_edit, "roj")
    assert page.panel.is_search_pending()  # debounced: nothing queried per key
    assert page.model.rowCount() == 0
    qtbot.waitUntil(lambda: page.model.rowCount() == 3)
    assert page.count_label.text() == "3 personas encontradas"
    assert page.selected_person_id() is None  # several: nobody chosen for the clerk
    keys(qtbot, page.search_edit, "as genesis")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.count_label.text() == "1 persona encontrada"
    # a single result is selected at once and summarised
    assert page.summary.name_label.text() == "Génesis Rojas"
    assert page.new_consultation_button.isEnabled()


def test_nobody_found_offers_ctrl_n(qtbot: QtBot, page: AttentionPage) -> None:
    _search(qtbot, page, "Yulimar Contreras")
    assert page.model.rowCount() == 0
    assert page.count_label.text() == (
        "No se encontró a nadie. Pulse Ctrl+N para registrar a «Yulimar Contreras»."
    )


def test_more_results_than_shown(qtbot: QtBot, ctx: AppContext, page: AttentionPage) -> None:
    with ctx.session.store.transaction(ctx.user_id) as tx:
        for i in range(55):
            write_new_person(ctx.session, tx, PersonInput(
                given_names=f"Ana {chr(65 + i % 26)}", paternal_surname="Quispe", sex="F",
                nationality="PE", consent_register=True), dt.date.today())
    _search(qtbot, page, "quispe")
    assert page.model.rowCount() == 50
    assert page.count_label.text() == (
        "Se encontraron más de 50 personas; se muestran las primeras 50. "
        "Escriba más para afinar la búsqueda."
    )


def test_search_by_document_with_dots(qtbot: QtBot, ctx: AppContext, page: AttentionPage) -> None:
    expiry = dt.date.today() + dt.timedelta(days=400)
    pid = _person(ctx, "Yulimar", "Contreras", "Díaz", documents=[
        DocumentInput(doc_type="CE", number="001234567", expiry_date=expiry)])
    _person(ctx, "Otra", "Persona", documents=[DocumentInput(doc_type="DNI", number="00123456")])
    _search(qtbot, page, "001.234.567")
    assert page.model.rowCount() == 1
    assert page.selected_person_id() == pid
    assert page.summary.name_label.text() == "Yulimar Contreras Díaz"
    assert "CE 001234567" in page.summary.documents_label.text()
    assert expiry.strftime("%d/%m/%Y") in page.summary.documents_label.text()
    assert page.model.data(page.model.index(0, page.model.COL_DOCUMENT)) == "CE 001234567"


def test_down_and_enter_navigation(qtbot: QtBot, ctx: AppContext, page: AttentionPage) -> None:
    ids = [_person(ctx, given, "Rojas") for given in ("Ana", "Beatriz", "Carmen")]
    _search(qtbot, page, "rojas")
    assert page.selected_person_id() is None
    assert page.summary.empty_label.isVisible()
    press(qtbot, Qt.Key.Key_Down)
    assert focused() is page.table
    first = page.selected_person_id()
    assert first in ids
    assert page.summary.person_id() == first
    press(qtbot, Qt.Key.Key_Down)
    second = page.selected_person_id()
    assert second in ids and second != first
    with qtbot.waitSignal(page.panel.person_chosen) as chosen:
        press(qtbot, Qt.Key.Key_Return)
    assert chosen.args == [second]
    assert page.summary.person_id() == second
    assert page.summary.isVisible() and page.summary.name_label.isVisible()
    press(qtbot, Qt.Key.Key_Up)
    press(qtbot, Qt.Key.Key_Up)  # above the first row: back in the search box
    assert focused() is page.search_edit
    press(qtbot, Qt.Key.Key_Down)
    type_text(qtbot, "x")  # typing in the results goes on in the search box
    assert focused() is page.search_edit
    assert page.search_edit.text() == "rojasx"
    press(qtbot, Qt.Key.Key_Escape)  # Esc clears the search
    assert page.search_edit.text() == ""
    qtbot.waitUntil(lambda: page.model.rowCount() == 0)
    assert page.summary.empty_label.isVisible()


def test_enter_in_the_search_box_goes_to_the_results(
    qtbot: QtBot, ctx: AppContext, page: AttentionPage
) -> None:
    pid = _person(ctx, "Wilmer", "Sulbarán")
    page.search_edit.setFocus()
    keys(qtbot, page.search_edit, "sulbaran")
    press(qtbot, Qt.Key.Key_Return)  # no need to wait for the debounce
    assert focused() is page.table
    assert page.selected_person_id() == pid


def test_ctrl_f_focuses_the_search_from_anywhere(
    qtbot: QtBot, ctx: AppContext, page: AttentionPage
) -> None:
    _person(ctx, "Ana", "Rojas")
    _search(qtbot, page, "rojas")
    page.summary.timeline_view.setFocus()
    press(qtbot, Qt.Key.Key_F, CTRL)
    assert focused() is page.search_edit
    assert page.search_edit.selectedText() == "rojas"


def test_f2_without_a_person_explains_what_to_do(qtbot: QtBot, page: AttentionPage) -> None:
    press(qtbot, Qt.Key.Key_F2)
    assert page.active_dialog is None
    assert page.message_label.text() == (
        "Primero elija a una persona de la lista (↓ y Enter), o pulse Ctrl+N para registrarla."
    )
    type_text(qtbot, "a")  # the hint goes away as soon as the clerk types
    assert page.message_label.text() == ""


class StandInPersonDialog(QDialog):
    """Records how the page opened it; the test plays the clerk."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, person_id: str | None = None,
                 initial_text: str = "") -> None:
        super().__init__(parent)
        self.person_id = person_id
        self.initial_text = initial_text
        self.result_person_id: str | None = None


def test_ctrl_n_registers_the_searched_person_then_offers_f2(
    qtbot: QtBot, ctx: AppContext, page: AttentionPage
) -> None:
    page.person_dialog_factory = StandInPersonDialog
    _search(qtbot, page, "Yulimar Contreras")
    press(qtbot, Qt.Key.Key_N, CTRL)
    dialog = page.active_dialog
    assert isinstance(dialog, StandInPersonDialog)
    assert dialog.initial_text == "Yulimar Contreras" and dialog.person_id is None
    assert dialog.isModal()
    dialog.result_person_id = _person(ctx, "Yulimar", "Contreras")
    dialog.accept()
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert page.selected_person_id() == dialog.result_person_id
    assert page.summary.name_label.text() == "Yulimar Contreras"
    assert focused() is page.new_consultation_button
    assert page.message_label.text() == "Persona guardada. Pulse F2 para registrar su atención."


def test_cancelled_person_dialog_changes_nothing(qtbot: QtBot, page: AttentionPage) -> None:
    page.person_dialog_factory = StandInPersonDialog
    _search(qtbot, page, "Nadie")
    press(qtbot, Qt.Key.Key_N, CTRL)
    dialog = page.active_dialog
    assert dialog is not None
    dialog.reject()
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert page.selected_person_id() is None and page.search_edit.text() == "Nadie"


def test_find_register_and_consult_without_the_mouse(
    qtbot: QtBot, ctx: AppContext, window: MainWindow, page: AttentionPage
) -> None:
    from oma_desktop.ui.personas.person_form import PersonDialog

    # 1. type a name nobody has
    type_text(qtbot, "Yulimar Contreras")
    qtbot.waitUntil(lambda: page.count_label.text().startswith("No se encontró a nadie"))
    # 2. Ctrl+N: the person form, already filled with the name
    press(qtbot, Qt.Key.Key_N, CTRL)
    person_dialog = page.active_dialog
    assert isinstance(person_dialog, PersonDialog)
    wait_active(qtbot, person_dialog)
    assert person_dialog.given_names.text() == "Yulimar"
    assert person_dialog.paternal_surname.text() == "Contreras"
    # 3. fill what is missing by keyboard and save
    _tab_to(qtbot, person_dialog.sex)
    press(qtbot, Qt.Key.Key_M)  # Mujer
    _tab_to(qtbot, person_dialog.phone)
    type_text(qtbot, "912345678")
    _tab_to(qtbot, person_dialog.consent_register)
    press(qtbot, Qt.Key.Key_Space)
    press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    pid = ctx.session.store.scalar("SELECT id FROM person WHERE given_names = 'Yulimar'")
    assert pid is not None
    # the new person is selected and F2 is offered
    assert page.selected_person_id() == pid
    assert page.summary.name_label.text() == "Yulimar Contreras"
    wait_active(qtbot, window)
    assert focused() is page.new_consultation_button
    # 4. F2: the consultation, choose a topic and write what was asked
    press(qtbot, Qt.Key.Key_F2)
    consultation = page.active_dialog
    assert isinstance(consultation, ConsultationDialog)
    wait_active(qtbot, consultation)
    assert consultation.person_id == pid
    assert focused() is consultation.topic_filter
    type_text(qtbot, "cpp")
    press(qtbot, Qt.Key.Key_Return)
    _tab_to(qtbot, consultation.summary_edit)
    type_text(qtbot, "Quiere tramitar su CPP.")
    press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    # 5. in the database, linked to the person
    rows = ctx.session.store.rows("SELECT person_id, topics, summary FROM consultation")
    assert rows == [{"person_id": pid, "topics": '["REG_CPP_PTP"]', "summary": "Quiere tramitar su CPP."}]
    assert page.message_label.text() == "Atención guardada."
    kinds = [e.kind for e in page.summary.timeline_model.entries()]
    assert "consultation" in kinds
    today = dt.date.today().strftime("%d/%m/%Y")
    assert page.model.data(page.model.index(0, page.model.COL_LAST_VISIT)) == today
    wait_active(qtbot, window)
    assert focused() is page.search_edit  # ready for the next person
    assert page.search_edit.selectedText() == "Yulimar Contreras"  # typing replaces it


def test_f2_then_cancel_writes_nothing(qtbot: QtBot, ctx: AppContext, window: MainWindow,
                                       page: AttentionPage) -> None:
    _person(ctx, "Ana", "Rojas")
    _search(qtbot, page, "rojas")
    press(qtbot, Qt.Key.Key_F2)
    dialog = page.active_dialog
    assert isinstance(dialog, ConsultationDialog)
    wait_active(qtbot, dialog)
    press(qtbot, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert ctx.session.store.scalar("SELECT count(*) FROM consultation") == 0
    wait_active(qtbot, window)
    press(qtbot, Qt.Key.Key_F2)  # the shortcut works again
    assert isinstance(page.active_dialog, ConsultationDialog)
    page.active_dialog.reject()


def test_quick_anonymous_consultation(qtbot: QtBot, ctx: AppContext, page: AttentionPage) -> None:
    press(qtbot, Qt.Key.Key_N, CTRL | SHIFT)
    dialog = page.active_dialog
    assert isinstance(dialog, ConsultationDialog)
    wait_active(qtbot, dialog)
    assert dialog.anonymous and dialog.anonymous_note.isVisible()
    assert focused() is dialog.anon_sex_combo
    press(qtbot, Qt.Key.Key_M)
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "28")
    _tab_to(qtbot, dialog.topic_filter)
    type_text(qtbot, "alimentacion")
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    row = ctx.session.store.one("SELECT * FROM consultation")
    assert row is not None and row["person_id"] is None
    assert (row["anon_sex"], row["anon_age"]) == ("F", 28)
    assert json.loads(row["topics"]) == ["ALIMENTACION"]
    assert ctx.session.store.scalar("SELECT count(*) FROM person") == 0
    assert page.message_label.text() == "Atención anónima guardada (sin datos personales)."


def test_household_member_link_shows_that_person(
    qtbot: QtBot, ctx: AppContext, page: AttentionPage
) -> None:
    head = _person(ctx, "Carlos", "Rojas", sex="M", birth_date=dt.date(1985, 5, 1))
    child = _person(ctx, "Lucía", "Rojas", birth_date=dt.date(2015, 3, 2))
    household = ensure_household(ctx.session, head)
    add_member(ctx.session, household, child, "hijo")
    page.show_person(head)
    text = page.summary.household_label.text()
    assert "Lucía Rojas" in text and "Hijo/a" in text
    assert "Parentesco con el/la jefe/a de hogar" in text
    page.summary.household_label.linkActivated.emit(f"person:{child}")
    assert page.selected_person_id() == child
    assert page.summary.name_label.text() == "Lucía Rojas"


def test_open_in_people_and_edit_from_the_timeline(
    qtbot: QtBot, ctx: AppContext, window: MainWindow, page: AttentionPage
) -> None:
    pid = _person(ctx, "Ana", "Rojas")
    cid = record_consultation(
        ctx.session, ConsultationInput(person_id=pid, topics=["ORIENTACION"], summary="Hola"))
    _search(qtbot, page, "ana rojas")
    view = page.summary.timeline_view
    row = next(r for r, e in enumerate(page.summary.timeline_model.entries()) if e.ref_id == cid)
    view.setCurrentIndex(page.summary.timeline_model.index(row, 0))
    view.setFocus()
    press(qtbot, Qt.Key.Key_Return)
    dialog = page.active_dialog
    assert isinstance(dialog, ConsultationDialog) and dialog.consultation_id == cid
    dialog.reject()
    qtbot.waitUntil(lambda: page.active_dialog is None)
    qtbot.mouseClick(page.open_record_button, Qt.MouseButton.LeftButton)
    assert window.current_key() == "people"
    people = window.page("people")
    assert people is not None
    assert people.selected_person_id() == pid


def test_coming_back_to_the_page_focuses_the_search(
    qtbot: QtBot, window: MainWindow, page: AttentionPage
) -> None:
    press(qtbot, Qt.Key.Key_2, CTRL)
    assert window.current_key() == "people"
    people = window.page("people")
    assert people is not None
    qtbot.waitUntil(lambda: focused() is people.search_edit)  # type: ignore[attr-defined]
    press(qtbot, Qt.Key.Key_1, CTRL)
    qtbot.waitUntil(lambda: focused() is page.search_edit)
