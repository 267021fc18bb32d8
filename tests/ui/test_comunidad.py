"""«Comunidad» (Ctrl+0): events and migrant organisations typed into their forms, saved,
seen in the lists; what the services refuse is marked beside its field with everything typed
kept; persons picked through the person search; deleting asks first; the analyst reads
without writing or seeing names; the models without a window; the page at 1366×768."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from kbd import keys, wait_active
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSpinBox
from pytestqt.qtbot import QtBot
from roles import open_as

from oma_desktop.services import events as ev
from oma_desktop.services import organisations as og
from oma_desktop.services.context import AppContext
from oma_desktop.services.permissions import Permission
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.ui.comunidad import page as page_module
from oma_desktop.ui.comunidad.event_dialog import EventDialog
from oma_desktop.ui.comunidad.models import EventsModel, OrganisationsModel
from oma_desktop.ui.comunidad.organisation_dialog import OrganisationDialog
from oma_desktop.ui.comunidad.page import CommunityPage
from oma_desktop.ui.comunidad.person_picker import AttendeePickerDialog
from oma_desktop.ui.pages import PAGES

pytestmark = pytest.mark.qt_log_ignore("^This plugin does not support propagateSizeHints")
TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def coord(data_dir: Path) -> Iterator[AppContext]:
    context = open_as(data_dir, "coordinacion")
    yield context
    context.close()


def _page(qtbot: QtBot, ctx: AppContext) -> CommunityPage:
    page = CommunityPage(ctx, today=TODAY)
    qtbot.addWidget(page)
    page.resize(1150, 700)
    page.show()
    wait_active(qtbot, page)
    return page


def _type_number(qtbot: QtBot, spin: QSpinBox, text: str) -> None:
    spin.setFocus()
    spin.selectAll()
    keys(qtbot, spin, text)


def _save(qtbot: QtBot, dialog: EventDialog | OrganisationDialog) -> None:
    """Ctrl+S in the form, as the clerk saves."""
    dialog.activateWindow()
    wait_active(qtbot, dialog)
    qtbot.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_S,
                   Qt.KeyboardModifier.ControlModifier)


def _row_texts(model: EventsModel | OrganisationsModel, row: int) -> list[str]:
    return [model.data(model.index(row, c)) for c in range(model.columnCount())]


# --- events ------------------------------------------------------------------------------------


def test_type_an_event_save_and_see_it_in_the_list(qtbot: QtBot, coord: AppContext) -> None:
    page = _page(qtbot, coord)
    tab = page.events_tab
    assert tab.model.rowCount() == 0
    assert tab.message.text() == "Aún no hay eventos registrados. Pulse Ctrl+N para registrar " \
                                 "el primero."
    qtbot.keyClick(tab.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.active_dialog
    assert isinstance(dialog, EventDialog)
    dialog.kind_combo.set_value(ev.FAIR)
    keys(qtbot, dialog.title_edit, "Feria de servicios en la Plaza")
    keys(qtbot, dialog.started_edit, "04/10/2026")
    keys(qtbot, dialog.place_edit, "Plaza Dos de Mayo")
    keys(qtbot, dialog.organisers_edit, "Casa Vecinal 1 y ACNUR")
    for key, text in (("attendance_total", "120"), ("attendance_women", "70"),
                      ("attendance_men", "45"), ("attendance_minors", "20"),
                      ("attendance_migrants", "90")):
        _type_number(qtbot, dialog.counts[key], text)
    dialog.topics.set_codes(["ORIENTACION"])
    assert not dialog.staff_box.isVisibleTo(dialog)  # only for staff trainings
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert tab.model.rowCount() == 1
    assert _row_texts(tab.model, 0)[:8] == [
        "04/10/2026", "Feria", "Feria de servicios en la Plaza", "120", "70", "45", "20", "90"]
    assert tab.message.text() == "Evento guardado."
    assert "Plaza Dos de Mayo" in tab.details.text() and "ACNUR" in tab.details.text()
    saved = ev.list_events(coord.session)
    assert [(e.title, e.attendance_total, e.casa_id) for e in saved] == [
        ("Feria de servicios en la Plaza", 120, "CV1")]
    assert tab.count_label.text() == "1 evento, 120 asistentes"


def test_a_refused_event_keeps_what_was_typed_and_marks_the_fields(
    qtbot: QtBot, coord: AppContext,
) -> None:
    page = _page(qtbot, coord)
    dialog = page.events_tab.new_event()
    assert isinstance(dialog, EventDialog)
    dialog.kind_combo.set_value(ev.WORKSHOP)
    keys(qtbot, dialog.title_edit, "Charla: cómo solicitar el CPP")
    keys(qtbot, dialog.started_edit, "31/02/2026")  # no such day
    _type_number(qtbot, dialog.counts["attendance_total"], "10")
    _type_number(qtbot, dialog.counts["attendance_women"], "8")
    _type_number(qtbot, dialog.counts["attendance_men"], "5")
    _save(qtbot, dialog)
    assert page.active_dialog is dialog and dialog.isVisible()
    assert dialog.errors.message("started_on") == "Escriba una fecha válida (día/mes/año)."
    assert dialog.errors.is_marked("started_on")
    dialog.started_edit.clear()
    keys(qtbot, dialog.started_edit, "15/10/2026")
    _save(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.errors.message("attendance_women") == (
        "Mujeres y hombres juntos (13) no pueden ser más que la asistencia total (10).")
    assert dialog.errors.is_marked("attendance_women")
    assert dialog.message.text() == "Revise los campos marcados."
    # nothing typed is lost
    assert dialog.title_edit.text() == "Charla: cómo solicitar el CPP"
    assert dialog.started_edit.text() == "15/10/2026"
    assert [dialog.counts[k].value() for k in ("attendance_total", "attendance_women",
                                                "attendance_men")] == [10, 8, 5]
    assert ev.list_events(coord.session) == []
    _type_number(qtbot, dialog.counts["attendance_total"], "13")
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert [e.attendance_total for e in ev.list_events(coord.session)] == [13]


def test_a_staff_training_with_its_gerencias(qtbot: QtBot, coord: AppContext) -> None:
    page = _page(qtbot, coord)
    dialog = page.events_tab.new_event()
    assert isinstance(dialog, EventDialog)
    dialog.kind_combo.set_value(ev.STAFF_TRAINING)
    assert dialog.staff_box.isVisibleTo(dialog)
    keys(qtbot, dialog.title_edit, "Derechos de las personas migrantes")
    keys(qtbot, dialog.started_edit, "12/10/2026")
    _type_number(qtbot, dialog.counts["attendance_total"], "27")
    _save(qtbot, dialog)
    assert dialog.errors.message("hours") == (
        "Escriba cuántas horas duró la capacitación (más de 0).")
    assert dialog.errors.message("staff_by_gerencia") == (
        "Agregue al menos una gerencia con el número de su personal que participó.")
    dialog.hours_spin.setFocus()
    dialog.hours_spin.selectAll()
    keys(qtbot, dialog.hours_spin, "4")
    combo_line = dialog.gerencia_combo.lineEdit()
    assert combo_line is not None
    keys(qtbot, combo_line, "gerencia de desarrollo social")
    _type_number(qtbot, dialog.staff_spin, "12")
    qtbot.mouseClick(dialog.add_staff_button, Qt.MouseButton.LeftButton)
    keys(qtbot, combo_line, "Subgerencia de Turismo")
    _type_number(qtbot, dialog.staff_spin, "15")
    qtbot.mouseClick(dialog.add_staff_button, Qt.MouseButton.LeftButton)
    assert dialog.staff_model.as_dict() == {"Gerencia de Desarrollo Social": 12,
                                            "Subgerencia de Turismo": 15}
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    (row,) = ev.list_events(coord.session)
    view = ev.get_event(coord.session, row.id)
    assert view.data.staff_by_gerencia == {"Gerencia de Desarrollo Social": 12,
                                           "Subgerencia de Turismo": 15}
    assert view.data.hours == 4.0
    assert "Gerencia de Desarrollo Social (12)" in page.events_tab.details.text()


def test_persons_are_picked_through_the_person_search(qtbot: QtBot, coord: AppContext) -> None:
    session = coord.session
    yusmary = register_person(session, PersonInput(
        given_names="Yusmary", paternal_surname="Colmenares", sex="F", nationality="VE",
        consent_register=True), TODAY)
    register_person(session, PersonInput(given_names="Luis", paternal_surname="Parra",
                                         sex="M", nationality="VE", consent_register=True),
                    TODAY)
    page = _page(qtbot, coord)
    dialog = page.events_tab.new_event()
    assert isinstance(dialog, EventDialog)
    dialog.kind_combo.set_value(ev.TALENTS)
    keys(qtbot, dialog.title_edit, "Talentos vecinales: música")
    keys(qtbot, dialog.started_edit, "20/10/2026")
    picker = dialog.pick_person()
    assert isinstance(picker, AttendeePickerDialog)
    picker.panel.set_text("yusmary colmenares")
    assert picker.panel.current_person_id() == yusmary
    qtbot.keyClick(picker.panel.table, Qt.Key.Key_Return)
    assert picker.added == [yusmary]
    assert picker.panel.text() == ""  # ready for the next name
    picker.accept()
    assert dialog.attendees_model.ids() == [yusmary]
    assert dialog.counts["attendance_total"].value() == 1  # the total counts the person
    assert not dialog.add_person(yusmary, "Yusmary Colmenares")
    assert dialog.errors.message("attendee_ids") == "Yusmary Colmenares ya está en la lista."
    _type_number(qtbot, dialog.counts["attendance_total"], "40")
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    (row,) = ev.list_events(session)
    assert row.linked == 1
    assert [a.name for a in ev.get_event(session, row.id).attendees] == ["Yusmary Colmenares"]
    assert "Personas registradas: Yusmary Colmenares" in page.events_tab.details.text()


def test_delete_asks_first(qtbot: QtBot, coord: AppContext,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    ev.create_event(coord.session, ev.EventInput(
        kind=ev.FORUM, title="Foro de salud", started_on=dt.date(2026, 10, 9),
        attendance_total=30), TODAY)
    page = _page(qtbot, coord)
    tab = page.events_tab
    asked: list[str] = []

    def refuse(_parent: object, _title: str, text: str) -> bool:
        asked.append(text)
        return False

    monkeypatch.setattr(page_module, "confirm", refuse)
    tab.table.selectRow(0)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Delete)
    assert asked == ["¿Eliminar el evento «Foro de salud» del 09/10/2026? Su asistencia dejará "
                     "de contar en los reportes."]
    assert tab.model.rowCount() == 1
    monkeypatch.setattr(page_module, "confirm", lambda *_a: True)
    assert tab.delete_event()
    assert tab.model.rowCount() == 0 and ev.list_events(coord.session) == []
    assert tab.message.text() == "Evento «Foro de salud» eliminado."


def test_filters_by_year_kind_and_text(qtbot: QtBot, coord: AppContext) -> None:
    s = coord.session
    for title, kind, day in (("Feria de empleo", ev.FAIR, dt.date(2025, 5, 3)),
                             ("Foro de la niñez", ev.FORUM, dt.date(2026, 3, 7)),
                             ("Feria de salud", ev.FAIR, dt.date(2026, 9, 12))):
        ev.create_event(s, ev.EventInput(kind=kind, title=title, started_on=day,
                                         attendance_total=10), TODAY)
    page = _page(qtbot, coord)
    tab = page.events_tab
    assert [tab.year_filter.itemText(i) for i in range(tab.year_filter.count())] == [
        "Todos los años", "2026", "2025"]
    tab.year_filter.set_value("2026")
    assert [tab.model.row_object(r).title for r in range(tab.model.rowCount())] == [
        "Feria de salud", "Foro de la niñez"]
    tab.kind_filter.set_value(ev.FAIR)
    assert tab.model.rowCount() == 1
    tab.year_filter.set_value("")
    keys(qtbot, tab.search_edit, "ninez")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0)
    assert tab.message.text() == "Ningún evento coincide con estos filtros."
    tab.kind_filter.set_value("")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)


# --- organisations -----------------------------------------------------------------------------


def test_register_an_organisation_and_a_bad_phone_keeps_the_text(
    qtbot: QtBot, coord: AppContext,
) -> None:
    page = _page(qtbot, coord)
    page.tabs.setCurrentWidget(page.organisations_tab)
    tab = page.organisations_tab
    qtbot.keyClick(tab.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.active_dialog
    assert isinstance(dialog, OrganisationDialog)
    keys(qtbot, dialog.edits["name"], "Asociación Unión Venezolana de Lima Norte")
    keys(qtbot, dialog.edits["members"], "85")
    keys(qtbot, dialog.edits["contact_name"], "Yohana Pérez")
    keys(qtbot, dialog.edits["contact_phone"], "98-76")
    keys(qtbot, dialog.edits["budget_years"], "2026")
    _save(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.errors.message("contact_phone").startswith("El teléfono parece incorrecto")
    assert dialog.errors.message("participatory_budget") == (
        "Marque que la organización participa en el presupuesto participativo, o deje vacíos "
        "los años.")
    assert dialog.edits["name"].text() == "Asociación Unión Venezolana de Lima Norte"
    assert dialog.edits["contact_phone"].text() == "98-76"
    # the dialog grows so the two-line message under the phone shows whole
    label = dialog.errors._fields["contact_phone"][1]
    assert label.isVisible() and label.height() >= label.heightForWidth(label.width())
    dialog.edits["contact_phone"].clear()
    keys(qtbot, dialog.edits["contact_phone"], "987 654 321")
    dialog.budget_check.setChecked(True)
    dialog.status_combo.set_value(og.IN_PROGRESS)
    _save(qtbot, dialog)
    qtbot.waitUntil(lambda: page.active_dialog is None)
    assert tab.model.rowCount() == 1
    assert _row_texts(tab.model, 0) == [
        "Asociación Unión Venezolana de Lima Norte", "", "85", "En trámite", "2026",
        "Yohana Pérez", "987654321"]
    assert tab.count_label.text() == "1 organización, 85 integrantes"
    keys(qtbot, tab.search_edit, "zzz")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0)
    assert tab.message.text() == "Ninguna organización coincide con estos filtros."


def test_inactive_organisations_on_request_and_offered_to_events_when_active(
    qtbot: QtBot, coord: AppContext,
) -> None:
    s = coord.session
    og.create_organisation(s, og.OrganisationInput(name="Colectivo Activo"), TODAY)
    og.create_organisation(s, og.OrganisationInput(name="Club Antiguo", active=False), TODAY)
    page = _page(qtbot, coord)
    tab = page.organisations_tab
    assert tab.model.rowCount() == 1
    tab.inactive_check.setChecked(True)
    assert tab.model.rowCount() == 2
    assert tab.model.data(tab.model.index(1, 0)) == "Club Antiguo — inactiva"
    dialog = page.events_tab.new_event()
    assert isinstance(dialog, EventDialog)
    assert [dialog.organisations.item(i).text()
            for i in range(dialog.organisations.count())] == ["Colectivo Activo"]
    dialog.reject()


# --- who may do what ---------------------------------------------------------------------------


def test_the_analyst_reads_without_writing_or_names(qtbot: QtBot, data_dir: Path) -> None:
    ctx = open_as(data_dir, "coordinacion")
    person = register_person(ctx.session, PersonInput(
        given_names="Yusmary", paternal_surname="Colmenares", sex="F", nationality="VE",
        consent_register=True), TODAY)
    ev.create_event(ctx.session, ev.EventInput(
        kind=ev.FAIR, title="Feria", started_on=dt.date(2026, 10, 4), attendance_total=5,
        attendee_ids=[person]), TODAY)
    ctx.close()
    analyst = open_as(data_dir, "analista", "Analista")
    try:
        page = _page(qtbot, analyst)
        tab = page.events_tab
        assert not tab.new_button.isVisibleTo(page) and not tab.delete_button.isVisibleTo(page)
        assert tab.read_only_note.isVisibleTo(page)
        assert tab.read_only_note.text().startswith(
            "Su rol puede ver los eventos y las organizaciones, pero no registrarlos")
        assert tab.new_event() is None and not tab.delete_event()
        assert "Yusmary" not in tab.details.text()
        assert "1 persona registrada vinculada." in tab.details.text()
        dialog = tab.open_event()
        assert isinstance(dialog, EventDialog)
        assert not dialog.save_button.isVisible() and not dialog.title_edit.isEnabled()
        assert not dialog.attendees_box.isVisibleTo(dialog)
        assert not dialog.save()
        dialog.reject()
    finally:
        analyst.close()


def test_the_page_is_listed_for_the_roles_that_see_reports() -> None:
    (spec,) = [p for p in PAGES if p.key == "community"]
    assert (spec.shortcut, spec.permission) == ("Ctrl+0", Permission.VIEW_REPORTS)
    from oma_desktop.i18n import _

    assert _(spec.title) == "Comunidad"


# --- models and size ---------------------------------------------------------------------------


def test_models_without_a_window(coord: AppContext) -> None:
    s = coord.session
    ev.create_event(s, ev.EventInput(
        kind=ev.FAIR, title="Feria", started_on=dt.date(2026, 10, 4),
        ended_on=dt.date(2026, 10, 5), attendance_total=1200, attendance_women=700),
        TODAY)
    model = EventsModel(lambda code: {"CV1": "Casa Vecinal 1"}[code])
    model.set_rows(ev.list_events(s))
    assert _row_texts(model, 0) == ["04/10/2026 – 05/10/2026", "Feria", "Feria", "1,200", "700",
                                    "0", "0", "0", "Casa Vecinal 1"]
    assert model.headerData(6, Qt.Orientation.Horizontal) == "Menores"
    align = model.data(model.index(0, 3), Qt.ItemDataRole.TextAlignmentRole)
    assert align & Qt.AlignmentFlag.AlignRight
    orgs = OrganisationsModel(lambda code: "Breña")
    og.create_organisation(s, og.OrganisationInput(
        name="Olla Común", district_ubigeo="150105", participatory_budget=True), TODAY)
    orgs.set_rows(og.list_organisations(s))
    assert _row_texts(orgs, 0) == ["Olla Común", "Breña", "", "No reconocida", "Sí", "", ""]


def test_the_page_fits_1366_by_768(qtbot: QtBot, coord: AppContext) -> None:
    page = _page(qtbot, coord)
    hint = page.minimumSizeHint()
    assert hint.width() <= 1366 - 200 and hint.height() <= 768 - 80
    dialog = page.events_tab.new_event()
    assert isinstance(dialog, EventDialog)
    dialog.kind_combo.set_value(ev.STAFF_TRAINING)
    screen = QApplication.primaryScreen().availableGeometry()
    assert dialog.height() <= min(screen.height(), 730) and dialog.width() <= 1366
    assert dialog.minimumSizeHint().height() <= 730
    dialog.reject()
