"""The consultation form, driven from the keyboard like a clerk would."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from kbd import focused, keys, press, type_text
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from oma_desktop import i18n
from oma_desktop.services.consultations import (
    ConsultationInput,
    load_consultation,
    record_consultation,
)
from oma_desktop.services.context import AppContext
from oma_desktop.services.persons import DocumentInput, PersonInput, register_person
from oma_desktop.ui.atencion.consultation_form import ConsultationDialog, PersonPickerDialog
from oma_desktop.ui.widgets.topic_picker import CODE_ROLE

CTRL = Qt.KeyboardModifier.ControlModifier


def _person(ctx: AppContext, given: str = "Génesis", surname: str = "Rojas", **extra: object) -> str:
    data = PersonInput(given_names=given, paternal_surname=surname, sex="F", nationality="VE",
                       consent_register=True, **extra)  # type: ignore[arg-type]
    return register_person(ctx.session, data)


def _count(ctx: AppContext) -> int:
    return int(ctx.session.store.scalar("SELECT count(*) FROM consultation"))


def _open(qtbot: QtBot, dialog: ConsultationDialog) -> ConsultationDialog:
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    return dialog










@pytest.fixture
def person(ctx: AppContext) -> str:
    return _person(ctx, documents=[DocumentInput(doc_type="CE", number="001234567")])


@pytest.fixture
def dialog(qtbot: QtBot, ctx: AppContext, person: str) -> Iterator[ConsultationDialog]:
    yield _open(qtbot, ConsultationDialog(ctx, None, person_id=person))


def test_defaults_and_focus(dialog: ConsultationDialog, ctx: AppContext) -> None:
    assert dialog.windowTitle() == "Nueva atención"
    assert dialog.person_label.text() == "Atención a Génesis Rojas"
    assert "CE 001234567" in dialog.person_facts_label.text()
    assert not dialog.anonymous_note.isVisible() and not dialog.anon_box.isVisible()
    now = dt.datetime.now()
    shown = dialog.date_edit.dateTime().toPython()
    assert abs((shown - now).total_seconds()) < 120
    assert dialog.date_edit.displayFormat() == "dd/MM/yyyy HH:mm"
    assert dialog.casa_combo.value() == ctx.session.store.casa_id == "CV1"
    assert dialog.casa_combo.currentText() == "Casa Vecinal 1"
    assert dialog.casa_combo.count() == 6
    assert dialog.staff_combo.value() == ctx.user_id
    assert dialog.staff_combo.currentText() == "Recepción"
    assert dialog.channel_combo.value() == "presencial"
    assert dialog.channel_combo.currentText() == "Presencial"
    assert focused() is dialog.topic_filter
    assert dialog.save_button.text() == "Guardar (Ctrl+S)"
    assert dialog.cancel_button.text() == "Cancelar (Esc)"
    assert not dialog.history_box.isVisible() and not dialog.link_button.isVisible()
    assert dialog.topics.chosen_label.text() == "Aún no eligió ningún tema."


def test_topics_grouped_under_plain_headings_with_the_axis_in_a_tooltip(
    dialog: ConsultationDialog, ctx: AppContext
) -> None:
    model = dialog.topics.model
    headers = [model.item(r).text() for r in range(model.rowCount())]
    assert headers == ["Orientación y trámites", "Salud, estudios y vivienda", "Trabajo y empleo",
                       "Ayuda humanitaria y protección"]
    work = model.item(2)
    assert work.toolTip() == "Plan municipal de capacidades — Eje: Migración laboral"
    assert work.child(0).text() == "Empleo: capacitación laboral"
    assert work.child(0).toolTip() == "Eje: Migración laboral"
    for row in range(model.rowCount()):
        header = model.item(row)
        # headings can be neither selected nor ticked
        assert not header.flags() & Qt.ItemFlag.ItemIsSelectable
        assert not header.flags() & Qt.ItemFlag.ItemIsUserCheckable
        assert header.rowCount() > 0
    assert sorted(dialog.topics.visible_codes()) == sorted(t.code for t in ctx.catalogs.topics)


def test_topic_filter_ignores_accents_and_matches_word_starts(
    qtbot: QtBot, dialog: ConsultationDialog
) -> None:
    keys(qtbot, dialog.topic_filter, "regularizacion")
    assert dialog.topics.visible_codes() == ["REG_CPP_PTP", "REG_CARNE_EXTRANJERIA"]
    dialog.topic_filter.clear()
    keys(qtbot, dialog.topic_filter, "SIS")
    # "crisis" contains "sis" but does not start with it
    assert dialog.topics.visible_codes() == ["SALUD_SIS"]
    dialog.topic_filter.clear()
    keys(qtbot, dialog.topic_filter, "nines")  # "niñez" without the tilde, misspelt
    assert dialog.topics.visible_codes() == []
    dialog.topic_filter.clear()
    keys(qtbot, dialog.topic_filter, "ninez")
    assert dialog.topics.visible_codes() == ["PROTECCION_NINEZ"]
    # an axis name shows its topics
    dialog.topic_filter.clear()
    keys(qtbot, dialog.topic_filter, "laboral")
    assert set(dialog.topics.visible_codes()) >= {"EMPLEO_CAPACITACION", "EMPRENDIMIENTO"}
    dialog.topic_filter.clear()
    assert len(dialog.topics.visible_codes()) == 25


def test_choose_topics_with_the_keyboard(qtbot: QtBot, dialog: ConsultationDialog) -> None:
    type_text(qtbot, "cpp")
    press(qtbot, Qt.Key.Key_Return)  # Enter ticks the first topic shown
    assert dialog.topics.codes() == ["REG_CPP_PTP"]
    assert focused() is dialog.topic_filter
    assert dialog.topic_filter.selectedText() == "cpp"  # typing replaces it
    type_text(qtbot, "salud")
    press(qtbot, Qt.Key.Key_Down)  # into the list, on the first topic shown
    assert focused() is dialog.topic_view
    assert dialog.topic_view.currentIndex().data(CODE_ROLE) == "SALUD_SIS"
    press(qtbot, Qt.Key.Key_Space)
    assert dialog.topics.codes() == ["REG_CPP_PTP", "SALUD_SIS"]
    press(qtbot, Qt.Key.Key_Space)  # Space again unticks
    assert dialog.topics.codes() == ["REG_CPP_PTP"]
    press(qtbot, Qt.Key.Key_Return)  # so does Enter
    assert dialog.topics.codes() == ["REG_CPP_PTP", "SALUD_SIS"]
    assert dialog.topics.chosen_label.text() == (
        "Elegidos: Regularización: CPP o PTP; Salud y afiliación al SIS"
    )
    press(qtbot, Qt.Key.Key_Up)  # above the first topic: back to the filter
    assert focused() is dialog.topic_filter
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.summary_edit


def test_arrow_keys_skip_the_headings(qtbot: QtBot, dialog: ConsultationDialog) -> None:
    press(qtbot, Qt.Key.Key_Down)
    assert dialog.topic_view.currentIndex().data(CODE_ROLE) == "ORIENTACION"
    for _ in range(7):
        press(qtbot, Qt.Key.Key_Down)
    assert dialog.topic_view.currentIndex().data(CODE_ROLE) == "DOC_PARTIDAS"
    press(qtbot, Qt.Key.Key_Down)  # over the "Salud, estudios y vivienda" heading
    assert dialog.topic_view.currentIndex().data(CODE_ROLE) == "SALUD_SIS"


def test_full_keyboard_save(qtbot: QtBot, dialog: ConsultationDialog, ctx: AppContext, person: str) -> None:
    type_text(qtbot, "carne")
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_Tab)
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Quiere renovar su carné de extranjería.")
    press(qtbot, Qt.Key.Key_Tab)  # Tab leaves the text box instead of inserting a tab
    assert focused() is dialog.actions_edit
    type_text(qtbot, "Se explicó el trámite en línea.")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "Orientada")
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.follow_up_edit
    follow = dt.date.today() + dt.timedelta(days=7)
    type_text(qtbot, follow.strftime("%d/%m/%Y"))
    with qtbot.waitSignal(dialog.accepted):
        press(qtbot, Qt.Key.Key_S, CTRL)
    cid = dialog.result_consultation_id
    assert cid is not None
    saved = load_consultation(ctx.session, cid)
    assert saved.person_id == person
    assert saved.topics == ["REG_CARNE_EXTRANJERIA"]
    assert saved.summary == "Quiere renovar su carné de extranjería."
    assert saved.actions == "Se explicó el trámite en línea."
    assert saved.outcome == "Orientada"
    assert saved.follow_up_date == follow
    assert saved.channel == "presencial" and saved.casa_id == "CV1"
    assert saved.staff_user_id == ctx.user_id
    assert saved.anon_sex == "" and saved.anon_age is None


def test_validation_errors_keep_everything_typed(
    qtbot: QtBot, dialog: ConsultationDialog, ctx: AppContext
) -> None:
    keys(qtbot, dialog.summary_edit, "Pregunta por vacantes escolares.")
    keys(qtbot, dialog.follow_up_edit, "32/13/2026")
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_S, CTRL)
    assert dialog.isVisible() and dialog.result() == 0
    assert _count(ctx) == 0
    assert dialog.errors.message("topics") == "Elija al menos un tema."
    assert dialog.errors.is_marked("topics")
    assert dialog.errors.message("follow_up_date") == "Escriba una fecha válida (día/mes/año)."
    assert dialog.message_label.text().startswith("Revise los campos marcados.")
    assert dialog.summary_edit.toPlainText() == "Pregunta por vacantes escolares."
    assert dialog.follow_up_edit.text() == "32/13/2026"
    assert focused() is dialog.topic_view  # the first field in error
    # fix both and save
    dialog.topics.set_checked("EDUCACION_VACANTE")
    dialog.follow_up_edit.clear()
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_S, CTRL)
    assert dialog.result() == 1
    assert _count(ctx) == 1
    assert not dialog.errors.is_marked("topics")


def test_future_date_and_follow_up_before_the_consultation(
    qtbot: QtBot, dialog: ConsultationDialog, ctx: AppContext
) -> None:
    dialog.topics.set_checked("ORIENTACION")
    dialog.date_edit.setDateTime(QDateTime(dt.datetime.now() + dt.timedelta(days=2)))
    qtbot.keyClick(dialog.topic_filter, Qt.Key.Key_S, CTRL)
    assert dialog.errors.message("occurred_at") == "La atención no puede tener fecha futura."
    assert focused() is dialog.date_edit
    dialog.date_edit.setDateTime(QDateTime(dt.datetime(2026, 3, 10, 9, 30)))
    dialog.follow_up_edit.set_value(dt.date(2026, 3, 1))
    qtbot.keyClick(dialog.topic_filter, Qt.Key.Key_S, CTRL)
    assert not dialog.errors.is_marked("occurred_at")
    assert dialog.errors.message("follow_up_date") == "La fecha de seguimiento es anterior a la atención."
    assert _count(ctx) == 0
    dialog.follow_up_edit.set_value(dt.date(2026, 3, 17))
    qtbot.keyClick(dialog.topic_filter, Qt.Key.Key_S, CTRL)
    assert _count(ctx) == 1
    assert load_consultation(ctx.session, dialog.result_consultation_id).occurred_at == dt.datetime(
        2026, 3, 10, 9, 30
    )


def test_esc_closes_at_once_when_nothing_was_typed(qtbot: QtBot, dialog: ConsultationDialog) -> None:
    with qtbot.waitSignal(dialog.rejected):
        press(qtbot, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_esc_asks_before_discarding(qtbot: QtBot, dialog: ConsultationDialog, ctx: AppContext) -> None:
    keys(qtbot, dialog.summary_edit, "Algo")
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    assert dialog.message_label.text() == (
        "Hay cambios sin guardar: pulse Esc o Cancelar otra vez para descartarlos, "
        "o Ctrl+S para guardar."
    )
    keys(qtbot, dialog.summary_edit, " más")  # typing again disarms the second Esc
    assert not dialog.message_label.isVisible()
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_Escape)
    assert _count(ctx) == 0


def test_enter_in_a_field_never_saves(qtbot: QtBot, dialog: ConsultationDialog, ctx: AppContext) -> None:
    dialog.topics.set_checked("ORIENTACION")
    qtbot.keyClick(dialog.follow_up_edit, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.date_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and _count(ctx) == 0


def test_anonymous_quick_consultation(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = _open(qtbot, ConsultationDialog(ctx, None, anonymous=True))
    assert dialog.windowTitle() == "Atención anónima"
    assert dialog.anonymous_note.isVisible()
    assert dialog.anonymous_note.text() == "Atención anónima: no se registran datos personales."
    assert not dialog.person_label.isVisible()
    assert focused() is dialog.anon_sex_combo
    press(qtbot, Qt.Key.Key_H)  # "Hombre"
    assert dialog.anon_sex_combo.value() == "M"
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "4x5")  # only digits are accepted
    assert dialog.anon_age_edit.text() == "45"
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is dialog.anon_nationality_combo
    type_text(qtbot, "colombia")
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, "empleo")
    press(qtbot, Qt.Key.Key_Return)
    press(qtbot, Qt.Key.Key_S, CTRL)
    assert dialog.result() == 1
    row = ctx.session.store.one("SELECT * FROM consultation")
    assert row is not None
    assert row["person_id"] is None
    assert (row["anon_sex"], row["anon_age"], row["anon_nationality"]) == ("M", 45, "CO")
    assert json.loads(row["topics"]) == ["EMPLEO_CAPACITACION"]


def test_anonymous_age_out_of_range_and_unknown_country(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = _open(qtbot, ConsultationDialog(ctx, None, anonymous=True))
    dialog.topics.set_checked("ORIENTACION")
    keys(qtbot, dialog.anon_age_edit, "130")
    dialog.anon_nationality_combo.setEditText("Narnia")
    qtbot.keyClick(dialog.anon_age_edit, Qt.Key.Key_S, CTRL)
    assert dialog.errors.message("anon_age") == "La edad aproximada debe estar entre 0 y 110."
    assert dialog.errors.message("anon_nationality") == "Elija un país de la lista."
    assert _count(ctx) == 0
    assert dialog.anon_age_edit.text() == "130"


@pytest.mark.usefixtures("coordinator")
def test_editing_keeps_history(qtbot: QtBot, ctx: AppContext, person: str) -> None:
    cid = record_consultation(
        ctx.session, ConsultationInput(person_id=person, topics=["SALUD_SIS"], summary="Afiliación al SIS",
                          occurred_at=dt.datetime(2026, 11, 2, 10, 0)),
    )
    dialog = _open(qtbot, ConsultationDialog(ctx, None, consultation_id=cid))
    assert dialog.windowTitle() == "Editar atención"
    assert dialog.history_box.isVisible()
    assert dialog.history_list.count() == 1
    assert dialog.history_list.item(0).text().endswith("Recepción: registró la atención")
    assert dialog.summary_edit.toPlainText() == "Afiliación al SIS"
    assert dialog.topics.codes() == ["SALUD_SIS"]
    # the ticked topic, far down the list, is scrolled into sight
    view = dialog.topic_view
    ticked = dialog.topics.proxy.mapFromSource(dialog.topics._items["SALUD_SIS"].index())
    qtbot.waitUntil(lambda: view.viewport().rect().contains(view.visualRect(ticked)))
    assert dialog.date_edit.dateTime().toPython() == dt.datetime(2026, 11, 2, 10, 0)
    assert not dialog.is_dirty()
    dialog.summary_edit.selectAll()
    keys(qtbot, dialog.summary_edit, "Afiliación al SIS de su hija")
    dialog.topics.set_checked("EDUCACION_VACANTE")
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_S, CTRL)
    assert dialog.result() == 1
    assert _count(ctx) == 1
    saved = load_consultation(ctx.session, cid)
    assert saved.summary == "Afiliación al SIS de su hija"
    assert saved.topics == ["SALUD_SIS", "EDUCACION_VACANTE"]
    assert saved.person_id == person
    again = _open(qtbot, ConsultationDialog(ctx, None, consultation_id=cid))
    lines = [again.history_list.item(i).text() for i in range(again.history_list.count())]
    assert len(lines) == 2
    assert lines[0].endswith("Recepción: modificó Temas, Qué consultó") or lines[0].endswith(
        "Recepción: modificó Qué consultó, Temas"
    )
    assert lines[1].endswith("registró la atención")


def test_link_an_anonymous_consultation_to_a_person(qtbot: QtBot, ctx: AppContext, person: str) -> None:
    cid = record_consultation(
        ctx.session,
        ConsultationInput(topics=["ORIENTACION"], anon_sex="F", anon_age=30, anon_nationality="VE"),
    )
    dialog = _open(qtbot, ConsultationDialog(ctx, None, consultation_id=cid))
    assert dialog.anonymous and dialog.anon_box.isVisible()
    assert dialog.anon_age_edit.text() == "30"
    assert dialog.link_button.isVisible()
    assert dialog.link_button.text() == "Vincular a una persona…"
    qtbot.mouseClick(dialog.link_button, Qt.MouseButton.LeftButton)
    picker = dialog.link_dialog
    assert isinstance(picker, PersonPickerDialog)
    qtbot.waitExposed(picker)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is picker)
    assert focused() is picker.search_edit
    type_text(qtbot, "nadie")
    picker.panel.search_now()
    assert picker.panel.count_label.text() == "No se encontró a nadie."  # no Ctrl+N here
    picker.search_edit.clear()
    type_text(qtbot, "genesis roj")
    press(qtbot, Qt.Key.Key_Down)
    assert picker.panel.current_person_id() == person
    with qtbot.waitSignal(dialog.linked):
        press(qtbot, Qt.Key.Key_Return)
    assert load_consultation(ctx.session, cid).person_id == person
    assert not dialog.anonymous and not dialog.anon_box.isVisible()
    assert dialog.person_label.text() == "Atención a Génesis Rojas"
    assert not dialog.link_button.isVisible()
    assert "la vinculó a una persona registrada" in dialog.history_list.item(0).text()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    # a later edit keeps the link
    keys(qtbot, dialog.summary_edit, "Resultó ser Génesis.")
    qtbot.keyClick(dialog.summary_edit, Qt.Key.Key_S, CTRL)
    assert dialog.result() == 1
    row = ctx.session.store.get("consultation", cid)
    assert row is not None and row["person_id"] == person and row["anon_age"] is None
    assert dialog.person_id == person


def test_english(qtbot: QtBot, ctx: AppContext, person: str) -> None:
    i18n.setup("en")
    dialog = _open(qtbot, ConsultationDialog(ctx, None, person_id=person))
    assert dialog.date_edit.displayFormat() == "MM/dd/yyyy HH:mm"
    assert dialog.save_button.text() == "Save (Ctrl+S)"
    assert dialog.channel_combo.currentText() == "In person"
    assert dialog.topics.model.item(0).text() == "Guidance and papers"


def test_the_certificate_of_a_saved_consultation_is_printed_for_the_person(
        qtbot: QtBot, ctx: AppContext, person: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PdfReader

    from oma_desktop.ui.widgets import sheet_export

    opened: list[object] = []
    monkeypatch.setattr(sheet_export, "open_file", opened.append)
    cid = record_consultation(ctx.session, ConsultationInput(
        person_id=person, topics=["EMPLEO_CAPACITACION"], summary="Busca trabajo",
        actions="Se inscribió en Lima Emplea"))
    new = _open(qtbot, ConsultationDialog(ctx, None, person_id=person))
    assert not new.certificate_button.isVisible()  # nothing to certify before saving
    new.close()
    dialog = _open(qtbot, ConsultationDialog(ctx, None, consultation_id=cid))
    assert dialog.certificate_button.isVisible()
    qtbot.mouseClick(dialog.certificate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.certificate_path is not None, timeout=10_000)
    assert opened == [dialog.certificate_path]
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(dialog.certificate_path).pages
                             ).split())
    assert "Génesis Rojas" in text and "Se inscribió en Lima Emplea" in text
    assert "Constancia" in dialog.message_label.text()
