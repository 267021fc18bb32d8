"""The person record form: typed by keyboard, validated in Spanish, duplicates, edit, household."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QDialog,
    QLabel,
    QMessageBox,
    QScrollArea,
    QWidget,
)
from pytestqt.qtbot import QtBot

from oma_desktop.services.context import AppContext
from oma_desktop.services.households import add_member, ensure_household, household_of, members
from oma_desktop.services.persons import DocumentInput, PersonInput, age_on, register_person
from oma_desktop.ui.personas import PersonDialog, split_initial_text
from oma_desktop.ui.personas.duplicates_dialog import BACK, OTHER, SAME
from oma_desktop.ui.personas.person_form import (
    TAB_DOCUMENTS,
    TAB_HISTORY,
    TAB_HOUSEHOLD,
    TAB_PERSONAL,
    TAB_RESIDENCE,
)
from oma_desktop.ui.qt_i18n import install_qt_translator

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
BAD_DATE = "Escriba una fecha válida (día/mes/año)."

MakeDialog = Callable[..., PersonDialog]


# --- helpers -------------------------------------------------------------------------------------


@pytest.fixture
def make_dialog(
    qtbot: QtBot, qapp: QApplication, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakeDialog]:
    """Open PersonDialogs non-modally (``show()``, never ``exec()``) and close them at the end.

    Any unexpected question box fails the test instead of blocking it.
    """
    assert install_qt_translator(qapp, "es")

    def unexpected(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        pytest.fail(f"unexpected question: {args[2] if len(args) > 2 else args}")

    monkeypatch.setattr(QMessageBox, "question", unexpected)

    def make(**kwargs: Any) -> PersonDialog:
        dialog = PersonDialog(ctx, **kwargs)
        qtbot.addWidget(dialog, before_close_func=_close_quietly)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
        return dialog

    yield make


def _close_quietly(dialog: QWidget) -> None:
    """At teardown: close without the unsaved-changes question (``done`` bypasses it)."""
    assert isinstance(dialog, PersonDialog)
    if dialog.duplicates_dialog is not None:
        dialog.duplicates_dialog.done(0)
    if dialog.same_person_dialog is not None:
        dialog.same_person_dialog.done(0)
    dialog.done(0)


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


def tab(qtbot: QtBot, times: int = 1) -> QWidget:
    for _ in range(times):
        qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    return focused()


def type_into(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type ``text`` key by key (QTest cannot map accented letters to keys: send their text)."""
    for ch in text:
        if ch.isascii():
            qtbot.keyClicks(widget, ch)
        else:
            QTest.sendKeyEvent(
                QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
            )


def type_text(qtbot: QtBot, text: str) -> None:
    type_into(qtbot, focused(), text)


def save(qtbot: QtBot, dialog: PersonDialog) -> None:
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)


def owns_focus(widget: QWidget) -> bool:
    current = QApplication.focusWidget()
    return current is widget or (current is not None and widget.isAncestorOf(current))


def count(ctx: AppContext, table: str) -> int:
    return int(ctx.session.store.scalar(f"SELECT count(*) FROM {table} WHERE deleted = 0"))


def log_size(ctx: AppContext) -> int:
    return int(ctx.session.store.scalar("SELECT count(*) FROM change_log"))


