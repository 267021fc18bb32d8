"""What recepción sees (issue #9.1): «Reservado» where the services withhold a value,
disabled fields it cannot change, saves that keep them, and decisions left to coordinación."""

from __future__ import annotations

import datetime as dt

import pytest
from acting import act_as
from kbd import keys
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QPlainTextEdit
from pytestqt.qtbot import QtBot

from oma_desktop.core.errors import PermissionDeniedError
from oma_desktop.services.consultations import ConsultationInput, record_consultation
from oma_desktop.services.context import AppContext
from oma_desktop.services.duplicate_review import resolve_different
from oma_desktop.services.importer import Table, commit_import, guess_mapping, plan_import
from oma_desktop.services.persons import PersonInput, register_person
from oma_desktop.ui.atencion.consultation_form import ConsultationDialog
from oma_desktop.ui.main_window import MainWindow
from oma_desktop.ui.people_page import PeoplePage
from oma_desktop.ui.personas import PersonDialog
from oma_desktop.ui.personas.duplicate_review import DuplicateReviewDialog

CTRL = Qt.KeyboardModifier.ControlModifier
NOW = dt.datetime(2026, 11, 27, 10, 0)
NOTE = "No llamar al número de la pareja"
SUMMARY = "Relata agresiones de su pareja"


@pytest.fixture
def rosa(ctx: AppContext) -> dict[str, str]:
    """Registered at the desk (recepción may write what it then cannot read back)."""
    assert ctx.actor.role == "recepcion"
    person = register_person(ctx.session, PersonInput(
        given_names="Rosa", paternal_surname="Rivas", sex="F", nationality="VE",
        phone="987654321", consent_register=True, notes=NOTE, gender_identity="Mujer trans",
        vulnerabilities={"vuln_violence_survivor"}, wg={"wg_walking": 2}), NOW.date())
    gbv = record_consultation(ctx.session, ConsultationInput(
        person_id=person, occurred_at=NOW, topics=["VIOLENCIA_GENERO"], summary=SUMMARY,
        follow_up_date=NOW.date() + dt.timedelta(days=2)), NOW)
    return {"person": person, "gbv": gbv}


def _shown(qtbot: QtBot, widget: PersonDialog | ConsultationDialog) -> None:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget)


def test_the_person_page_says_reservado(
    qtbot: QtBot, window: MainWindow, rosa: dict[str, str]
) -> None:
    page = window.open_person(rosa["person"])
    assert isinstance(page, PeoplePage)
    summary = page.summary
    assert summary.needs_label.text() == "Reservado"
    assert summary.notes_label.text() == "Reservado"
    consultation = next(e for e in summary.timeline_model.entries() if e.ref_id == rosa["gbv"])
    assert consultation.detail == "Reservado"
    assert SUMMARY not in repr(summary.timeline_model.entries())


def test_the_person_form_shows_reservado_and_a_save_keeps_the_values(
    qtbot: QtBot, ctx: AppContext, rosa: dict[str, str]
) -> None:
    dialog = PersonDialog(ctx, person_id=rosa["person"])
    _shown(qtbot, dialog)
    notes = dialog.form["notes"]
    assert isinstance(notes, QPlainTextEdit)
    assert not notes.isEnabled() and notes.placeholderText() == "Reservado"
    assert notes.toPlainText() == ""
    gender = dialog.form["gender_identity"]
    assert isinstance(gender, QLineEdit) and not gender.isEnabled() and gender.text() == ""
    survivor = dialog.form["vuln_violence_survivor"]
    assert isinstance(survivor, QCheckBox) and not survivor.isEnabled()
    assert not survivor.isChecked() and survivor.toolTip() == "Reservado"
    assert not dialog.reserved_note.isHidden()  # on the disability tab
    assert dialog.reserved_note.text() == (
        "Reservado: su rol no ve estas respuestas; se conservan tal como se registraron.")
    phone = dialog.form["phone"]
    assert isinstance(phone, QLineEdit)
    phone.clear()
    keys(qtbot, phone, "912345678")
    qtbot.keyClick(phone, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    row = ctx.session.store.get("person", rosa["person"])
    assert row["phone"] == "912345678"
    assert (row["notes"], row["gender_identity"], row["vuln_violence_survivor"],
            row["wg_walking"]) == (NOTE, "Mujer trans", 1, 2)


def test_the_consultation_form_shows_reservado_and_a_save_keeps_the_content(
    qtbot: QtBot, ctx: AppContext, rosa: dict[str, str]
) -> None:
    dialog = ConsultationDialog(ctx, None, consultation_id=rosa["gbv"])
    _shown(qtbot, dialog)
    assert not dialog.summary_edit.isEnabled()
    assert dialog.summary_edit.toPlainText() == ""
    assert dialog.summary_edit.placeholderText() == "Reservado"
    assert not dialog.topics.isEnabled() and dialog.topics.codes() == []
    assert dialog.topics.chosen_label.text() == "Reservado"
    assert all("Violencia" not in dialog.history_list.item(i).text()
               for i in range(dialog.history_list.count()))
    dialog.follow_up_edit.clear()
    keys(qtbot, dialog.follow_up_edit, "05/12/2026")
    qtbot.keyClick(dialog.follow_up_edit, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    row = ctx.session.store.get("consultation", rosa["gbv"])
    assert (row["summary"], row["topics"], row["follow_up_date"]) == (
        SUMMARY, '["VIOLENCIA_GENERO"]', "2026-12-05")


def test_coordinacion_sees_and_may_change_them(
    qtbot: QtBot, ctx: AppContext, rosa: dict[str, str]
) -> None:
    act_as(ctx, "coordinacion")
    dialog = PersonDialog(ctx, person_id=rosa["person"])
    _shown(qtbot, dialog)
    notes = dialog.form["notes"]
    assert isinstance(notes, QPlainTextEdit)
    assert notes.isEnabled() and notes.toPlainText() == NOTE
    survivor = dialog.form["vuln_violence_survivor"]
    assert isinstance(survivor, QCheckBox) and survivor.isEnabled() and survivor.isChecked()
    assert dialog.reserved_note.isHidden()
    consultation = ConsultationDialog(ctx, None, consultation_id=rosa["gbv"])
    _shown(qtbot, consultation)
    assert consultation.summary_edit.isEnabled()
    assert consultation.summary_edit.toPlainText() == SUMMARY
    assert consultation.topics.codes() == ["VIOLENCIA_GENERO"]


def test_recepcion_sees_the_possible_duplicates_but_a_coordinator_decides(
    qtbot: QtBot, ctx: AppContext
) -> None:
    register_person(ctx.session, PersonInput(
        given_names="Ana Marta", paternal_surname="Rivas", maternal_surname="Mora", sex="F",
        nationality="VE", consent_register=True, birth_date=dt.date(2001, 6, 15)), NOW.date())
    act_as(ctx, "coordinacion")  # imports a list with a probable duplicate
    table = Table(headers=["Nombres", "Apellidos", "Sexo", "Fecha de nacimiento", "Nacionalidad"],
                  rows=[["Ana María", "Rivas Mora", "F", "15/06/2001", "VE"]])
    commit_import(ctx.session, plan_import(ctx.session, table, guess_mapping(table.headers),
                                           consent_confirmed=True, today=NOW.date()))
    act_as(ctx, "recepcion")
    dialog = DuplicateReviewDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.reviews.rowCount() == 1 and dialog.current_entry() is not None
    assert not dialog.same_button.isEnabled() and not dialog.other_button.isEnabled()
    with pytest.raises(PermissionDeniedError):
        resolve_different(ctx.session, dialog.reviews.entries[0].id)