def seed(ctx: AppContext, **overrides: Any) -> str:
    data = PersonInput(
        given_names="José Luis",
        paternal_surname="Pérez",
        maternal_surname="Quispe",
        sex="M",
        birth_date=dt.date(1990, 5, 12),
        nationality="VE",
        phone="987654321",
        district_ubigeo="150132",
        migratory_status="en_tramite",
        consent_register=True,
        documents=[DocumentInput(doc_type="CEDULA_VE", number="12345678", issuing_country="VE")],
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    return register_person(ctx.session, data)


def fill_minimum(dialog: PersonDialog, qtbot: QtBot) -> None:
    """The required fields of a valid new person, typed into the real widgets."""
    for edit, text in ((dialog.given_names, "Carla Andrea"), (dialog.paternal_surname, "Mendoza")):
        edit.clear()
        qtbot.keyClicks(edit, text)
    dialog.sex.set_value("F")
    dialog.consent_register.setChecked(True)


# --- registration by keyboard --------------------------------------------------------------------


def test_a_registration_typed_with_the_keyboard_only_is_saved_with_its_document(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    assert dialog.windowTitle() == "Registrar persona"
    assert dialog.tabs.tabText(TAB_PERSONAL) == "Datos personales"
    assert focused() is dialog.given_names

    type_text(qtbot, "María Fernanda")
    assert tab(qtbot) is dialog.paternal_surname
    type_text(qtbot, "González")
    assert tab(qtbot) is dialog.maternal_surname
    type_text(qtbot, "Rivas")
    assert tab(qtbot) is dialog.sex
    type_text(qtbot, "M")  # keyboard search in the combo: "Mujer"
    assert dialog.sex.currentText() == "Mujer"
    assert tab(qtbot) is dialog.gender_identity
    assert tab(qtbot) is dialog.birth_date
    type_text(qtbot, "15/03/1992")
    age = age_on(dt.date(1992, 3, 15), dt.date.today())
    assert dialog.age_label.text() == f"{age} años"
    assert tab(qtbot) is dialog.birth_unknown
    tab(qtbot)  # the approximate age is disabled while the date is known: skipped
    assert owns_focus(dialog.nationality)
    assert dialog.nationality.currentText() == "Venezuela"  # default for a new person
    tab(qtbot)
    assert focused() is dialog.phone
    type_text(qtbot, "987 654 321")
    assert tab(qtbot) is dialog.whatsapp
    assert tab(qtbot) is dialog.whatsapp_same
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    assert dialog.whatsapp.text() == "987 654 321" and not dialog.whatsapp.isEnabled()
    assert tab(qtbot) is dialog.consent_register
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    assert tab(qtbot) is dialog.consent_refer
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    assert tab(qtbot) is dialog.consent_contact
    assert tab(qtbot) is dialog.notes
    type_text(qtbot, "Llegó con su hija.")

    qtbot.keyClick(dialog, Qt.Key.Key_2, ALT)  # Documentos
    assert dialog.tabs.currentIndex() == TAB_DOCUMENTS
    row = dialog.document_rows[0]
    assert focused() is row.doc_type
    type_text(qtbot, "Car")  # "Carné de extranjería"
    assert row.doc_type.value() == "CE"
    assert tab(qtbot) is row.number
    type_text(qtbot, "001234567")
    tab(qtbot)
    assert owns_focus(row.issuing_country)
    assert row.issuing_country.currentText() == "Perú"  # filled in for a Peruvian card
    tab(qtbot)
    assert focused() is row.issue_date
    type_text(qtbot, "10/01/2024")
    assert tab(qtbot) is row.expiry_date
    type_text(qtbot, "10/01/2028")

    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.chose_existing is False
    person = ctx.session.store.get("person", dialog.result_person_id)
    assert person is not None
    assert (person["given_names"], person["paternal_surname"], person["maternal_surname"]) == (
        "María Fernanda", "González", "Rivas")
    assert person["sex"] == "F"
    assert person["birth_date"] == "1992-03-15" and person["birth_date_estimated"] == 0
    assert person["nationality"] == "VE"
    assert person["district_ubigeo"] == "150101"  # Cercado de Lima by default
    assert person["phone"] == "987 654 321" and person["whatsapp"] == "987 654 321"
    assert (person["consent_register"], person["consent_refer"], person["consent_contact"]) == (1, 1, 0)
    assert person["notes"] == "Llegó con su hija."
    assert person["casa_id"] == ctx.session.store.casa_id
    docs = ctx.session.store.rows("SELECT * FROM document WHERE person_id = ?", [person["id"]])
    assert [(d["doc_type"], d["number"], d["issuing_country"], d["issue_date"], d["expiry_date"])
            for d in docs] == [("CE", "001234567", "PE", "2024-01-10", "2028-01-10")]


def test_approximate_age_instead_of_the_birth_date(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    fill_minimum(dialog, qtbot)
    dialog.birth_unknown.setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    assert not dialog.birth_date.isEnabled() and dialog.estimated_age.isEnabled()
    assert tab(qtbot) is dialog.estimated_age
    qtbot.keyClick(focused(), Qt.Key.Key_A, CTRL)
    type_text(qtbot, "45")
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    person = ctx.session.store.get("person", dialog.result_person_id)
    assert person["birth_date_estimated"] == 1
    assert age_on(person["birth_date"], dt.date.today()) == 45


def test_no_approximate_age_is_assumed_until_the_clerk_types_one(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    fill_minimum(dialog, qtbot)
    assert dialog.estimated_age.text() == ""
    dialog.birth_unknown.setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    assert dialog.estimated_age.isEnabled() and dialog.estimated_age.text() == ""
    save(qtbot, dialog)
    assert dialog.isVisible() and count(ctx, "person") == 0
    assert dialog.errors.message("birth_date") == (
        "Escriba la edad aproximada, o desmarque “No conoce la fecha exacta”.")
    # unticked again: saved without any birth date or age
    dialog.birth_unknown.setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_Space)
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    person = ctx.session.store.get("person", dialog.result_person_id)
    assert person["birth_date"] is None


# --- validation -------------------------------------------------------------------------------


def test_invalid_fields_are_marked_beside_them_and_nothing_is_written(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    qtbot.keyClicks(dialog.given_names, "Ana")
    qtbot.keyClicks(dialog.phone, "12ab")
    dialog.tabs.setCurrentIndex(TAB_RESIDENCE)
    before = log_size(ctx)

    save(qtbot, dialog)

    assert dialog.isVisible() and dialog.result_person_id is None
    assert log_size(ctx) == before and count(ctx, "person") == 0
    assert dialog.tabs.currentIndex() == TAB_PERSONAL
    assert focused() is dialog.paternal_surname  # the first field with an error
    expected = {
        "paternal_surname": "Escriba al menos un apellido.",
        "sex": "Elija el sexo (o «No especificado»).",
        "phone": "Escriba solo los dígitos del número (9 para un celular).",
        "consent_register": "Sin consentimiento para el registro no se pueden guardar datos "
                            "personales. Registre en su lugar una atención anónima.",
    }
    for key, message in expected.items():
        assert dialog.errors.message(key) == message, key
        assert dialog.errors.is_marked(key), key
    assert dialog.errors.message("given_names") == ""
    assert not dialog.errors.is_marked("given_names")
    # the message sits right under its field, inside the same tab
    label = next(w for w in dialog.findChildren(QLabel) if w.text() == expected["phone"])
    below = label.mapTo(dialog, label.rect().topLeft()).y() - dialog.phone.mapTo(
        dialog, dialog.phone.rect().bottomLeft()).y()
    assert 0 <= below < 20
    assert dialog.summary_label.text() == "Revise los campos marcados en: Datos personales."
    # everything typed is still there
    assert dialog.given_names.text() == "Ana" and dialog.phone.text() == "12ab"

    # correcting the fields and saving again clears the marks and saves
    qtbot.keyClicks(dialog.paternal_surname, "Torres")
    dialog.phone.clear()
    qtbot.keyClicks(dialog.phone, "912345678")
    dialog.sex.set_value("F")
    dialog.consent_register.setChecked(True)
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert count(ctx, "person") == 1


def test_a_document_error_shows_the_documents_tab(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    fill_minimum(dialog, qtbot)
    row = dialog.document_rows[0]
    row.doc_type.set_value("DNI")
    qtbot.keyClicks(row.number, "123")
    assert row.number.placeholderText() == "8 dígitos"

    save(qtbot, dialog)

    assert dialog.tabs.currentIndex() == TAB_DOCUMENTS
    assert focused() is row.number
    assert row.errors.message("number") == "Un DNI tiene 8 dígitos; revise el número."
    assert row.errors.is_marked("number")
    assert row.number.text() == "123"
    assert count(ctx, "person") == 0 and count(ctx, "document") == 0
    assert "Documentos" in dialog.summary_label.text()


def test_text_that_is_not_a_date_keeps_the_text_and_says_so(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    fill_minimum(dialog, qtbot)
    qtbot.keyClicks(dialog.birth_date, "31/02/1990")
    row = dialog.document_rows[0]
    row.doc_type.set_value("PASAPORTE")
    qtbot.keyClicks(row.number, "A1234567")
    type_into(qtbot, row.expiry_date, "mañana")
    before = log_size(ctx)

    save(qtbot, dialog)

    assert log_size(ctx) == before
    assert dialog.errors.message("birth_date") == BAD_DATE
    assert dialog.birth_date.text() == "31/02/1990"
    assert row.expiry_date.text() == "mañana"
    assert dialog.tabs.currentIndex() == TAB_PERSONAL and focused() is dialog.birth_date
    assert "Datos personales, Documentos" in dialog.summary_label.text()
    qtbot.keyClick(dialog, Qt.Key.Key_2, ALT)
    assert row.errors.message("expiry_date") == BAD_DATE and row.errors.is_marked("expiry_date")


def test_a_district_or_country_not_in_the_list_is_an_error(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    fill_minimum(dialog, qtbot)
    dialog.district.setEditText("Lima Norte")
    save(qtbot, dialog)
    assert dialog.tabs.currentIndex() == TAB_RESIDENCE
    assert dialog.errors.message("district_ubigeo") == "Elija un distrito de la lista."
    assert dialog.district.currentText() == "Lima Norte"
    assert count(ctx, "person") == 0


# --- duplicates ---------------------------------------------------------------------------------


def _type_near_duplicate(qtbot: QtBot, make_dialog: MakeDialog) -> PersonDialog:
    dialog = make_dialog(initial_text="Perez Quispe, Jose Luis")
    dialog.sex.set_value("M")
    qtbot.keyClicks(dialog.birth_date, "12/05/1990")
    dialog.consent_register.setChecked(True)
    save(qtbot, dialog)
    duplicates = dialog.duplicates_dialog
    assert duplicates is not None
    qtbot.waitExposed(duplicates)
    return dialog


def test_duplicates_dialog_lists_the_candidate_with_reasons(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    existing = seed(ctx)
    dialog = _type_near_duplicate(qtbot, make_dialog)
    duplicates = dialog.duplicates_dialog
    assert duplicates is not None
    assert duplicates.windowTitle() == "¿Esta persona ya está registrada?"
    table = duplicates.table
    assert table.rowCount() == 1
    cells = [table.item(0, c).text() for c in range(table.columnCount())]
    assert cells[:5] == ["José Luis Pérez Quispe", "12/05/1990", "Venezuela",
                         "Cédula de identidad venezolana 12345678", "Casa Vecinal 1"]
    assert cells[5].endswith(" %")
    assert "Misma fecha de nacimiento" in cells[6] and "Nombre muy parecido" in cells[6]
    assert duplicates.selected_person_id() == existing
    assert "Perez Quispe" in duplicates.typed_label.text()
    assert [b.text() for b in (duplicates.same_button, duplicates.other_button,
                               duplicates.back_button)] == [
        "Es la &misma persona", "Es &otra persona: registrar", "&Volver al formulario"]


def test_it_is_the_same_person_offers_the_typed_values_and_saves_only_the_ticked(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    existing = seed(ctx, phone="", migratory_status="")
    dialog = _type_near_duplicate(qtbot, make_dialog)
    dialog.duplicates_dialog.done(0)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: dialog.duplicates_dialog is None)
    dialog.phone.clear()
    qtbot.keyClicks(dialog.phone, "912345678")
    dialog.nationality.set_value("CO")
    save(qtbot, dialog)
    duplicates = dialog.duplicates_dialog
    assert duplicates is not None
    qtbot.waitExposed(duplicates)
    before = log_size(ctx)
    qtbot.mouseClick(duplicates.same_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.same_person_dialog is not None)
    offer = dialog.same_person_dialog
    assert offer is not None
    qtbot.waitExposed(offer)
    assert offer.windowTitle() == "Misma persona: actualizar la ficha registrada"
    table = offer.table
    lines = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text(),
                                       table.item(r, 0).checkState())
             for r in range(table.rowCount())}
    assert lines == {
        "Nacionalidad": ("Venezuela", "Colombia", Qt.CheckState.Unchecked),  # a replacement
        "Teléfono": ("(vacío)", "912345678", Qt.CheckState.Checked),  # the record had none
    }
    assert dialog.isVisible() and log_size(ctx) == before  # nothing written yet
    qtbot.mouseClick(offer.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.result_person_id == existing and dialog.chose_existing is True
    assert count(ctx, "person") == 1
    stored = ctx.session.store.get("person", existing)
    assert stored["phone"] == "912345678" and stored["nationality"] == "VE"
    assert log_size(ctx) == before + 1  # one operation: the ticked field, one transaction
    assert dialog.outcome_message == (
        "Se usó la ficha ya registrada de José Luis Pérez Quispe y se guardó en ella 1 cambio.")


def test_same_person_unchanged_says_nothing_was_saved(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    existing = seed(ctx)
    before = log_size(ctx)
    dialog = _type_near_duplicate(qtbot, make_dialog)
    duplicates = dialog.duplicates_dialog
    assert duplicates is not None
    qtbot.mouseClick(duplicates.same_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.same_person_dialog is not None)
    offer = dialog.same_person_dialog
    assert offer is not None
    qtbot.waitExposed(offer)
    assert not offer.table.isVisible() and not offer.save_button.isVisible()
    assert offer.intro.text() == ("Lo que escribió coincide con la ficha registrada de José Luis "
                                  "Pérez Quispe: no hay nada que actualizar.")
    qtbot.mouseClick(offer.keep_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert duplicates.choice == SAME
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.result_person_id == existing and dialog.chose_existing is True
    assert count(ctx, "person") == 1 and log_size(ctx) == before
    assert dialog.outcome_message == (
        "Se usó la ficha ya registrada de José Luis Pérez Quispe; no se guardó nada.")
    assert "guardada" not in dialog.outcome_message


def test_it_is_another_person_registers_the_new_one(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    existing = seed(ctx)
    dialog = _type_near_duplicate(qtbot, make_dialog)
    duplicates = dialog.duplicates_dialog
    assert duplicates is not None
    qtbot.mouseClick(duplicates.other_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert duplicates.choice == OTHER
    assert dialog.result_person_id not in (None, existing) and dialog.chose_existing is False
    assert count(ctx, "person") == 2
    new = ctx.session.store.get("person", dialog.result_person_id)
    assert (new["given_names"], new["paternal_surname"]) == ("Jose Luis", "Perez")


def test_back_to_the_form_keeps_everything(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    seed(ctx)
    before = log_size(ctx)
    dialog = _type_near_duplicate(qtbot, make_dialog)
    duplicates = dialog.duplicates_dialog
    assert duplicates is not None
    qtbot.mouseClick(duplicates.back_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.duplicates_dialog is None)
    assert duplicates.choice == BACK
    assert dialog.isVisible() and dialog.result_person_id is None
    assert log_size(ctx) == before
    assert (dialog.given_names.text(), dialog.paternal_surname.text(),
            dialog.maternal_surname.text(), dialog.birth_date.text()) == (
        "Jose Luis", "Perez", "Quispe", "12/05/1990")
    # changing the name and saving again asks no more: there is no look-alike
    dialog.given_names.clear()
    qtbot.keyClicks(dialog.given_names, "Wilmer")
    dialog.paternal_surname.clear()
    qtbot.keyClicks(dialog.paternal_surname, "Zambrano")
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert dialog.duplicates_dialog is None and count(ctx, "person") == 2


def test_same_document_number_is_a_duplicate_even_with_another_name(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    existing = seed(ctx)
    dialog = make_dialog(initial_text="12.345.678")
    fill_minimum(dialog, qtbot)
    dialog.document_rows[0].doc_type.set_value("CEDULA_VE")
    save(qtbot, dialog)
    duplicates = dialog.duplicates_dialog
    assert duplicates is not None and duplicates.selected_person_id() == existing
    assert "Mismo número de documento (12345678)" in duplicates.table.item(0, 6).text()


# --- edit mode ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("coordinator")
def test_edit_mode_loads_the_record(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    person_id = seed(ctx, wg={"wg_walking": 2}, vulnerabilities={"vuln_chronic_illness"},
                     whatsapp="987654321", birth_date=None, estimated_age=40)
    dialog = make_dialog(person_id=person_id)
    assert dialog.windowTitle() == "Ficha de la persona: José Luis Pérez Quispe"
    assert (dialog.given_names.text(), dialog.paternal_surname.text(),
            dialog.maternal_surname.text()) == ("José Luis", "Pérez", "Quispe")
    assert dialog.sex.currentText() == "Hombre"
    assert dialog.birth_unknown.isChecked() and dialog.estimated_age.text() == "40"
    assert dialog.nationality.currentText() == "Venezuela"
    assert dialog.whatsapp_same.isChecked()
    assert dialog.district.currentText() == "San Juan de Lurigancho"
    assert dialog.migratory_status.currentText() == "Regularización en trámite"
    assert dialog.wg["wg_walking"].currentText() == "Mucha dificultad"
    assert dialog.wg["wg_seeing"].currentText() == "No preguntado"
    assert dialog.vulnerabilities["vuln_chronic_illness"].isChecked()
    assert [(r.doc_type.value(), r.number.text(), r.issuing_country.currentText())
            for r in dialog.document_rows] == [("CEDULA_VE", "12345678", "Venezuela")]
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == [
        "Datos personales", "Documentos", "Residencia y situación migratoria",
        "Discapacidad y vulnerabilidad", "Hogar", "Historial"]
    assert not dialog.is_modified()


def test_saving_an_edit_changes_only_what_changed(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    person_id = seed(ctx, wg={"wg_seeing": 1}, birth_date=None, estimated_age=40)
    doc_id = ctx.session.store.scalar("SELECT id FROM document WHERE person_id = ?", [person_id])
    before = log_size(ctx)

    dialog = make_dialog(person_id=person_id)
    dialog.phone.setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_A, CTRL)
    type_text(qtbot, "912345678")
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())

    assert dialog.result_person_id == person_id and dialog.chose_existing is False
    ops = ctx.session.store.rows(
        "SELECT entity, entity_id, kind, fields FROM change_log ORDER BY rowid DESC LIMIT ?",
        [log_size(ctx) - before],
    )
    assert [(o["entity"], o["entity_id"], o["kind"], json.loads(o["fields"])) for o in ops] == [
        ("person", person_id, "update", {"phone": "912345678"})]
    assert ctx.session.store.get("document", doc_id)["deleted"] == 0


def test_an_open_form_does_not_put_back_what_another_session_saved(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    """A clerk edits the phone while a colleague's save changes the zone of the same
    person: the clerk's save writes the phone only, and the colleague's zone stays."""
    from oma_desktop.services.persons import load_person, update_person

    person_id = seed(ctx)
    dialog = make_dialog(person_id=person_id)
    other = ctx.open_session()
    try:
        colleague = load_person(other, person_id)
        colleague.zone = "Zona 9"
        update_person(other, person_id, colleague)
    finally:
        other.close()
    dialog.phone.setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_A, CTRL)
    type_text(qtbot, "912345678")
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    row = ctx.session.store.get("person", person_id)
    assert (row["phone"], row["zone"]) == ("912345678", "Zona 9")


def test_saving_an_unchanged_record_writes_nothing(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    person_id = seed(ctx)
    before = log_size(ctx)
    dialog = make_dialog(person_id=person_id)
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert log_size(ctx) == before


def test_removing_and_adding_documents_in_edit_mode(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    person_id = seed(ctx)
    dialog = make_dialog(person_id=person_id)
    qtbot.keyClick(dialog, Qt.Key.Key_2, ALT)
    qtbot.mouseClick(dialog.document_rows[0].remove_button, Qt.MouseButton.LeftButton)
    assert dialog.document_rows == []
    qtbot.mouseClick(dialog.add_document_button, Qt.MouseButton.LeftButton)
    row = dialog.document_rows[0]
    assert focused() is row.doc_type
    assert row.number.accessibleName() == "Número, documento 1"
    row.doc_type.set_value("PASAPORTE")
    assert row.issuing_country.value() == "VE"  # the person's nationality
    qtbot.keyClicks(row.number, "p1234567")
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    docs = ctx.session.store.rows(
        "SELECT doc_type, number, deleted FROM document WHERE person_id = ? ORDER BY rowid",
        [person_id],
    )
    assert [(d["doc_type"], d["number"], d["deleted"]) for d in docs] == [
        ("CEDULA_VE", "12345678", 1), ("PASAPORTE", "P1234567", 0)]


def test_history_tab_says_who_changed_what_and_when(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    person_id = seed(ctx)
    first = make_dialog(person_id=person_id)
    first.nationality.set_value("CO")
    save(qtbot, first)
    qtbot.waitUntil(lambda: not first.isVisible())

    dialog = make_dialog(person_id=person_id)
    tree = dialog.history_tree
    assert tree is not None
    qtbot.keyClick(dialog, Qt.Key.Key_6, ALT)
    assert dialog.tabs.currentIndex() == TAB_HISTORY
    tops = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    latest = tops[0]
    assert latest.text(1) == "Recepción"
    assert latest.text(2) == "Datos modificados"
    assert latest.text(0).startswith(dt.date.today().strftime("%d/%m/%Y"))
    assert [(latest.child(i).text(2), latest.child(i).text(3)) for i in range(latest.childCount())] == [
        ("Nacionalidad", "Colombia")]
    assert [(item.text(2), item.text(3)) for item in tops[1:]] == [
        ("Documento agregado", "Cédula de identidad venezolana 12345678"),
        ("Registro", "10 campos"),
    ]
    registered = tops[2]
    assert [registered.child(i).text(2) for i in range(3)] == [
        "Nombres", "Apellido paterno", "Apellido materno"]


# --- closing ----------------------------------------------------------------------------------


def test_escape_without_changes_closes_at_once(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog(initial_text="Pérez")
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected and dialog.result_person_id is None


def test_escape_with_changes_warns_then_discards_like_the_consultation_form(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    qtbot.keyClicks(dialog.given_names, "Ana")
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    warning = ("Hay cambios sin guardar: pulse Esc o Cancelar otra vez para descartarlos, "
               "o Ctrl+S para guardar.")
    assert dialog.isVisible() and dialog.summary_label.text() == warning
    type_into(qtbot, dialog.given_names, " María")  # typed again: the next Esc warns again
    qtbot.keyClick(focused(), Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.given_names.text() == "Ana María"
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert count(ctx, "person") == 0


# --- initial text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pérez Quispe, José Luis", ("José Luis", "Pérez", "Quispe", "", "")),
        ("José Luis Pérez Quispe", ("José Luis", "Pérez", "Quispe", "", "")),
        ("José Pérez", ("José", "Pérez", "", "", "")),
        ("Pérez", ("", "Pérez", "", "", "")),
        ("maria jose de la cruz rojas", ("Maria Jose", "De la Cruz", "Rojas", "", "")),
        ("001-234.567", ("", "", "", "001234567", "")),
        ("Rojas 12345678", ("", "Rojas", "", "12345678", "")),
        ("+51 987 654 321", ("", "", "", "", "987654321")),
        ("", ("", "", "", "", "")),
    ],
)
def test_split_initial_text(text: str, expected: tuple[str, ...]) -> None:
    p = split_initial_text(text)
    assert (p.given_names, p.paternal_surname, p.maternal_surname, p.document_number,
            p.phone) == expected


def test_initial_text_prefills_the_form(qtbot: QtBot, make_dialog: MakeDialog) -> None:
    dialog = make_dialog(initial_text="Pérez Quispe, José Luis")
    assert (dialog.given_names.text(), dialog.paternal_surname.text(),
            dialog.maternal_surname.text()) == ("José Luis", "Pérez", "Quispe")
    assert not dialog.is_modified()

    by_number = make_dialog(initial_text="001234567")
    assert by_number.given_names.text() == "" and by_number.paternal_surname.text() == ""
    assert [r.number.text() for r in by_number.document_rows] == ["001234567"]
    assert by_number.document_rows[0].doc_type.value() == ""  # the clerk chooses the type


# --- household -----------------------------------------------------------------------------------


def test_household_panel_adds_and_removes_a_member_with_the_form_save(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    head = seed(ctx)
    daughter = seed(ctx, given_names="Carla Valentina", birth_date=dt.date(2012, 8, 3), sex="F",
                    documents=[])
    dialog = make_dialog(person_id=head)
    qtbot.keyClick(dialog, Qt.Key.Key_5, ALT)
    assert dialog.tabs.currentIndex() == TAB_HOUSEHOLD
    panel = dialog.household
    assert "no tiene un hogar registrado" in panel.title_label.text()

    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    search = panel.add_dialog
    assert search is not None
    qtbot.waitExposed(search)
    qtbot.keyClicks(search.search_edit, "carla perez")
    qtbot.waitUntil(lambda: search.results.rowCount() == 1)
    assert search.results.item(0, 0).text() == "Carla Valentina Pérez Quispe"
    # without a relationship the dialog stays open and says why
    qtbot.mouseClick(search.add_button, Qt.MouseButton.LeftButton)
    assert search.isVisible()
    assert search.errors.message("relationship") == "Elija el parentesco de la lista."
    search.relationship_combo.setFocus()
    type_text(qtbot, "Hij")
    assert search.relationship_combo.value() == "hijo"
    qtbot.mouseClick(search.add_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.add_dialog is None)

    assert panel.member_ids() == [daughter]
    assert panel.table.item(0, 4).text() == "Por guardar"
    assert panel.pending_label.text() == (
        "Cambios del hogar pendientes de «Guardar»: 1 integrante por agregar.")
    assert household_of(ctx.session, head) is None  # nothing written before Save
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    household_id = household_of(ctx.session, head)
    assert household_id is not None
    assert {(m.person_id, m.relationship) for m in members(ctx.session, household_id)} == {
        (head, "jefe_hogar"), (daughter, "hijo")}

    again = make_dialog(person_id=head)
    panel = again.household
    assert panel.member_ids() == [head, daughter]
    assert panel.table.item(1, 1).text() == "Hijo/a"
    assert panel.table.item(0, 0).text() == "José Luis Pérez Quispe (esta persona)"
    assert "Hogar de José Luis Pérez" in panel.title_label.text()
    panel.table.selectRow(0)
    assert not panel.remove_button.isEnabled()  # the person is not taken out of their own home
    panel.table.selectRow(1)
    qtbot.mouseClick(panel.remove_button, Qt.MouseButton.LeftButton)
    assert panel.member_ids() == [head]
    assert [m.person_id for m in members(ctx.session, household_id)] == [head, daughter]
    # Cancel (twice: the first warns) saves nothing
    qtbot.mouseClick(again.cancel_button, Qt.MouseButton.LeftButton)
    assert again.isVisible()
    qtbot.mouseClick(again.cancel_button, Qt.MouseButton.LeftButton)
    assert not again.isVisible()
    assert [m.person_id for m in members(ctx.session, household_id)] == [head, daughter]


def test_household_search_leaves_out_current_members(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    head = seed(ctx)
    partner = seed(ctx, given_names="Rosa", paternal_surname="Pérez", documents=[])
    add_member(ctx.session, ensure_household(ctx.session, head), partner, "conyuge")
    dialog = make_dialog(person_id=head)
    panel = dialog.household
    assert panel.member_ids() == [head, partner]
    panel.add_member_clicked()
    search = panel.add_dialog
    assert search is not None
    search.search_edit.setText("Pérez")
    search.run_search()
    assert search.results.rowCount() == 0
    assert search.empty_label.text() == "No se encontró a nadie con «Pérez»."
    search.reject()


def test_a_new_person_is_registered_with_inline_members_in_one_save(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    fill_minimum(dialog, qtbot)
    assert dialog.tabs.count() == 5  # no history for a person not saved yet
    qtbot.keyClick(dialog, Qt.Key.Key_5, ALT)
    panel = dialog.household
    assert panel.title_label.text().startswith("¿Quién vive con la persona?")
    assert focused() is panel.table or panel.isAncestorOf(focused())
    # a child with an approximate age, typed with the keyboard
    panel.given_names.setFocus()
    type_text(qtbot, "Luciana")
    qtbot.keyClick(focused(), Qt.Key.Key_Return)  # Enter moves on, it never saves
    assert focused() is panel.paternal_surname and count(ctx, "person") == 0
    type_text(qtbot, "Mendoza")
    panel.relationship.set_value("hijo")
    panel.sex.set_value("F")
    panel.birth_unknown.setChecked(True)
    assert panel.estimated_age.text().strip() == ""  # no age is assumed
    qtbot.mouseClick(panel.add_inline_button, Qt.MouseButton.LeftButton)
    assert panel.table.rowCount() == 0  # not added: the age is missing, and it says so
    assert any("edad aproximada" in label.text() for label in panel.findChildren(QLabel)
               if label.isVisible())
    panel.estimated_age.setValue(4)
    qtbot.mouseClick(panel.add_inline_button, Qt.MouseButton.LeftButton)
    assert [panel.table.item(0, c).text() for c in range(5)] == [
        "Luciana Mendoza", "Hijo/a", "~4 años", "Mujer", "Por guardar"]
    assert panel.given_names.text() == "" and panel.paternal_surname.text() == "Mendoza"
    # a second one typed but not added: Save adds it rather than losing it
    qtbot.keyClicks(panel.given_names, "Mateo")
    panel.relationship.set_value("hijo")
    panel.sex.set_value("M")
    qtbot.keyClicks(panel.birth_date, "02/03/2020")
    before = count(ctx, "person")
    last = ctx.session.store.scalar("SELECT max(rowid) FROM change_log")
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert count(ctx, "person") == before + 1  # inline members are not persons
    person_id = dialog.result_person_id
    assert person_id is not None
    household_id = household_of(ctx.session, person_id)
    assert household_id is not None
    listed = members(ctx.session, household_id)
    assert [(m.full_name, m.relationship, m.inline) for m in listed] == [
        ("Carla Andrea Mendoza", "jefe_hogar", False),
        ("Mateo Mendoza", "hijo", True),  # older first
        ("Luciana Mendoza", "hijo", True),
    ]
    assert listed[2].birth_date_estimated and not listed[1].birth_date_estimated
    assert dialog.outcome_message == "Persona guardada, con 2 integrantes del hogar."
    # one save: the person, the consents asked (register, refer, contact), the household
    # and its three memberships, nothing else
    ops = ctx.session.store.rows("SELECT entity FROM change_log WHERE rowid > ?", [last])
    assert sorted(r["entity"] for r in ops) == [
        "consent_record", "consent_record", "consent_record",
        "household", "household_member", "household_member", "household_member", "person"]


def test_an_invalid_inline_member_is_marked_and_nothing_is_saved(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog()
    fill_minimum(dialog, qtbot)
    panel = dialog.household
    qtbot.keyClicks(panel.given_names, "Mateo")
    before = log_size(ctx)
    save(qtbot, dialog)
    assert dialog.isVisible() and dialog.tabs.currentIndex() == TAB_HOUSEHOLD
    assert panel.errors.message("paternal_surname") == "Escriba al menos un apellido."
    assert panel.errors.message("relationship") == "Elija el parentesco de la lista."
    assert dialog.summary_label.text() == "Revise el integrante del hogar que escribió, o bórrelo."
    assert log_size(ctx) == before


# --- layout and accessibility ------------------------------------------------------------------


def test_every_input_has_an_accessible_name_and_labels_have_buddies(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog(person_id=seed(ctx))
    for widget in dialog.focus_chain():
        assert widget.accessibleName(), widget
    assert dialog.given_names.accessibleName() == "Nombres"
    assert dialog.wg["wg_seeing"].accessibleName() == "Ver, aun usando anteojos"
    assert dialog.estimated_age.accessibleName() == "Edad aproximada"
    assert dialog.document_rows[0].doc_type.accessibleName() == "Tipo de documento, documento 1"
    captions = [w for w in dialog.findChildren(QLabel) if w.buddy() is not None]
    assert len(captions) >= 20
    for caption in captions:
        assert "&" in caption.text(), caption.text()
        assert caption.text().replace("&", "").removesuffix(" *") == caption.buddy().accessibleName()
    assert dialog.save_button.text() == "&Guardar" and not dialog.save_button.isDefault()
    # Alt + the underlined letter jumps to the field
    qtbot.keyClick(dialog, Qt.Key.Key_M, ALT)
    assert focused() is dialog.maternal_surname


def test_mnemonics_are_unique_within_each_tab(make_dialog: MakeDialog) -> None:
    dialog = make_dialog()
    for index in range(dialog.tabs.count()):
        page = dialog.tabs.widget(index)
        texts = [w.text() for w in page.findChildren(QLabel) if w.buddy() is not None]
        texts += [b.text() for b in page.findChildren(QAbstractButton)]
        letters = [t[t.index("&") + 1].lower() for t in texts if "&" in t]
        letters.append("g")  # Guardar
        assert len(letters) == len(set(letters)), (dialog.tabs.tabText(index), letters)


def test_the_dialog_fits_a_1366x768_screen_without_cut_text(
    qtbot: QtBot, make_dialog: MakeDialog, ctx: AppContext
) -> None:
    dialog = make_dialog(person_id=seed(ctx))
    assert dialog.width() <= 1366 and dialog.height() <= 740
    assert dialog.minimumWidth() <= 1366 and dialog.minimumHeight() <= 700
    dialog.tabs.setCurrentIndex(TAB_DOCUMENTS)
    combo = dialog.document_rows[0].doc_type
    qtbot.waitUntil(combo.isVisible)
    for kind in ctx.catalogs.document_types:  # "Carné de Permiso Temporal de Permanencia"
        assert combo.fontMetrics().horizontalAdvance(kind.label("es")) + 30 < combo.width()
    bar = dialog.tabs.tabBar()
    assert all(bar.tabRect(i).right() <= bar.width() for i in range(bar.count()))
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        page = dialog.tabs.widget(index)
        areas = [page] if isinstance(page, QScrollArea) else page.findChildren(QScrollArea)
        for area in areas:
            qtbot.waitUntil(lambda a=area: a.widget().width() > 0)
            assert not area.horizontalScrollBar().isVisible(), dialog.tabs.tabText(index)
            assert not area.verticalScrollBar().isVisible(), dialog.tabs.tabText(index)
